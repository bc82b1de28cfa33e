"""Scoring runs and model versions: load once, compute, write back once.

A run reads every customer's inputs with one set-based query (streamed through a
server-side cursor on PostgreSQL, never as model instances; the industry fit table and the
ticked checklist items of the experience method included), hands plain arrays to the pure
engine, and writes all results back in one transaction: on PostgreSQL they are COPYed into a
fresh standing table (accounts.CustomerStanding), then tier changes and their audit rows, the
snapshot partition, the swap of the standing table by rename, the run's "succeeded" and its
scoring.run_finished event commit together (each moved
customer's customer.tier_changed event is written from those rows when that event is
dispatched: scoring/events.py). Readers see the previous results until that commit, and a
worker killed before it leaves them untouched; running the same run again completes it.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import STANDING_FIELDS, Customer, CustomerStatus
from accounts.selectors import SalesWindow
from events.outbox import emit
from events.types import EventType
from users.models import User

from . import engine, history
from .models import RunStatus, ScoringModel, ScoringRun
from .result_table import RESULT_TABLE_COLUMNS

logger = logging.getLogger(__name__)

Progress = Callable[[int, str], None]

TIER_ORDER = {tier: position for position, tier in enumerate(engine.TIERS)}  # platinum 0 … lead 3


# --- The scoring model -------------------------------------------------------------------


def scoring_model_active() -> ScoringModel:
    """The active version; the first call on an empty database creates v1 with the defaults."""
    model = ScoringModel.objects.filter(is_active=True).first()
    if model is not None:
        return model
    version = (ScoringModel.objects.order_by("-version").values_list("version", flat=True).first() or 0) + 1
    try:
        with transaction.atomic():
            return ScoringModel.objects.create(version=version, is_active=True, note="defaults")
    except IntegrityError:  # created concurrently
        return ScoringModel.objects.get(is_active=True)


@transaction.atomic
def scoring_model_save(*, by: User | None, note: str = "", **settings) -> ScoringModel:
    """Save changed settings as a new active version; the old version stays for past runs."""
    unknown = set(settings) - set(ScoringModel.SETTING_FIELDS)
    if unknown:
        raise ValidationError({name: [_("Unknown setting.")] for name in sorted(unknown)})
    current = (
        ScoringModel.objects.select_for_update().filter(is_active=True).first() or scoring_model_active()
    )
    version = (ScoringModel.objects.order_by("-version").values_list("version", flat=True).first() or 0) + 1
    new = ScoringModel(
        version=version,
        is_active=True,
        note=note,
        created_by=by,
        **{name: getattr(current, name) for name in ScoringModel.SETTING_FIELDS},
    )
    for name, value in settings.items():
        setattr(new, name, value)
    new.full_clean(exclude=["is_active", "version"])
    ScoringModel.objects.filter(is_active=True).update(is_active=False)
    new.save()
    return new


# --- Runs --------------------------------------------------------------------------------


def run_request(
    *, by: User | None, as_of: date | None = None, trigger: str = "api", enqueue: bool = True
) -> tuple[ScoringRun, bool]:
    """Queue a run, or return the one already queued or running. Returns (run, created)."""
    as_of = as_of or timezone.localdate()
    if as_of > timezone.localdate():
        raise ValidationError({"as_of": [_("The as-of date cannot be in the future.")]})
    model = scoring_model_active()
    with transaction.atomic():
        running = ScoringRun.objects.select_for_update().filter(in_flight=True).first()
        if running is not None:
            return running, False
        try:
            with transaction.atomic():
                run = ScoringRun.objects.create(model=model, as_of=as_of, started_by=by, trigger=trigger)
        except IntegrityError:
            # Another request created one between our check and our insert.
            return ScoringRun.objects.get(in_flight=True), False
        if enqueue:
            _enqueue(run)
    return run, True


def run_retry(*, run: ScoringRun) -> ScoringRun:
    """Queue a failed run again (same model version and as-of date)."""
    if run.status != RunStatus.FAILED:
        raise ValidationError({"status": [_("Only a failed run can be retried.")]})
    with transaction.atomic():
        if ScoringRun.objects.filter(in_flight=True).exists():
            raise ValidationError({"status": [_("Another run is queued or running; wait for it to finish.")]})
        run.status, run.in_flight, run.progress, run.error = RunStatus.QUEUED, True, 0, ""
        # Requested again now: the nightly task judges a run lost by how long ago it was requested.
        run.finished_at, run.created_at = None, timezone.now()
        try:
            with transaction.atomic():
                run.save(
                    update_fields=["status", "in_flight", "progress", "error", "finished_at", "created_at"]
                )
        except IntegrityError as error:
            raise ValidationError({"status": [_("Another run is queued or running.")]}) from error
        _enqueue(run)
    return run


def _enqueue(run: ScoringRun) -> None:
    from .tasks import run_scoring

    run_id = run.pk
    transaction.on_commit(lambda: run_scoring.delay(run_id))


def _set_progress(run: ScoringRun, progress: int, report: Progress | None, stage: str) -> None:
    run.progress = progress
    ScoringRun.objects.filter(pk=run.pk, in_flight=True).update(progress=progress)
    if report:
        report(progress, stage)


def run_execute(*, run_id: int, report: Progress | None = None) -> ScoringRun:
    """Do the run. Safe to call again for the same run: a finished run is left alone, an
    interrupted one (its worker died) starts over and completes."""
    run = ScoringRun.objects.select_related("model", "started_by").get(pk=run_id)
    if run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED):
        return run
    now = timezone.now()
    run.status, run.attempts = RunStatus.RUNNING, run.attempts + 1
    run.started_at = run.started_at or now
    ScoringRun.objects.filter(pk=run.pk, in_flight=True).update(
        status=run.status, attempts=run.attempts, started_at=run.started_at
    )
    _set_progress(run, 5, report, "loading")

    inputs = load_inputs(as_of=run.as_of)
    _set_progress(run, 40, report, "computing")
    results = engine.score_population(inputs, run.model.to_parameters())
    _set_progress(run, 60, report, "writing")
    write_results(run=run, results=results)
    if report:
        report(100, "done")
    return run


def run_mark_failed(*, run_id: int, error: str) -> None:
    ScoringRun.objects.filter(pk=run_id, in_flight=True).update(
        status=RunStatus.FAILED, in_flight=None, finished_at=timezone.now(), error=error[:5000]
    )


# --- Loading the inputs ------------------------------------------------------------------

INPUT_SQL = """
SELECT c.id,
       c.status,
       COALESCE(c.potential, 0), COALESCE(c.demonstration, 0), COALESCE(c.winnability, 0),
       COALESCE(t.sales_12m, 0), COALESCE(t.sales_prev_12m, 0), COALESCE(t.margin_12m, 0),
       COALESCE(t.orders_12m, 0), COALESCE(t.ordered_before, 0),
       v.last_visit_at,
       COALESCE(f.need, 0), COALESCE(f.capability, 0), COALESCE(k.ticked, 0), w.total,
       COALESCE(c.owner_id, 0)
