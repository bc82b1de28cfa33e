"""Where a run writes: every result in the narrow standing table (swapped in whole on PostgreSQL),
never on the customer row, read back as customer attributes."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from accounts.models import Customer, CustomerStanding
from pipeline.models import Opportunity
from scoring import engine
from scoring.models import ScoreSnapshot
from scoring.services import load_inputs, run_execute, run_request, write_results
from tests.factories import CustomerFactory, OpportunityFactory, TransactionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

AS_OF = date(2026, 6, 30)


def score(as_of: date = AS_OF):
    run, _created = run_request(by=None, as_of=as_of, enqueue=False)
    run_execute(run_id=run.pk)
    run.refresh_from_db()
    return run


@pytest.fixture
def population():
    customers = []
    for i in range(12):
        customer = CustomerFactory(name=f"客户{i:02}", status="customer", potential=1 + i % 5)
        TransactionFactory(customer=customer, occurred_on=AS_OF - timedelta(days=20), amount=1000 * (i + 1))
        customers.append(customer)
    return customers


def row_versions() -> dict[int, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, xmin::text FROM accounts_customer")
        return dict(cursor.fetchall())


def test_the_numbers_read_as_before_from_the_standing(population):
    run = score()
    for customer in Customer.objects.all():
        snapshot = ScoreSnapshot.objects.get(run=run, customer=customer)
        assert (customer.score, customer.sales_12m) == (snapshot.score, snapshot.sales_12m)
        assert customer.scored_at is not None
    best = Customer.objects.order_by("-score", "id").first()
    assert best.score == max(ScoreSnapshot.objects.filter(run=run).values_list("score", flat=True))
    assert Customer.objects.filter(sales_12m__gte=Decimal("12000")).count() == 1
    assert Customer.objects.values("score").count() == 12
    # A customer reached through another row reads its standing too (one query).
    OpportunityFactory(customer=population[11])
    opportunity = Opportunity.objects.select_related("customer").get()
    with CaptureQueriesContext(connection) as queries:
        assert opportunity.customer.sales_12m == Decimal("12000.00")  # on the row
        assert opportunity.customer.score is not None
        assert opportunity.customer.scored_at is not None
    assert len(queries) == 1


def test_an_unscored_customer_has_no_numbers_and_sorts_last(population):
    score()
    newcomer = CustomerFactory(name="新客户", status="prospect")
    fresh = Customer.objects.get(pk=newcomer.pk)
    assert (fresh.score, fresh.sales_12m, fresh.sales_rank, fresh.scored_at) == (None, None, None, None)
    in_list_order = Customer.objects.order_by(F("score").desc(nulls_last=True), "id")  # the list's "-score"
    assert in_list_order.last().pk == newcomer.pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row versions are PostgreSQL's")
def test_no_run_rewrites_a_customer_row_not_even_the_first(population):
    before = row_versions()
    first = score()  # every customer's classes go from empty to a value
    assert first.customers_scored == 12
    assert row_versions() == before
    second = score(AS_OF + timedelta(days=1))  # a day on: scores may move, classes do not
    assert second.tier_changes == 0
    assert row_versions() == before
    assert CustomerStanding.objects.count() == 12


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the swap is PostgreSQL's")
def test_the_standing_is_a_new_table_with_the_models_indexes(population):
    def relation():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 'accounts_customerstanding'::regclass::oid")
            return cursor.fetchone()[0]

    score()
    first = relation()
    score(AS_OF + timedelta(days=1))
    assert relation() != first
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'accounts_customerstanding' ORDER BY indexname"
        )
        names = [row[0] for row in cursor.fetchall()]
    assert names == [
        "accounts_customerstanding_pkey",
        "standing_abc",
        "standing_key",
        "standing_owner",
        "standing_sales_desc",
        "standing_score_desc",
        "standing_tier",
    ]


def test_a_moved_customer_moves_in_the_standing_not_on_its_row(population):
    score()
    moved = population[0]
    TransactionFactory(customer=moved, occurred_on=AS_OF, amount=1_000_000)
    Customer.objects.filter(pk=moved.pk).update(potential=5, demonstration=5, winnability=5)
    with CaptureQueriesContext(connection) as queries:
        run = score()
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().startswith("UPDATE accounts_customer ")
    ]
    assert writes == []
    assert run.tier_changes >= 1  # others move down a place around it
    assert Customer.objects.get(pk=moved.pk).tier == "platinum"
    assert CustomerStanding.objects.get(customer=moved).tier == "platinum"


def test_a_customer_deleted_while_the_run_computes_is_left_out(population):
    gone = CustomerFactory(name="将删除的客户", status="prospect")
    run, _created = run_request(by=None, as_of=AS_OF, enqueue=False)
    results = engine.score_population(load_inputs(as_of=AS_OF), run.model.to_parameters())
    assert gone.pk in results.ids
    gone.delete()
    write_results(run=run, results=results)
    run.refresh_from_db()
    assert run.customers_scored == 12
    assert CustomerStanding.objects.count() == 12
    assert not CustomerStanding.objects.filter(customer_id=gone.pk).exists()
    assert not ScoreSnapshot.objects.filter(run=run, customer_id=gone.pk).exists()


def test_deleting_a_customer_deletes_its_standing(population):
    gone = CustomerFactory(name="将删除的客户", status="prospect")
    score()
    assert CustomerStanding.objects.count() == 13
    gone.delete()
    assert not CustomerStanding.objects.filter(customer_id=gone.pk).exists()
    assert not ScoreSnapshot.objects.filter(customer_id=gone.pk).exists()
    score()  # and the next run does not miss it
    assert CustomerStanding.objects.count() == 12


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the swap is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_long_reader_makes_the_run_fail_cleanly_instead_of_stalling_every_page(settings):
    """A reader holds the standing table past the swap's lock timeout: the run gives up with an
    OperationalError (its task retries it) and leaves the previous results whole."""
    import psycopg2
    from django.db import OperationalError

    for i in range(3):
        customer = CustomerFactory(name=f"客户{i}", status="customer", potential=1 + i)
        TransactionFactory(customer=customer, occurred_on=AS_OF - timedelta(days=5), amount=100 * (i + 1))
    score()
    before = list(Customer.objects.order_by("id").values_list("id", "score", "tier", "scored_at"))
    settings.SCORING_SWAP_LOCK_TIMEOUT_MS = 200
    s = connection.settings_dict
    reader = psycopg2.connect(
        dbname=s["NAME"], user=s["USER"], host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432
    )
    try:
        reader.cursor().execute("SELECT count(*) FROM accounts_customerstanding")  # holds ACCESS SHARE
        run, _created = run_request(by=None, as_of=AS_OF + timedelta(days=1), enqueue=False)
        with pytest.raises(OperationalError):
            run_execute(run_id=run.pk)
    finally:
        reader.rollback()
        reader.close()
    assert list(Customer.objects.order_by("id").values_list("id", "score", "tier", "scored_at")) == before
    assert not ScoreSnapshot.objects.filter(run=run).exists()
    run_execute(run_id=run.pk)  # the retry, once the reader is gone
    assert ScoreSnapshot.objects.filter(run=run).count() == 3
