"""The dashboard's coverage panel (GET /api/v1/dashboard/coverage/): compliance with the service
levels per tier and per rep for a hand-built team, the overdue accounts, filters, visibility,
the CSV and the number of queries."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import VisitKind
from scoring import dashboard
from servicing.models import AccountReview
from tests.factories import CustomerFactory, TeamFactory, UserFactory, VisitFactory
from users.models import Role

pytestmark = pytest.mark.django_db

URL = "/api/v1/dashboard/coverage/"


def seen(customer, days: int, kind: str = VisitKind.VISIT) -> None:
    VisitFactory(customer=customer, kind=kind, occurred_at=timezone.now() - timedelta(days=days))


def reviewed(customer, days: int) -> None:
    day = timezone.localdate() - timedelta(days=days)
    AccountReview.objects.create(customer=customer, reviewed_on=day, period_start=day, period_end=day)


@pytest.fixture
def rep2(team):
    user = UserFactory(username="rep2", role=Role.REP, last_name="张", first_name="伟")
    team.members.add(user)
    return user


@pytest.fixture
def book(rep, rep2, other_rep):
    """The manager's team: rep and rep2; other_rep is in another team.

    customer  owner      tier      seen                         coverage
    P1        rep        platinum  visit, executive, review 3d  on track
    G1        rep        gold      executive 25d, review 25d    due (visit: 25 > 30 − 7)
    L1        rep        lead      never                        overdue (never)
    I1        rep2       iron      visit 10d, review 10d        on track
    L2        rep2       lead      visit 95d                    overdue by 5 days
    U1        rep2       —         visit 10d (follows lead)     on track (region 华南)
    X         other_rep  gold      never                        overdue (not the manager's)
    """
    p1 = CustomerFactory(name="P1", owner=rep, tier="platinum")
    seen(p1, 3, VisitKind.EXECUTIVE)
    reviewed(p1, 3)
    g1 = CustomerFactory(name="G1", owner=rep, tier="gold")
    seen(g1, 25, VisitKind.EXECUTIVE)
    reviewed(g1, 25)
    l1 = CustomerFactory(name="L1", owner=rep, tier="lead")
    i1 = CustomerFactory(name="I1", owner=rep2, tier="iron")
    seen(i1, 10)
    reviewed(i1, 10)
    l2 = CustomerFactory(name="L2", owner=rep2, tier="lead")
    seen(l2, 95)
    u1 = CustomerFactory(name="U1", owner=rep2, tier="", region="华南")
    seen(u1, 10)
    x = CustomerFactory(name="X", owner=other_rep, tier="gold")
    return {"P1": p1, "G1": g1, "L1": l1, "I1": i1, "L2": l2, "U1": u1, "X": x}


def get(api_client, user, **params) -> dict:
    api_client.force_authenticate(user)
    response = api_client.get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()


def counts(row: dict) -> tuple:
    return row["customers"], row["on_track"], row["due"], row["overdue"], row["compliance"]


def test_compliance_per_tier_and_rep_for_a_team(api_client, manager, rep, rep2, book):
    data = get(api_client, manager)

    assert counts(data["total"]) == (6, 3, 1, 2, "66.67")
    assert {row["tier"]: counts(row) for row in data["tiers"]} == {
        "platinum": (1, 1, 0, 0, "100.00"),
        "gold": (1, 0, 1, 0, "100.00"),  # due is not overdue
        "iron": (1, 1, 0, 0, "100.00"),
        "lead": (2, 0, 0, 2, "0.00"),
        None: (1, 1, 0, 0, "100.00"),  # not tiered yet
    }
    assert [(row["owner__username"], row["owner_name"], counts(row)) for row in data["reps"]] == [
        ("rep1", rep.display_name, (3, 1, 1, 1, "66.67")),
        ("rep2", "张伟", (3, 2, 0, 1, "66.67")),
    ]
    assert data["overdue_count"] == 2
    assert [
        (row["name"], row["requirement"], row["last_on"], row["days_overdue"]) for row in data["rows"]
    ] == [
        ("L1", "visit", None, None),  # never: most overdue
        ("L2", "visit", (timezone.localdate() - timedelta(days=95)).isoformat(), 5),
    ]
    assert data["rows"][1]["next_due_on"] == (timezone.localdate() - timedelta(days=5)).isoformat()
    assert data["as_of"] == timezone.localdate().isoformat()


def test_compliance_rises_when_the_overdue_are_seen(api_client, manager, book):
    assert get(api_client, manager)["total"]["compliance"] == "66.67"

    seen(book["L1"], 0)
    seen(book["L2"], 0)

    assert get(api_client, manager)["total"]["compliance"] == "100.00"


def test_a_rep_sees_only_their_accounts(api_client, rep, book):
    data = get(api_client, rep)

    assert counts(data["total"]) == (3, 1, 1, 1, "66.67")
    assert [row["owner__username"] for row in data["reps"]] == ["rep1"]
    assert [row["name"] for row in data["rows"]] == ["L1"]


def test_an_admin_sees_everyone_and_filters(api_client, admin_user, book, other_rep):
    assert get(api_client, admin_user)["total"]["customers"] == 7
    team_b = other_rep.teams.get()
    assert [row["name"] for row in get(api_client, admin_user, team=team_b.pk)["rows"]] == ["X"]
    assert get(api_client, admin_user, region="华南")["total"]["customers"] == 1
    assert get(api_client, admin_user, industry="没有这个行业")["total"] == {
        "customers": 0,
        "on_track": 0,
        "due": 0,
        "overdue": 0,
        "compliance": None,
    }


def test_another_teams_manager_sees_none_of_it(api_client, book):
    stranger = UserFactory(role=Role.MANAGER)
    TeamFactory(name="别的团队").managers.add(stranger)

    assert get(api_client, stranger)["total"]["customers"] == 0


def test_the_page_lists_the_first_overdue_and_the_csv_all_of_them(api_client, manager, book, monkeypatch):
    monkeypatch.setattr(dashboard, "COVERAGE_SHOWN", 1)

    data = get(api_client, manager)
    response = api_client.get(URL, {"download": "csv"})

    assert [row["name"] for row in data["rows"]] == ["L1"]
    assert data["overdue_count"] == 2
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(row["name"], row["requirement"], row["days_overdue"]) for row in rows] == [
        ("L1", "visit", ""),
        ("L2", "visit", "5"),
    ]
    assert list(rows[0]) == [
        "id",
        "name",
        "tier",
        "owner__username",
        "owner_name",
        "requirement",
        "last_on",
        "next_due_on",
        "days_overdue",
    ]


def test_bad_filters_are_a_400(api_client, manager):
    api_client.force_authenticate(manager)

    assert api_client.get(URL, {"team": "x"}).status_code == 400
    assert api_client.get(URL, {"download": "xlsx"}).status_code == 400


@pytest.mark.both_databases
@pytest.mark.parametrize("n", [1, 12])
def test_the_panel_takes_a_fixed_number_of_queries(api_client, manager, rep, n, django_assert_num_queries):
    for i in range(n):
        customer = CustomerFactory(owner=rep, tier=["platinum", "gold", "iron", "lead", ""][i % 5])
        seen(customer, i * 9)
        reviewed(customer, i * 13)
    api_client.force_authenticate(manager)

    # visibility check, the policies, the counts, the overdue accounts (each of the last two
    # with JIT switched off first on PostgreSQL)
    with django_assert_num_queries(6 if connection.vendor == "postgresql" else 4):
        api_client.get(URL)


def test_the_schema_describes_the_panel(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    operation = schema["paths"]["/api/v1/dashboard/coverage/"]["get"]
    reference = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    panel = schema["components"]["schemas"][reference.rsplit("/", 1)[1]]
    assert {"total", "tiers", "reps", "overdue_count", "rows"} <= set(panel["properties"])
    names = schema["paths"]["/api/v1/dashboard/{name}/"]["get"]["parameters"][0]["schema"]["enum"]
    assert "coverage" not in names