FROM accounts_customer c
LEFT JOIN (
    SELECT customer_id,
           CAST(ROUND(SUM(CASE WHEN occurred_on > %(start)s THEN amount ELSE 0 END) * 100) AS BIGINT) AS sales_12m,
           CAST(ROUND(SUM(CASE WHEN occurred_on > %(prev_start)s AND occurred_on <= %(start)s
                               THEN amount ELSE 0 END) * 100) AS BIGINT) AS sales_prev_12m,
           CAST(ROUND(SUM(CASE WHEN occurred_on > %(start)s THEN COALESCE(margin, 0) ELSE 0 END) * 100)
                AS BIGINT) AS margin_12m,
           SUM(CASE WHEN occurred_on > %(start)s THEN 1 ELSE 0 END) AS orders_12m,
           MAX(CASE WHEN occurred_on <= %(start)s THEN 1 ELSE 0 END) AS ordered_before
    FROM accounts_transaction
    WHERE occurred_on <= %(as_of)s
    GROUP BY customer_id
) t ON t.customer_id = c.id
LEFT JOIN (
    SELECT customer_id, MAX(occurred_at) AS last_visit_at
    FROM accounts_visit
    WHERE occurred_at < %(visit_until)s
    GROUP BY customer_id
) v ON v.customer_id = c.id
LEFT JOIN accounts_industryfit f ON f.industry = c.industry AND c.industry <> ''
LEFT JOIN (
    SELECT ticks.customer_id, CAST(ROUND(SUM(item.weight) * 100) AS BIGINT) AS ticked
    FROM accounts_customer_fit_criteria ticks
    JOIN accounts_fitcriterion item ON item.id = ticks.fitcriterion_id
    WHERE item.is_active
    GROUP BY ticks.customer_id
) k ON k.customer_id = c.id
CROSS JOIN (
    SELECT CAST(ROUND(COALESCE(SUM(weight), 0) * 100) AS BIGINT) AS total
    FROM accounts_fitcriterion
    WHERE is_active
) w
ORDER BY c.id
"""

CHUNK = 50_000


def load_inputs(*, as_of: date) -> engine.Inputs:
    """Every customer's inputs at `as_of`, as arrays: one query, streamed in chunks."""
    tz = timezone.get_current_timezone()
    visit_until = datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=tz)
    window = SalesWindow(as_of)
    params = {
        "as_of": window.as_of,
        "start": window.start,
        "prev_start": window.prev_start,
        "visit_until": visit_until,
    }
    n = Customer.objects.count()
    ints = {
        name: np.zeros(n, dtype=np.int64)
        for name in ("ids", "sales", "prev", "margin", "orders", "days", "fit_ticked", "owners")
    }
    small = {
        name: np.zeros(n, dtype=np.int8)
        for name in ("potential", "demonstration", "winnability", "need", "capability")
    }
    fit_total = 0
    flags = {name: np.zeros(n, dtype=bool) for name in ("is_customer", "ordered_before")}
    filled = 0
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(INPUT_SQL, params)
        while rows := cursor.fetchmany(CHUNK):
            if filled + len(rows) > n:  # customers added since the count: grow the arrays
                extra = filled + len(rows) - n
                for group in (ints, small, flags):
                    for name, array in group.items():
                        group[name] = np.concatenate([array, np.zeros(extra, dtype=array.dtype)])
                n += extra
            end = filled + len(rows)
            columns = list(zip(*rows, strict=True))
            ints["ids"][filled:end] = columns[0]
            flags["is_customer"][filled:end] = [status == CustomerStatus.CUSTOMER for status in columns[1]]
            small["potential"][filled:end] = columns[2]
            small["demonstration"][filled:end] = columns[3]
            small["winnability"][filled:end] = columns[4]
            ints["sales"][filled:end] = columns[5]
            ints["prev"][filled:end] = columns[6]
            ints["margin"][filled:end] = columns[7]
            ints["orders"][filled:end] = columns[8]
            flags["ordered_before"][filled:end] = columns[9]
            ints["days"][filled:end] = [_days_since(value, as_of, tz) for value in columns[10]]
            small["need"][filled:end] = columns[11]
            small["capability"][filled:end] = columns[12]
            ints["fit_ticked"][filled:end] = columns[13]
            fit_total = columns[14][0]  # one value for all rows, read in the same statement
            ints["owners"][filled:end] = columns[15]
            filled = end
    trim = slice(0, filled)  # customers deleted since the count
    return engine.Inputs(
        ids=ints["ids"][trim],
        is_customer=flags["is_customer"][trim],
        sales_12m=ints["sales"][trim],
        sales_prev_12m=ints["prev"][trim],
        margin_12m=ints["margin"][trim],
        orders_12m=ints["orders"][trim],
        ordered_before=flags["ordered_before"][trim],
        has_open_opportunity=_open_opportunities(ints["ids"][trim]),
        days_since_visit=ints["days"][trim],
        potential=small["potential"][trim],
        demonstration=small["demonstration"][trim],
        winnability=small["winnability"][trim],
        industry_need=small["need"][trim],
        industry_capability=small["capability"][trim],
        fit_ticked=ints["fit_ticked"][trim],
        fit_total=int(fit_total),
        owner_ids=ints["owners"][trim],
    )


