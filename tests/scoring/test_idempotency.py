"""The scoring tasks are idempotent: a message delivered twice writes its results once.

With acks_late a task is acknowledged only after it finishes, so the broker hands the same
message out again when a worker dies, even one that died after the run's commit but before
the acknowledgement. The second delivery must leave the run, the customers, the snapshots, the
tier changes and the audit trail exactly as the first left them. The nightly task must not
start a second run while one is in flight.
"""

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from accounts.models import Customer
from scoring.models import RunStatus, ScoreSnapshot, ScoringRun, TierChange
from scoring.services import run_execute, run_request
from scoring.tasks import longest_possible_run, nightly_scoring, run_scoring
from tests.factories import CustomerFactory, TransactionFactory

pytestmark = pytest.mark.django_db


def population() -> list[Customer]:
    """Six customers, scored once; then the biggest one's year is cancelled, so the next run
    moves it from iron to lead and the third customer from lead to iron."""
    today = timezone.localdate()
    customers = []
    for i in range(6):
        customer = CustomerFactory(name=f"幂等客户{i}", status="customer", potential=(i % 5) + 1)
        TransactionFactory(customer=customer, occurred_on=today - timedelta(days=5), amount=1000 * (i + 1))
        customers.append(customer)
    first, _ = run_request(by=None, enqueue=False)
    run_execute(run_id=first.pk)
    TransactionFactory(customer=customers[-1], occurred_on=today, amount=Decimal(-6000))
    return customers


def audit_rows() -> int:
    if not apps.is_installed("audit"):
        return 0
    return apps.get_model("audit", "AuditEvent").objects.count()


def state(run: ScoringRun) -> dict:
    """Everything a run writes, down to the timestamps."""
    return {
        "run": ScoringRun.objects.filter(pk=run.pk)
        .values(
            "status", "in_flight", "progress", "attempts", "customers_scored", "tier_changes", "finished_at"
        )
        .get(),
        "customers": list(
            Customer.objects.order_by("pk").values_list("pk", "score", "tier", "abc_class", "scored_at")
        ),
        "snapshots": list(
            ScoreSnapshot.objects.filter(run=run)
            .order_by("customer")
            .values_list("customer", "score", "tier")
        ),
        "tier_changes": list(
            TierChange.objects.filter(run=run)
            .order_by("customer")
            .values_list("customer", "from_tier", "to_tier")
        ),
        "audit_rows": audit_rows(),
    }


def waiting_on_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend' AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def deliver(run: ScoringRun) -> int:
    """One delivery of the run's message, executed in this process as a worker would."""
    return run_scoring.apply(args=[run.pk], throw=True).get()


def test_a_message_delivered_again_after_the_run_finished_writes_nothing():
    customers = population()
    run, _ = run_request(by=None, enqueue=False)

    assert deliver(run) == run.pk
    first = state(run)
    assert deliver(run) == run.pk

    assert state(run) == first
    assert first["run"]["status"] == RunStatus.SUCCEEDED
    assert first["run"]["attempts"] == 1
    assert len(first["snapshots"]) == 6
    assert first["tier_changes"] == [(customers[2].pk, "lead", "iron"), (customers[5].pk, "iron", "lead")]
    assert first["run"]["tier_changes"] == 2


