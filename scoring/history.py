"""The score history: each run's snapshots, written once and pruned by one rule.

Writing: on PostgreSQL `scoring_scoresnapshot` is partitioned by run (migration 0003). A run
fills a table of its own (no index to maintain row by row, no key checked per row), adds the
CHECK that lets PostgreSQL attach it without scanning it, and attaches it as the run's
partition, which builds its two indexes in one sorted pass each. Attaching takes a SHARE
UPDATE EXCLUSIVE lock on the parent, so readers of the history are never blocked; all of it is
in the run's transaction, so a worker killed before the commit leaves no partition behind.
SQLite keeps one plain table and inserts into it.

Pruning (`history_prune`, the periodic task `scoring.prune_history`): the snapshots of every run
are kept for `SCORING_HISTORY_DAYS` days (by the run's as-of date), and after that only those
of the last run of each calendar month. A pruned run keeps its row, its tier changes (the
dashboard's movements) and its audit rows; on PostgreSQL its snapshots go with one DROP TABLE,
so pruning a year of nightly runs at a million customers takes seconds, not a DELETE of
hundreds of millions of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import RunStatus, ScoreSnapshot, ScoringRun

_COLUMNS = "run_id, customer_id, score, fit_score, rank, tier, abc_class, is_key_account, sales_12m"
# From the run's results (scoring.services: the next standing table, or SQLite's temporary one).
_SELECT = """
SELECT %(run)s, r.customer_id, r.score, r.fit_score, r.rank, r.tier, r.abc_class, r.is_key_account, r.sales_12m
FROM {results} r
"""


def partition_name(run_id: int) -> str:
    return f"scoring_scoresnapshot_r{int(run_id)}"


def snapshots_write(cursor, *, run_id: int, results: str) -> int:
    """The run's snapshot rows from its results table, inside the run's transaction; how many."""
    select = _SELECT.format(results=results)
    if connection.vendor != "postgresql":
        cursor.execute(f"INSERT INTO scoring_scoresnapshot ({_COLUMNS}) {select}", {"run": run_id})
        return cursor.rowcount
    table, run = partition_name(run_id), int(run_id)
    cursor.execute(
        f"CREATE TABLE {table} (LIKE scoring_scoresnapshot INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
    )
    cursor.execute(f"INSERT INTO {table} ({_COLUMNS}) {select}", {"run": run})
    written = cursor.rowcount
    cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_run CHECK (run_id = {run})")
    cursor.execute(f"ALTER TABLE scoring_scoresnapshot ATTACH PARTITION {table} FOR VALUES IN ({run})")
    return written


@dataclass(frozen=True)
class Pruned:
    runs: int  # runs whose snapshots were dropped
    snapshots: int  # snapshot rows they held


def runs_to_prune(*, today: date, days: int) -> list[int]:
    """Succeeded runs dated before the cut-off that are not their month's last run, unpruned."""
    cutoff = today - timedelta(days=days)
    runs = list(
        ScoringRun.objects.filter(status=RunStatus.SUCCEEDED)
        .order_by("as_of", "finished_at", "id")
        .values_list("id", "as_of", "history_pruned_at")
    )
    last_of_month = {(as_of.year, as_of.month): run_id for run_id, as_of, _pruned in runs}  # the latest wins
    return [
        run_id
        for run_id, as_of, pruned in runs
        if as_of < cutoff and pruned is None and last_of_month[(as_of.year, as_of.month)] != run_id
    ]


def history_prune(*, today: date | None = None, days: int | None = None) -> Pruned:
    """Drop the snapshots the history rule no longer keeps (see the module's docstring)."""
    today = today or timezone.localdate()
    days = settings.SCORING_HISTORY_DAYS if days is None else days
    prune = runs_to_prune(today=today, days=days)
    if not prune:
        return Pruned(runs=0, snapshots=0)
    with transaction.atomic():
        counts = dict(ScoringRun.objects.filter(pk__in=prune).values_list("pk", "customers_scored"))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                    " WHERE i.inhparent = 'scoring_scoresnapshot'::regclass"
                )
                existing = {name for (name,) in cursor.fetchall()}
                for run_id in prune:
                    if (table := partition_name(run_id)) in existing:
                        cursor.execute(f"DROP TABLE {table}")
        else:
            ScoreSnapshot.objects.filter(run_id__in=prune).delete()
        ScoringRun.objects.filter(pk__in=prune).update(history_pruned_at=timezone.now())
    return Pruned(runs=len(prune), snapshots=sum(counts.values()))
