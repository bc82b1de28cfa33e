"""Scoring runs against the database: inputs, write-back, snapshots, events, one run at a time."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection

from accounts.models import Customer
from scoring.engine import NEVER
from scoring.models import RunStatus, ScoreSnapshot, ScoringModel, ScoringRun, TierChange
from scoring.services import (
    load_inputs,
    run_execute,
    run_preview,
    run_request,
    run_retry,
    scoring_model_active,
    scoring_model_save,
)
from tests.factories import CustomerFactory, TransactionFactory, VisitFactory

# A run writes its results with COPY on PostgreSQL and INSERT on SQLite: `make test` runs this
# module on SQLite as well.
pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

AS_OF = date(2026, 6, 30)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def populate():
    """Five customers, the engine tests' hand-worked population (see test_engine.FIVE)."""
    ratings = {
        1: {"potential": 5, "demonstration": 3, "winnability": 4},
        2: {"potential": 2, "winnability": 5},
        3: {},
        4: {"potential": 5, "demonstration": 5, "winnability": 5},
        5: {"potential": 3, "demonstration": 3, "winnability": 3},
    }
    sales = {1: 500, 2: 300, 3: 300, 4: 0, 5: 100}
    customers = {}
    for key in range(1, 6):
        customer = CustomerFactory(name=f"客户{key}", status="customer", **ratings[key])
        if sales[key]:
            # Two rows each, one inside the window and one credit note: sums are what count.
            TransactionFactory(
                customer=customer, occurred_on=AS_OF - timedelta(days=10), amount=sales[key] + 50
            )
            TransactionFactory(customer=customer, occurred_on=AS_OF, amount=-50, margin=Decimal("-1"))
        customers[key] = customer
    return customers


def scored(customers, key):
    return Customer.objects.get(pk=customers[key].pk)


def test_load_inputs_aggregates_in_one_pass():
    customers = populate()
    TransactionFactory(
        customer=customers[1], occurred_on=AS_OF - timedelta(days=400), amount=Decimal("70.50")
    )
    TransactionFactory(customer=customers[1], occurred_on=AS_OF + timedelta(days=1), amount=1000)  # future
    VisitFactory(customer=customers[2])  # today: after the as-of date, so not counted
    VisitFactory(customer=customers[3], occurred_at=datetime(2026, 6, 20, 9, 30, tzinfo=SHANGHAI))

    inputs = load_inputs(as_of=AS_OF)

    first = list(inputs.ids).index(customers[1].pk)
    assert inputs.sales_12m[first] == 50_000  # cents
    assert inputs.sales_prev_12m[first] == 7_050
    assert inputs.orders_12m[first] == 2
    assert bool(inputs.ordered_before[first]) is True
    assert inputs.potential[first] == 5
    assert len(inputs.ids) == 5
    days = dict(zip(inputs.ids.tolist(), inputs.days_since_visit.tolist(), strict=True))
    assert days[customers[3].pk] == 10
    assert days[customers[2].pk] == NEVER


def test_a_run_writes_results_and_snapshots(eager_celery, django_capture_on_commit_callbacks):
    customers = populate()
    with django_capture_on_commit_callbacks(execute=True):
        run, created = run_request(by=None, as_of=AS_OF)

    run.refresh_from_db()
    assert created
    assert run.status == RunStatus.SUCCEEDED
    assert run.progress == 100
    assert run.customers_scored == 5
    assert run.model == scoring_model_active()
    assert run.in_flight is None
    assert scored(customers, 1).score == Decimal("88.75")
    assert scored(customers, 1).tier == "platinum"
    assert scored(customers, 1).is_key_account is True
    assert scored(customers, 1).sales_12m == Decimal("500.00")
    assert scored(customers, 5).abc_class == "B"
    assert scored(customers, 4).matrix_quadrant == "develop"
    assert scored(customers, 1).value_class == "MVC"  # all margins tie at 1,999: lowest id first
    assert scored(customers, 3).scored_at is not None
    assert ScoreSnapshot.objects.filter(run=run).count() == 5
    # The first run moves nobody: there was no tier before.
    assert not TierChange.objects.exists()


def test_a_second_run_records_tier_changes():
    customers = populate()
    first, _ = run_request(by=None, as_of=AS_OF, enqueue=False)
    run_execute(run_id=first.pk)
    # Customer 1's year is cancelled by a credit note. By hand: scores become c4 60.00,
    # c2 52.50, c5 50.00, c1 48.75, c3 30.00 → platinum c4; iron c2, c5; lead c1, c3.
    TransactionFactory(customer=customers[1], occurred_on=AS_OF, amount=-500)

    second, _ = run_request(by=None, as_of=AS_OF, enqueue=False)
    run_execute(run_id=second.pk)

    changes = {
        c.customer_id: (c.from_tier, c.to_tier, c.direction) for c in TierChange.objects.filter(run=second)
    }
    assert changes == {
        customers[4].pk: ("iron", "platinum", "upgrade"),
        customers[5].pk: ("lead", "iron", "upgrade"),
        customers[1].pk: ("platinum", "lead", "downgrade"),
    }
    assert ScoringRun.objects.get(pk=second.pk).tier_changes == 3
    assert scored(customers, 1).score == Decimal("48.75")
    assert ScoreSnapshot.objects.filter(customer=customers[1]).count() == 2