def _days_since(value, as_of: date, tz) -> int:
    if value is None:
        return engine.NEVER
    if isinstance(value, str):  # SQLite returns raw text from a raw query
        value = datetime.fromisoformat(value)
    if timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return (as_of - value.astimezone(tz).date()).days


def _open_opportunities(ids: np.ndarray) -> np.ndarray:
    """Customers with an open opportunity (a prospect with one is in 'acquisition')."""
    from pipeline.selectors import customers_with_open_opportunities

    open_ids = customers_with_open_opportunities()
    return np.isin(ids, np.fromiter(open_ids, dtype=np.int64, count=len(open_ids)))


# --- Writing the results -----------------------------------------------------------------

# The COPY's columns: the customer, then the standing's results in their order (accounts.models
# STANDING_FIELDS), which is the order _result_columns builds them in; scored_at is the run's time.
RESULT_COLUMNS = ("customer_id", *(name for name in STANDING_FIELDS if name != "scored_at"))

# SQLite: the results land in a temporary table first. PostgreSQL: they are COPYed straight
# into the next standing table (below), which is the one table the run writes row by row.
CREATE_RESULT_TABLE = f"CREATE TEMPORARY TABLE scoring_result {RESULT_TABLE_COLUMNS}"

_TIER_RANK_SQL = "CASE {col} " + " ".join(f"WHEN '{t}' THEN {i}" for t, i in TIER_ORDER.items()) + " END"