def test_a_message_redelivered_after_its_worker_died_completes_the_run_once():
    population()
    run, _ = run_request(by=None, enqueue=False)
    # What a worker killed mid-run leaves: running, 60 %, nothing written (one transaction).
    ScoringRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, progress=60, attempts=1, started_at=timezone.now()
    )
    audit_before = audit_rows()

    assert deliver(run) == run.pk
    completed = state(run)
    assert deliver(run) == run.pk

    assert state(run) == completed
    assert completed["run"]["status"] == RunStatus.SUCCEEDED
    assert completed["run"]["attempts"] == 2
    assert len(completed["snapshots"]) == 6
    if apps.is_installed("audit"):  # one audit row per tier change, not two
        assert completed["audit_rows"] - audit_before == len(completed["tier_changes"])


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_deliveries_running_at_once_write_the_results_once(postgres):
    """A duplicate that runs alongside the first fails on the unique snapshot and tier-change
    rows and rolls back whole; the task reports success because the run did finish."""
    customers = population()
    run, _ = run_request(by=None, enqueue=False)
    audit_before = audit_rows()

    # Hold both deliveries inside their write transaction: the tier changes are locked
    # against inserts, so the first waits there and the second waits on the first's run row.
    blocker = connection.copy()
    blocker.connect()
    blocker.set_autocommit(False)
    blocker.cursor().execute("LOCK TABLE scoring_tierchange IN SHARE ROW EXCLUSIVE MODE")
    outcomes = []

    def delivery():
        try:
            outcomes.append(deliver(run))
        except Exception as error:  # noqa: BLE001 — reported by the assertion below
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=delivery) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while waiting_on_locks() < 2:
            assert time.monotonic() < deadline, "both deliveries should be waiting on locks"
            time.sleep(0.05)
    finally:
        blocker.rollback()
        blocker.close()
        for thread in threads:
            thread.join(timeout=60)

    assert outcomes == [run.pk, run.pk]
    after = state(run)
    assert after["run"]["status"] == RunStatus.SUCCEEDED
    assert after["run"]["progress"] == 100
    assert len(after["snapshots"]) == 6
    assert after["tier_changes"] == [(customers[2].pk, "lead", "iron"), (customers[5].pk, "iron", "lead")]
    assert after["run"]["tier_changes"] == 2
    if apps.is_installed("audit"):
        assert after["audit_rows"] - audit_before == len(after["tier_changes"])


@pytest.mark.parametrize("status", [RunStatus.QUEUED, RunStatus.RUNNING])
def test_the_nightly_task_does_not_start_a_second_run_while_one_is_in_flight(status):
    population()
    run, _ = run_request(by=None, enqueue=False)
    ScoringRun.objects.filter(pk=run.pk).update(status=status)

    assert nightly_scoring() is None

    assert list(ScoringRun.objects.filter(in_flight=True).values_list("pk", "status")) == [(run.pk, status)]
    assert ScoringRun.objects.count() == 2  # the population's first run and this one


def test_the_nightly_task_scores_when_nothing_is_in_flight(eager_celery, django_capture_on_commit_callbacks):
    population()

    with django_capture_on_commit_callbacks(execute=True):
        run_id = nightly_scoring()

    run = ScoringRun.objects.get(pk=run_id)
    assert (run.trigger, run.status, run.customers_scored) == ("schedule", RunStatus.SUCCEEDED, 6)


def test_the_nightly_task_fails_a_run_that_lost_its_message_and_queues_tonights(
    django_capture_on_commit_callbacks,
):
    """Redis restarted without persistence while a run was queued: nothing will ever run it."""
    population()
    lost, _ = run_request(by=None, enqueue=False)
    ScoringRun.objects.filter(pk=lost.pk).update(
        created_at=timezone.now() - longest_possible_run() - timedelta(minutes=1)
    )

    with django_capture_on_commit_callbacks() as queued:
        run_id = nightly_scoring()

    lost.refresh_from_db()
    assert (lost.status, lost.in_flight) == (RunStatus.FAILED, None)
    assert lost.error == "lost: no worker finished it in time"
    tonight = ScoringRun.objects.get(pk=run_id)
    assert (tonight.status, tonight.in_flight, tonight.trigger) == (RunStatus.QUEUED, True, "schedule")
    assert len(queued) == 1  # its message goes to the broker once the transaction commits


def test_a_run_younger_than_the_longest_possible_run_is_not_taken_for_lost():
    population()
    slow, _ = run_request(by=None, enqueue=False)
    ScoringRun.objects.filter(pk=slow.pk).update(
        status=RunStatus.RUNNING, created_at=timezone.now() - longest_possible_run() + timedelta(minutes=5)
    )

    assert nightly_scoring() is None
    assert ScoringRun.objects.get(pk=slow.pk).status == RunStatus.RUNNING


def test_a_run_retried_today_is_not_taken_for_lost_for_having_first_been_requested_long_ago(
    django_capture_on_commit_callbacks,
):
    from scoring.services import run_mark_failed, run_retry

    population()
    old, _ = run_request(by=None, enqueue=False)
    run_mark_failed(run_id=old.pk, error="database unavailable")
    ScoringRun.objects.filter(pk=old.pk).update(created_at=timezone.now() - longest_possible_run() * 2)
    old.refresh_from_db()
    with django_capture_on_commit_callbacks():
        run_retry(run=old)

    assert nightly_scoring() is None  # the retried run is in flight and young: left alone
    assert ScoringRun.objects.get(pk=old.pk).status == RunStatus.QUEUED