def test_only_one_run_at_a_time():
    populate()
    first, created = run_request(by=None, as_of=AS_OF, enqueue=False)
    again, created_again = run_request(by=None, as_of=AS_OF, enqueue=False)
    assert created
    assert not created_again
    assert again == first
    assert ScoringRun.objects.count() == 1


def test_run_execute_twice_is_harmless():
    populate()
    run, _ = run_request(by=None, as_of=AS_OF, enqueue=False)
    run_execute(run_id=run.pk)
    run_execute(run_id=run.pk)
    assert ScoreSnapshot.objects.count() == 5
    assert ScoringRun.objects.get(pk=run.pk).attempts == 1


def test_an_interrupted_run_starts_over_and_completes():
    populate()
    run, _ = run_request(by=None, as_of=AS_OF, enqueue=False)
    ScoringRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, progress=60, attempts=1)

    run_execute(run_id=run.pk)

    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert run.attempts == 2


def failing_tier_changes():
    """A database trigger that refuses every tier-change row: the run's write fails midway, after
    its results are written and before they are swapped in."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION kam_test_refuse() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'refused by test trigger'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER kam_test_refuse BEFORE INSERT ON scoring_tierchange "
                "FOR EACH ROW EXECUTE FUNCTION kam_test_refuse()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER kam_test_refuse BEFORE INSERT ON scoring_tierchange "
                "BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END"
            )


def allow_tier_changes():
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER kam_test_refuse"
            + (" ON scoring_tierchange" if connection.vendor == "postgresql" else "")
        )
        if connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION kam_test_refuse()")


@pytest.mark.django_db(transaction=True)
def test_a_failed_write_leaves_the_previous_results_intact_and_a_retry_completes():
    customers = populate()
    first, _ = run_request(by=None, as_of=AS_OF, enqueue=False)
    run_execute(run_id=first.pk)
    TransactionFactory(customer=customers[1], occurred_on=AS_OF, amount=-500)
    second, _ = run_request(by=None, as_of=AS_OF, enqueue=False)

    failing_tier_changes()
    try:
        with pytest.raises(DatabaseError):
            run_execute(run_id=second.pk)
    finally:
        allow_tier_changes()

    # Nothing of the failed attempt is visible: old scores, no snapshots, no events.
    assert scored(customers, 1).tier == "platinum"
    assert scored(customers, 4).tier == "iron"
    assert not ScoreSnapshot.objects.filter(run=second).exists()
    assert not TierChange.objects.filter(run=second).exists()

    run_execute(run_id=second.pk)  # the task's retry

    assert scored(customers, 4).tier == "platinum"
    assert ScoringRun.objects.get(pk=second.pk).status == RunStatus.SUCCEEDED


def test_a_failed_run_can_be_retried():
    populate()
    run, _ = run_request(by=None, as_of=AS_OF, enqueue=False)
    ScoringRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, in_flight=None, error="boom")
    run.refresh_from_db()

    run_retry(run=run)

    run.refresh_from_db()
    assert (run.status, run.in_flight, run.error) == (RunStatus.QUEUED, True, "")
    with pytest.raises(ValidationError):
        run_retry(run=run)  # not failed any more


def test_future_as_of_is_refused():
    with pytest.raises(ValidationError):
        run_request(by=None, as_of=date(2999, 1, 1))


def test_saving_the_model_makes_a_new_active_version(manager):
    first = scoring_model_active()
    new = scoring_model_save(by=manager, note="more weight on sales", weight_sales=Decimal(50))

    assert new.version == first.version + 1
    assert new.is_active
    assert new.weight_sales == Decimal(50)
    assert new.weight_potential == first.weight_potential
    assert ScoringModel.objects.filter(is_active=True).get() == new
    first.refresh_from_db()
    assert not first.is_active


@pytest.mark.parametrize(
    "bad",
    [
        {"tier_platinum_share": Decimal(30)},  # above gold (20)
        {"weight_sales": 0, "weight_potential": 0, "weight_demonstration": 0, "weight_winnability": 0},
        {"abc_a_share": Decimal(101)},
        {"weight_sales": Decimal(-1)},
        {"nonsense": 1},
    ],
)
def test_invalid_model_settings_write_nothing(bad):
    before = scoring_model_active()
    with pytest.raises(ValidationError):
        scoring_model_save(by=None, **bad)
    assert ScoringModel.objects.get(is_active=True) == before
    assert ScoringModel.objects.count() == 1


def test_preview_counts_tier_changes_without_writing():
    customers = populate()
    run, _ = run_request(by=None, as_of=AS_OF, enqueue=False)
    run_execute(run_id=run.pk)

    preview = run_preview(settings={"tier_platinum_share": Decimal(40), "tier_gold_share": Decimal(40)})

    assert preview["customers"] == 5
    assert preview["tier_counts"]["platinum"] == 2
    assert preview["would_change_tier"] >= 1
    assert scored(customers, 1).tier == "platinum"  # nothing written
    assert ScoringModel.objects.count() == 1