# The customers whose tier the run moves: the new results against the standing they replace
# (two narrow tables joined on their keys). A customer's first tier is not a change.
INSERT_TIER_CHANGES = f"""
INSERT INTO scoring_tierchange (run_id, customer_id, from_tier, to_tier, direction)
SELECT %(run)s, n.customer_id, o.tier, n.tier,
       CASE WHEN {_TIER_RANK_SQL.format(col="n.tier")} < {_TIER_RANK_SQL.format(col="o.tier")}
            THEN 'upgrade' ELSE 'downgrade' END
FROM {{results}} n
JOIN accounts_customerstanding o ON o.customer_id = n.customer_id
WHERE o.tier <> '' AND o.tier <> n.tier
"""

# The audit trail's copy of each tier change, written by the same statement set: one row per
# changed customer, attributed to the run's starter (none for the nightly run) and to the job.
_TIER_AUDIT = """
INSERT INTO audit_auditevent
    (at, actor_id, actor_name, source, origin, action, object_type, object_id, object_repr, customer_id, changes)
SELECT %(now)s, %(actor)s, %(actor_name)s, 'job', %(origin)s, 'update', 'customer', c.id, SUBSTR(c.name, 1, 200),
       c.id, {changes}
FROM scoring_tierchange t
JOIN accounts_customer c ON c.id = t.customer_id
WHERE t.run_id = %(run)s
"""
INSERT_TIER_AUDIT = {
    True: _TIER_AUDIT.format(changes="jsonb_build_object('tier', jsonb_build_array(t.from_tier, t.to_tier))"),
    False: _TIER_AUDIT.format(changes="json_object('tier', json_array(t.from_tier, t.to_tier))"),
}


def _tier_audit_params(run: ScoringRun, now) -> dict:
    starter = run.started_by
    return {
        "now": now,
        "run": run.pk,
        "actor": starter.pk if starter else None,
        "actor_name": starter.get_username() if starter else "",
        "origin": f"scoring run {run.pk}",
    }


# Everything a run finds goes to the narrow accounts_customerstanding, never onto the wide customer
# row (a dozen indexes the lists need, and a trigram one). On PostgreSQL the run builds the table
# anew beside the live one (COPY, then its indexes in one sorted pass each, then ANALYZE) and swaps
# it in by rename as the last statements of its transaction: readers keep the previous table until
# the commit and wait only for the rename; nothing is updated in place, so nothing is left dead,
# however many customers move. The run scores every customer there was when it loaded its inputs;
# one created since has no standing yet (it reads as never scored) until the next run.
_STANDING = "accounts_customerstanding"
_STANDING_NEXT = "accounts_customerstanding_next"
# name in the next table → the live table's name (the model's: accounts.CustomerStanding.Meta)
_STANDING_INDEXES = {
    "standing_tier": "(tier)",
    "standing_score_desc": "(score DESC, customer_id)",
    "standing_abc": "(abc_class)",
    "standing_key": "(is_key_account)",
    "standing_sales_desc": "(sales_12m DESC, customer_id)",
    "standing_owner": "(owner_id)",
}
# Customers deleted while the run computed: their results are dropped before the swap. Checked
# by a count of the customers the run loaded (one index-only scan), the anti-join only if short.
_LOADED_STILL_THERE = "SELECT COUNT(*) FROM accounts_customer WHERE id <= %(last)s"
_DROP_DELETED = """
DELETE FROM {results} WHERE NOT EXISTS (SELECT 1 FROM accounts_customer c WHERE c.id = {results}.customer_id)
"""

