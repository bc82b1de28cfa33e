"""The score history's rule: every run's snapshots for SCORING_HISTORY_DAYS, then the last run of
each month; on PostgreSQL each run's snapshots are a partition that pruning drops."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scoring.history import history_prune, partition_name, runs_to_prune
from scoring.models import ScoreSnapshot, ScoringRun, TierChange
from scoring.selectors import customer_score_history
from scoring.services import run_execute, run_request
from scoring.tasks import prune_history
from tests.factories import CustomerFactory, TransactionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

TODAY = date(2026, 6, 30)
# 400 days before TODAY is 2025-05-26: runs dated before it are "old".
DATES = [
    date(2025, 3, 3),  # old, March: pruned
    date(2025, 3, 31),  # old, March's last run: kept
    date(2025, 4, 10),  # old, April: pruned
    date(2025, 4, 10),  # old, April's last run (same day, finished later): kept
    date(2025, 5, 20),  # old, but May's last run is the 28th: pruned
    date(2025, 5, 28),  # inside the 400 days: kept
    date(2026, 6, 1),  # recent: kept
    date(2026, 6, 30),  # recent: kept
]


def partitions() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'scoring_scoresnapshot'::regclass"
        )
        return {name for (name,) in cursor.fetchall()}


@pytest.fixture
def history():
    """Three customers scored once per date, their tiers moving between runs."""
    customers = [CustomerFactory(name=f"客户{i}", status="customer", potential=3) for i in range(3)]
    runs = []
    for position, as_of in enumerate(DATES):
        TransactionFactory(customer=customers[position % 3], occurred_on=as_of, amount=1000 * (position + 1))
        run, _created = run_request(by=None, as_of=as_of, enqueue=False)
        run_execute(run_id=run.pk)
        runs.append(run.pk)
    return customers, runs


def test_pruning_keeps_exactly_what_the_rule_says(history, settings):
    customers, runs = history
    settings.SCORING_HISTORY_DAYS = 400
    assert ScoreSnapshot.objects.count() == 3 * len(DATES)
    moves = TierChange.objects.count()
    expected = [runs[0], runs[2], runs[4]]
    assert runs_to_prune(today=TODAY, days=400) == expected

    pruned = history_prune(today=TODAY)

    assert (pruned.runs, pruned.snapshots) == (3, 9)
    kept = sorted(set(ScoreSnapshot.objects.values_list("run_id", flat=True)))
    assert kept == sorted(set(runs) - set(expected))
    assert (
        list(
            ScoringRun.objects.filter(history_pruned_at__isnull=False)
            .order_by("id")
            .values_list("id", flat=True)
        )
        == expected
    )
    assert ScoringRun.objects.count() == len(DATES)  # the runs themselves stay
    assert TierChange.objects.count() == moves  # and so do their tier movements
    # The customer's history keeps its shape, without the pruned runs.
    assert [row["run"] for row in customer_score_history(customer=customers[0])] == sorted(
        set(runs) - set(expected), key=lambda pk: (DATES[runs.index(pk)], pk), reverse=True
    )
    if connection.vendor == "postgresql":
        assert partitions() == {partition_name(pk) for pk in kept}

    # Again: nothing more to do.
    assert history_prune(today=TODAY).runs == 0
    # A year on, the 2025-05-28 run and June 1st fall out of the window too; June 30 is June's last.
    assert runs_to_prune(today=date(2027, 9, 1), days=400) == [runs[6]]


def test_a_shorter_window_and_the_daily_task(history, settings, monkeypatch):
    _customers, runs = history
    settings.SCORING_HISTORY_DAYS = 10
    monkeypatch.setattr("scoring.history.timezone.localdate", lambda: TODAY)
    assert prune_history() == 4  # runs 0, 2, 4 and the 1 June run (June 30 is June's last)
    assert sorted(set(ScoreSnapshot.objects.values_list("run_id", flat=True))) == [
        runs[1], runs[3], runs[5], runs[7]
    ]  # fmt: skip


@pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's")
def test_pruning_drops_tables_instead_of_deleting_rows(history):
    with CaptureQueriesContext(connection) as queries:
        history_prune(today=TODAY)
    statements = [query["sql"].split()[0].upper() for query in queries.captured_queries]
    assert "DELETE" not in statements
    assert statements.count("DROP") == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's")
def test_each_run_is_its_own_partition_with_the_parents_indexes(history):
    _customers, runs = history
    assert partitions() == {partition_name(pk) for pk in runs}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s ORDER BY indexname",
            [partition_name(runs[0])],
        )
        definitions = [row[0] for row in cursor.fetchall()]
    assert len(definitions) == 2
    assert any("(customer_id, run_id)" in text and "UNIQUE" in text for text in definitions)
    assert any("(run_id, tier)" in text for text in definitions)


def test_a_run_that_dies_leaves_no_history_behind(monkeypatch):
    CustomerFactory(name="客户", status="customer")
    run, _created = run_request(by=None, as_of=TODAY - timedelta(days=1), enqueue=False)

    def die(*args, **kwargs):
        raise RuntimeError("killed")

    monkeypatch.setattr("scoring.services.emit", die)  # after the snapshots, before the commit
    with pytest.raises(RuntimeError):
        run_execute(run_id=run.pk)
    assert not ScoreSnapshot.objects.exists()
    if connection.vendor == "postgresql":
        assert partitions() == set()
    monkeypatch.undo()
    run_execute(run_id=run.pk)  # the same run, again: completes
    assert ScoreSnapshot.objects.filter(run_id=run.pk).count() == 1
