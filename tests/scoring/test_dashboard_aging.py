"""The dashboard's aging panel (GET /api/v1/dashboard/aging/): open receivables by days past due
per team, rep and customer for a hand-built book, filters, visibility, the CSV, the schema and
the number of queries."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from receivables import services
from receivables.services import PaymentRow
from scoring import dashboard
from tests.factories import CustomerFactory, TeamFactory, UserFactory
from tests.receivables.conftest import won_opportunity
from users.models import Role

pytestmark = pytest.mark.django_db

URL = "/api/v1/dashboard/aging/"
BUCKETS = ("not_due", "days_1_30", "days_31_60", "days_61_90", "over_90")


def D(value: str) -> Decimal:  # noqa: N802 - reads as the amount it is
    return Decimal(value)


def plan(customer, by, *installments):
    """A plan with installments given as (days past due today, amount)."""
    today = timezone.localdate()
    schedule = [(today - timedelta(days=days), D(amount)) for days, amount in installments]
    services.plan_create(
        opportunity=won_opportunity(customer, title=f"合同 {customer.name}"),
        by=by,
        contract_amount=sum((amount for _due, amount in schedule), D("0")),
        installments=schedule,
    )


def pay(customer, by, reference: str, amount: str) -> None:
    row = PaymentRow(
        customer_id=customer.pk, reference=reference, received_on=timezone.localdate(), amount=D(amount)
    )
    services.payments_upsert(rows=[row], by=by)


@pytest.fixture
def rep2(team):
    user = UserFactory(username="rep2", role=Role.REP, last_name="张", first_name="伟")
    team.members.add(user)
    return user


@pytest.fixture
def book(rep, rep2, other_rep, manager, admin_user):
    """The manager's team: rep and rep2; other_rep is in another team. Days past due today:

    customer  owner      installments (days: amount), payments     open by bucket
    A1        rep        95: 100, 5: 200, −10: 300                 >90 100, 1–30 200, not due 300
    A2        rep        31: 1000, paid 400                         31–60 600
    B1        rep2       61: 70, 30: 50, paid 70 (华南)              1–30 50 (the 61-day one paid)
    B2        rep2       90: 80, 0: 20                              61–90 80, not due 20
    S         rep        10: 10, paid 10                            nothing open: no row
    X         other_rep  100: 999                                   not the manager's
    """
    customers = {
        "A1": CustomerFactory(name="A1", owner=rep),
        "A2": CustomerFactory(name="A2", owner=rep),
        "B1": CustomerFactory(name="B1", owner=rep2, region="华南"),
        "B2": CustomerFactory(name="B2", owner=rep2),
        "S": CustomerFactory(name="S", owner=rep),
        "X": CustomerFactory(name="X", owner=other_rep),
    }
    plan(customers["A1"], rep, (95, "100.00"), (5, "200.00"), (-10, "300.00"))
    plan(customers["A2"], rep, (31, "1000.00"))
    pay(customers["A2"], manager, "A2-1", "400.00")
    plan(customers["B1"], rep2, (61, "70.00"), (30, "50.00"))
    pay(customers["B1"], manager, "B1-1", "70.00")
    plan(customers["B2"], rep2, (90, "80.00"), (0, "20.00"))
    plan(customers["S"], rep, (10, "10.00"))
    pay(customers["S"], manager, "S-1", "10.00")
    plan(customers["X"], admin_user, (100, "999.00"))
    return customers


def get(api_client, user, **params) -> dict:
    api_client.force_authenticate(user)
    response = api_client.get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()


def amounts(row: dict) -> tuple:
    return tuple(row[key] for key in (*BUCKETS, "overdue", "open"))


def test_open_amounts_by_bucket_per_team_rep_and_customer(api_client, manager, team, rep, rep2, book):
    data = get(api_client, manager)

    #                        not due   1–30      31–60     61–90    >90       overdue    open
    assert amounts(data["total"]) == ("320.00", "250.00", "600.00", "80.00", "100.00", "1030.00", "1350.00")
    assert data["customers_count"] == 4
    assert [(row["team_name"], amounts(row)) for row in data["teams"]] == [
        (team.name, ("320.00", "250.00", "600.00", "80.00", "100.00", "1030.00", "1350.00")),
    ]
    assert [(row["owner_name"], amounts(row), row["credit_risk"]) for row in data["reps"]] == [
        (rep.display_name, ("300.00", "200.00", "600.00", "0.00", "100.00", "900.00", "1200.00"), True),
        ("张伟", ("20.00", "50.00", "0.00", "80.00", "0.00", "130.00", "150.00"), True),
    ]
    assert [(row["name"], amounts(row), row["credit_risk"]) for row in data["rows"]] == [
        ("A2", ("0.00", "0.00", "600.00", "0.00", "0.00", "600.00", "600.00"), True),  # 31 days: at risk
        ("A1", ("300.00", "200.00", "0.00", "0.00", "100.00", "300.00", "600.00"), True),
        ("B2", ("20.00", "0.00", "0.00", "80.00", "0.00", "80.00", "100.00"), True),
        ("B1", ("0.00", "50.00", "0.00", "0.00", "0.00", "50.00", "50.00"), False),  # 30 days: not yet
    ]
    assert data["rows"][0]["owner_name"] == rep.display_name
    assert data["as_of"] == timezone.localdate().isoformat()


def test_a_rep_sees_only_their_customers(api_client, rep, book):
    data = get(api_client, rep)

    assert [row["name"] for row in data["rows"]] == ["A2", "A1"]
    assert data["total"]["open"] == "1200.00"


def test_filters_and_an_admin_sees_everyone(api_client, admin_user, other_rep, book):
    assert get(api_client, admin_user)["total"]["open"] == "2349.00"
    team_b = other_rep.teams.get()
    by_team = get(api_client, admin_user, team=team_b.pk)
    assert [row["name"] for row in by_team["rows"]] == ["X"]
    assert amounts(by_team["teams"][0])[4] == "999.00"
    assert [row["name"] for row in get(api_client, admin_user, region="华南")["rows"]] == ["B1"]
    empty = get(api_client, admin_user, industry="没有这个行业")
    assert (empty["total"]["open"], empty["rows"], empty["teams"], empty["customers_count"]) == (
        "0.00",
        [],
        [],
        0,
    )


def test_another_teams_manager_sees_none_of_it(api_client, book):
    stranger = UserFactory(role=Role.MANAGER)
    TeamFactory(name="别的团队").managers.add(stranger)

    assert get(api_client, stranger)["total"]["open"] == "0.00"


def test_paying_moves_the_money_out_of_the_buckets(api_client, manager, book):
    pay(book["A1"], manager, "A1-1", "300.00")  # the 95-day and the 5-day installment

    row = next(row for row in get(api_client, manager)["rows"] if row["name"] == "A1")

    assert amounts(row) == ("300.00", "0.00", "0.00", "0.00", "0.00", "0.00", "300.00")
    assert row["credit_risk"] is False


def test_the_page_lists_the_first_customers_and_the_csv_all_of_them(api_client, manager, book, monkeypatch):
    monkeypatch.setattr(dashboard, "AGING_SHOWN", 2)

    data = get(api_client, manager)
    response = api_client.get(URL, {"download": "csv"})

    assert [row["name"] for row in data["rows"]] == ["A2", "A1"]
    assert data["customers_count"] == 4
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(row["name"], row["over_90"], row["open"], row["credit_risk"]) for row in rows] == [
        ("A2", "0.00", "600.00", "true"),
        ("A1", "100.00", "600.00", "true"),
        ("B2", "0.00", "100.00", "true"),
        ("B1", "0.00", "50.00", "false"),
    ]
    assert list(rows[0]) == ["id", "name", "owner", "owner_name", *BUCKETS, "open", "overdue", "credit_risk"]


def test_bad_filters_are_a_400(api_client, manager):
    api_client.force_authenticate(manager)

    assert api_client.get(URL, {"team": "x"}).status_code == 400
    assert api_client.get(URL, {"download": "xlsx"}).status_code == 400


@pytest.mark.parametrize("n", [1, 12])
def test_the_panel_takes_a_fixed_number_of_queries(api_client, manager, rep, n, django_assert_num_queries):
    for i in range(n):
        plan(CustomerFactory(owner=rep), rep, (i * 11, "100.00"), (i * 11 - 20, "50.00"))
    api_client.force_authenticate(manager)

    # visibility check, then the total, the customers with money open, the teams, the reps and
    # the customers
    with django_assert_num_queries(6):
        response = api_client.get(URL)
    assert len(response.json()["rows"]) == n


def test_the_schema_describes_the_panel(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    operation = schema["paths"]["/api/v1/dashboard/aging/"]["get"]
    reference = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    panel = schema["components"]["schemas"][reference.rsplit("/", 1)[1]]
    assert {"total", "teams", "reps", "rows", "customers_count"} <= set(panel["properties"])
    names = schema["paths"]["/api/v1/dashboard/{name}/"]["get"]["parameters"][0]["schema"]["enum"]
    assert "aging" not in names