# Customers given another owner while the run computed: the trigger of migrations accounts/0017
# and 0018 kept the live table in step, not the one being built, and noted each in the log, which
# holds the customers reassigned since the last swap (a few a day), read by their primary key.
_OWNER_LOG = "accounts_standing_owner_log"
_OWNERS_NOW = f"""
UPDATE {{results}} n SET owner_id = c.owner_id FROM accounts_customer c
WHERE c.id IN (SELECT customer_id FROM {_OWNER_LOG})
  AND n.customer_id = c.id AND c.owner_id IS DISTINCT FROM n.owner_id
"""


def _drop_deleted(cursor, results: str, loaded: engine.Results) -> None:
    if not len(loaded.ids):
        return
    cursor.execute(_LOADED_STILL_THERE, {"last": int(loaded.ids.max())})
    if cursor.fetchone()[0] < len(loaded.ids):
        cursor.execute(_DROP_DELETED.format(results=results))


def _standing_next(cursor, now) -> None:
    """A fresh, empty, index-less copy of the standing table, its `scored_at` defaulting to now."""
    cursor.execute(f"DROP TABLE IF EXISTS {_STANDING_NEXT}")
    cursor.execute(
        f"CREATE TABLE {_STANDING_NEXT} (LIKE {_STANDING} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
    )
    cursor.execute(f"ALTER TABLE {_STANDING_NEXT} ALTER COLUMN scored_at SET DEFAULT %s", [now])


def _standing_index(cursor) -> None:
    cursor.execute(f"ALTER TABLE {_STANDING_NEXT} ALTER COLUMN scored_at DROP DEFAULT")
    cursor.execute(
        f"ALTER TABLE {_STANDING_NEXT} ADD CONSTRAINT {_STANDING_NEXT}_pkey PRIMARY KEY (customer_id)"
    )
    for name, columns in _STANDING_INDEXES.items():
        cursor.execute(f"CREATE INDEX {name}_next ON {_STANDING_NEXT} {columns}")
    # The planner's statistics for the readers, from a sample of 3,000 rows (the columns are a
    # handful of classes and flags, and numbers read by range): a tenth of the default's work.
    cursor.execute("SET LOCAL default_statistics_target = 10")
    cursor.execute(f"ANALYZE {_STANDING_NEXT}")
    cursor.execute("SET LOCAL default_statistics_target TO DEFAULT")


def _standing_swap(cursor, loaded: engine.Results) -> None:
    # An exclusive lock on the live table, held only until the commit that follows. Every
    # customer query reads it, and queues behind a waiting lock request: so the run waits at most
    # SCORING_SWAP_LOCK_TIMEOUT for a long reader to finish, then fails (OperationalError: the
    # task retries the run with backoff) rather than stall every page behind that reader.
    cursor.execute(f"SET LOCAL lock_timeout = {int(settings.SCORING_SWAP_LOCK_TIMEOUT_MS)}")
    cursor.execute(f"LOCK TABLE {_STANDING} IN ACCESS EXCLUSIVE MODE")
    cursor.execute("SET LOCAL lock_timeout TO DEFAULT")
    # Under the lock: a customer deleted before it is gone from the live table (its delete
    # took the table's row lock and has committed); one deleted after waits, then finds the
    # new table by its name.
    _drop_deleted(cursor, _STANDING_NEXT, loaded)
    # And the owners again: one changed since the load committed its trigger's update of the live
    # table, and its note in the log, before this lock was granted, so it is read here; one
    # changing now waits for the lock in its trigger, then updates the new table and notes it
    # after this commit (read again, harmlessly, by the next run).
    cursor.execute(_OWNERS_NOW.format(results=_STANDING_NEXT))
    cursor.execute(f"TRUNCATE {_OWNER_LOG}")
    cursor.execute(f"DROP TABLE {_STANDING}")
    cursor.execute(f"ALTER TABLE {_STANDING_NEXT} RENAME TO {_STANDING}")
    cursor.execute(f"ALTER TABLE {_STANDING} RENAME CONSTRAINT {_STANDING_NEXT}_pkey TO {_STANDING}_pkey")
    for name in _STANDING_INDEXES:
        cursor.execute(f"ALTER INDEX {name}_next RENAME TO {name}")


