"""Dashboard aggregates against a hand-computed population, under the manager's visibility."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Customer
from scoring.dashboard import NAMES
from scoring.services import run_execute, run_request
from tests.factories import CustomerFactory, OpportunityFactory, TransactionFactory, VisitFactory

pytestmark = pytest.mark.django_db

# Whole population n = 5 (PERCENT_RANK divides by 4). By hand:
#   name  owner      region  sales  potential  sales dim  score          tier      ABC  quadrant
#   A     rep        华东    600    5          75         30+30 = 60.00  platinum  A    key
#   E     other_rep  华东    1000   -          100        40.00          iron      A    maintain
#   C     rep        华南    100    4          25         10+22.5=32.50  iron      C    develop
#   B     rep        华东    300    2          50         20+7.5 = 27.50 lead      B    maintain
#   D     rep        华东    0      -          0          0.00           lead      C    basic
# The manager (of rep's team) sees A, B, C, D: revenue 1,000.


@pytest.fixture
def population(rep, other_rep, manager):
    today = timezone.localdate()
    spec = [
        ("A", rep, "华东", 600, 5),
        ("B", rep, "华东", 300, 2),
        ("C", rep, "华南", 100, 4),
        ("D", rep, "华东", 0, None),
        ("E", other_rep, "华东", 1000, None),
    ]
    customers = {}
    for name, owner, region, sales, potential in spec:
        customer = CustomerFactory(
            name=f"客户{name}", owner=owner, region=region, status="customer", potential=potential
        )
        if sales:
            TransactionFactory(
                customer=customer, occurred_on=today - timedelta(days=20), amount=sales, margin=10
            )
        customers[name] = customer
    run, _ = run_request(by=None, enqueue=False)
    run_execute(run_id=run.pk)
    return customers


def get(api_client, user, name, **params):
    api_client.force_authenticate(user)
    response = api_client.get(f"/api/v1/dashboard/{name}/", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_pyramid(api_client, manager, population):
    rows = {row["tier"]: row for row in get(api_client, manager, "pyramid")["rows"]}
    assert {tier: row["count"] for tier, row in rows.items()} == {
        "platinum": 1,
        "gold": 0,
        "iron": 1,
        "lead": 2,
    }
    assert {tier: row["revenue_share"] for tier, row in rows.items()} == {
        "platinum": 60.0, "gold": 0.0, "iron": 10.0, "lead": 30.0
    }  # fmt: skip


def test_pyramid_region_filter(api_client, manager, population):
    rows = {row["tier"]: row["count"] for row in get(api_client, manager, "pyramid", region="华东")["rows"]}
    assert rows == {"platinum": 1, "gold": 0, "iron": 0, "lead": 2}


def test_admin_sees_everyone(api_client, admin_user, population):
    rows = {row["tier"]: row["count"] for row in get(api_client, admin_user, "pyramid")["rows"]}
    assert rows == {"platinum": 1, "gold": 0, "iron": 2, "lead": 2}


def test_pareto(api_client, manager, population):
    data = get(api_client, manager, "pareto")
    points = [(row["customers"], row["customer_share"], row["revenue_share"]) for row in data["rows"]]
    assert points == [(1, 25.0, 60.0), (2, 50.0, 90.0), (3, 75.0, 100.0), (4, 100.0, 100.0)]
    assert data["a_customer_share"] == 25.0  # only A is class A among the manager's four


def test_concentration(api_client, manager, population):
    data = get(api_client, manager, "concentration")
    values = {row["measure"]: row["value"] for row in data["rows"]}
    assert values == {"top1_share": 60.0, "top10_share": 100.0, "hhi": 4600.0}  # 60² + 30² + 10²
    assert set(data["warnings"]) == {"top1", "top10", "hhi"}


def test_matrix(api_client, manager, population):
    data = get(api_client, manager, "matrix")
    assert {row["quadrant"]: row["count"] for row in data["rows"]} == {
        "key": 1, "develop": 1, "maintain": 1, "basic": 1
    }  # fmt: skip
    assert {point["name"] for point in data["points"]} == {"客户A", "客户B", "客户C", "客户D"}
    by_name = {point["name"]: point["value_rank"] for point in data["points"]}
    assert by_name["客户A"] == 75.0  # the run's rank among all five customers: 3 of 4 below A
    assert by_name["客户D"] == 0.0


def test_movements_show_only_visible_customers(api_client, manager, population):
    today = timezone.localdate()
    TransactionFactory(customer=population["D"], occurred_on=today, amount=5000)  # D overtakes everyone
    Customer.objects.filter(pk=population["D"].pk).update(potential=5)
    TransactionFactory(customer=population["E"], occurred_on=today, amount=-1000)  # E drops to nothing
    run, _ = run_request(by=None, enqueue=False)
    run_execute(run_id=run.pk)

    data = get(api_client, manager, "movements")

    names = {row["name"]: (row["from_tier"], row["to_tier"], row["direction"]) for row in data["rows"]}
    assert names["客户D"] == ("lead", "platinum", "upgrade")
    assert "客户E" not in names
    assert data["run"]["id"] == run.pk
    assert data["upgrades"] + data["downgrades"] == len(data["rows"])


def test_churn_funnel_activity_trend(api_client, manager, rep, other_rep, population, gate_items):
    OpportunityFactory(
        customer=population["A"], stage="closing", probability=80, expected_amount=Decimal(1000)
    )
    OpportunityFactory(customer=population["E"], stage="closing", probability=80)  # not the manager's
    VisitFactory(customer=population["A"], by=rep)
    VisitFactory(customer=population["B"], by=rep)
    VisitFactory(customer=population["E"], by=other_rep)

    funnel = {row["stage"]: row for row in get(api_client, manager, "funnel")["rows"]}
    assert funnel["closing"]["count"] == 1
    assert funnel["closing"]["amount"] == 1000.0

    activity = get(api_client, manager, "activity")
    assert [(row["username"], row["name"], row["visits"]) for row in activity["rows"]] == [
        ("rep1", rep.last_name + rep.first_name, 2)
    ]
    assert activity["key_accounts"]["key_accounts"] == 1  # A

    trend = get(api_client, manager, "trend")["rows"]
    assert {(row["tier"], row["customers"]) for row in trend} == {("platinum", 1), ("iron", 1), ("lead", 2)}
    assert get(api_client, manager, "churn")["count"] >= 0


def test_reps_see_only_their_own_numbers(api_client, other_rep, population):
    rows = {row["tier"]: row["count"] for row in get(api_client, other_rep, "pyramid")["rows"]}
    assert rows == {"platinum": 0, "gold": 0, "iron": 1, "lead": 0}


def test_unknown_dashboard_is_404_and_bad_filters_400(api_client, manager):
    api_client.force_authenticate(manager)
    assert api_client.get("/api/v1/dashboard/nonsense/").status_code == 404
    assert api_client.get("/api/v1/dashboard/pyramid/", {"team": "abc"}).status_code == 400
    response = api_client.get("/api/v1/dashboard/activity/", {"start": "2026-05-01", "end": "2026-04-01"})
    assert response.status_code == 400
    assert "end" in response.json()


def test_anonymous_is_401(api_client):
    assert api_client.get("/api/v1/dashboard/pyramid/").status_code == 401


def test_csv_download(api_client, manager, population):
    api_client.force_authenticate(manager)
    response = api_client.get("/api/v1/dashboard/pyramid/", {"download": "csv"})
    text = response.content.decode("utf-8")
    assert response["Content-Type"].startswith("text/csv")
    assert text.startswith("\ufefftier,count,revenue,revenue_share")
    assert "platinum,1,600.00,60.00" in text


@pytest.mark.parametrize("name", NAMES)
def test_each_dashboard_runs_a_constant_number_of_queries(
    api_client, manager, rep, name, django_assert_max_num_queries
):
    today = timezone.localdate()

    def grow(count):
        for _ in range(count):
            customer = CustomerFactory(owner=rep, status="customer", potential=3)
            TransactionFactory(customer=customer, occurred_on=today, amount=100)
            VisitFactory(customer=customer, by=rep)
            OpportunityFactory(customer=customer)

    grow(3)
    run, _ = run_request(by=None, enqueue=False)
    run_execute(run_id=run.pk)
    api_client.force_authenticate(manager)
    with django_assert_max_num_queries(20) as few:
        api_client.get(f"/api/v1/dashboard/{name}/")
    grow(30)
    run, _ = run_request(by=None, enqueue=False)
    run_execute(run_id=run.pk)
    with django_assert_max_num_queries(len(few)):
        api_client.get(f"/api/v1/dashboard/{name}/")