def _standing_replace_sqlite(cursor, now) -> None:
    cursor.execute(f"DELETE FROM {_STANDING} WHERE customer_id IN (SELECT customer_id FROM scoring_result)")
    columns = ", ".join(RESULT_COLUMNS)
    results = ", ".join(f"r.{name}" for name in RESULT_COLUMNS)
    cursor.execute(
        f"INSERT INTO {_STANDING} ({columns}, scored_at, owner_id) SELECT {results}, %s, c.owner_id"
        " FROM scoring_result r JOIN accounts_customer c ON c.id = r.customer_id",
        [now],
    )


_HUNDREDTHS = np.array([f".{i:02d}" for i in range(100)])
# Scores, fit scores and percent ranks are 0.00–100.00: their text is looked up, not built.
_PERCENT_TEXT = np.array([f"{i // 100}.{i % 100:02d}" for i in range(10_001)])


def _money_text(cents: np.ndarray) -> list[str]:
    """Integer cents → exact decimal text ('-12.05'), vectorised."""
    if len(cents) and 0 <= cents.min() and cents.max() <= 10_000:
        return _PERCENT_TEXT[cents].tolist()
    absolute = np.abs(cents)
    text = list(
        map(str.__add__, (absolute // 100).astype(str).tolist(), _HUNDREDTHS[absolute % 100].tolist())
    )
    for i in np.flatnonzero(cents < 0).tolist():
        text[i] = "-" + text[i]
    return text


def _owner_text(owners: np.ndarray) -> list[str]:
    return np.where(owners == 0, "\\N", owners.astype(str)).tolist()  # 0: no owner, NULL


def _result_columns(results: engine.Results, *, booleans: tuple[str, str]) -> list[list]:
    true, false = booleans
    return [
        results.ids.astype(str).tolist(),
        _money_text(results.score_centi),
        _money_text(results.fit_centi),
        results.rank.astype(str).tolist(),
        results.tier.tolist(),
        results.abc_class.tolist(),
        np.where(results.is_key_account, true, false).tolist(),
        results.size_class.tolist(),
        results.value_class.tolist(),
        results.matrix_quadrant.tolist(),
        results.lifecycle_stage.tolist(),
        np.where(results.churn_risk, true, false).tolist(),
        _money_text(results.sales_12m),
        _money_text(results.sales_rank_centi),
    ]


RESULT_ARRAYS = tuple(name for name in engine.Results.__dataclass_fields__ if name != "owner_ids")
# Rows per COPY chunk: the chunk's columns as Python strings are the write stage's memory.
COPY_CHUNK = 50_000


def _fill_results(cursor, table: str, results: engine.Results) -> None:
    if connection.vendor == "postgresql":
        for start in range(0, len(results.ids), COPY_CHUNK):
            part = slice(start, start + COPY_CHUNK)
            chunk = engine.Results(*(getattr(results, f)[part] for f in RESULT_ARRAYS))
            columns = _result_columns(chunk, booleans=("t", "f"))  # all text: joined without str()
            columns.append(_owner_text(results.owner_ids[part]))
            text = "\n".join(map("\t".join, zip(*columns, strict=True))) + "\n"
            del columns
            cursor.copy_expert(
                f"COPY {table} ({', '.join(RESULT_COLUMNS)}, owner_id) FROM STDIN", io.StringIO(text)
            )
    else:
        placeholders = ", ".join(["%s"] * len(RESULT_COLUMNS))
        rows = list(zip(*_result_columns(results, booleans=(1, 0)), strict=True))
        cursor.executemany(f"INSERT INTO {table} ({', '.join(RESULT_COLUMNS)}) VALUES ({placeholders})", rows)


def write_results(*, run: ScoringRun, results: engine.Results) -> None:
    """All results, events and snapshots, and the run's success, in one transaction."""
    now = timezone.now()
    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        # A second delivery of the same run waits here for the first, then finds it finished.
        if not ScoringRun.objects.select_for_update().filter(pk=run.pk, in_flight=True).exists():
            logger.info("scoring run %s: already finished, nothing written", run.pk)
            return
        with connection.cursor() as cursor:
            raw = cursor.cursor if postgres else cursor
            if postgres:
                table = _STANDING_NEXT
                _standing_next(cursor, now)
                _fill_results(raw, table, results)
                _standing_index(cursor)
            else:
                table = "scoring_result"
                cursor.execute("DROP TABLE IF EXISTS scoring_result")
                cursor.execute(CREATE_RESULT_TABLE)
                _fill_results(raw, table, results)
            # Customers deleted while the run computed (on PostgreSQL again under the swap's lock,
            # for a delete racing this one).
            _drop_deleted(cursor, table, results)
            cursor.execute(INSERT_TIER_CHANGES.format(results=table), {"run": run.pk})
            changes = cursor.rowcount
            cursor.execute(INSERT_TIER_AUDIT[postgres], _tier_audit_params(run, now))
            scored = history.snapshots_write(cursor, run_id=run.pk, results=table)
            if postgres:
                _standing_swap(cursor, results)
            else:
                _standing_replace_sqlite(cursor, now)
                cursor.execute("DROP TABLE scoring_result")
        run.status, run.in_flight, run.progress = RunStatus.SUCCEEDED, None, 100
        run.customers_scored, run.tier_changes, run.finished_at = scored, max(changes, 0), now
        run.save(
            update_fields=[
                "status",
                "in_flight",
                "progress",
                "customers_scored",
                "tier_changes",
                "finished_at",
            ]
        )
        emit(
            EventType.SCORING_RUN_FINISHED,
            data={
                "run_id": run.pk,
                "as_of": run.as_of.isoformat(),
                "model_version": run.model.version,
                "customers_scored": run.customers_scored,
                "tier_changes": run.tier_changes,
            },
            audience=[run.started_by_id] if run.started_by_id else [],
        )
    logger.info("scoring run %s: %s customers, %s tier changes", run.pk, scored, changes)


# --- Reading results ---------------------------------------------------------------------


def run_preview(*, settings: dict) -> dict:
    """How many customers would change tier if these settings were saved (nothing is written)."""
    current = scoring_model_active()
    candidate = ScoringModel(**{name: getattr(current, name) for name in ScoringModel.SETTING_FIELDS})
    for name, value in settings.items():
        if name not in ScoringModel.SETTING_FIELDS:
            raise ValidationError({name: [_("Unknown setting.")]})
        setattr(candidate, name, value)
    candidate.full_clean(exclude=["is_active", "version"])
    inputs = load_inputs(as_of=timezone.localdate())
    proposed = engine.score_population(inputs, candidate.to_parameters())
    now = engine.score_population(inputs, current.to_parameters())
    stored = dict(Customer.objects.values_list("id", "tier"))
    current_tiers = np.array([stored.get(int(i), "") or "" for i in inputs.ids], dtype="<U8")
    baseline = np.where(current_tiers == "", now.tier, current_tiers)
    moved = proposed.tier != baseline
    order = np.array([TIER_ORDER[t] for t in proposed.tier.tolist()]) if len(inputs.ids) else np.array([])
    base_order = np.array([TIER_ORDER[t] for t in baseline.tolist()]) if len(inputs.ids) else np.array([])
    return {
        "customers": int(len(inputs.ids)),
        "would_change_tier": int(moved.sum()),
        "upgrades": int((order < base_order).sum()) if len(inputs.ids) else 0,
        "downgrades": int((order > base_order).sum()) if len(inputs.ids) else 0,
        "tier_counts": {tier: int((proposed.tier == tier).sum()) for tier in engine.TIERS},
        "key_accounts": int(proposed.is_key_account.sum()),
    }
