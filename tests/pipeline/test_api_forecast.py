"""/api/v1/pipeline/forecast/: the weighted pipeline over the opportunities the caller may see."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from pipeline.models import StageChange
from tests.factories import CustomerFactory, OpportunityFactory, TeamFactory

# Sums and averages of amounts and dates: `make test` runs this module on SQLite as well.
pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

URL = "/api/v1/pipeline/forecast/"


@pytest.fixture
def book(rep, other_rep, manager):
    """Hand-computed: rep's open deals 100k×10% + 200k×60% + 50k×80% = 10k + 120k + 40k = 170k;
    manager's 400k×25% = 100k; won 1, lost 2; other_rep's (another team) 999,999 is never seen."""
    east = CustomerFactory(owner=rep, region="华东", tier="gold")
    north = CustomerFactory(owner=manager, region="华北", tier="iron")
    rows = {
        "a": OpportunityFactory(customer=east, expected_amount=Decimal(100_000), probability=10,
                                expected_close_on=date(2036, 12, 15)),
        "b": OpportunityFactory(customer=east, expected_amount=Decimal(200_000), probability=60,
                                stage="relationship", expected_close_on=date(2036, 12, 1)),
        "c": OpportunityFactory(customer=east, expected_amount=Decimal(50_000), probability=80, stage="closing",
                                expected_close_on=date(2037, 1, 10)),
        "d": OpportunityFactory(customer=north, expected_amount=Decimal(400_000), probability=25,
                                stage="information"),
        "won": OpportunityFactory(customer=east, stage="won", probability=100),
        "lost1": OpportunityFactory(customer=east, stage="lost", probability=0, lost_reason="价格"),
        "lost2": OpportunityFactory(customer=north, stage="lost", probability=0, lost_reason="价格"),
        "hidden": OpportunityFactory(customer=CustomerFactory(owner=other_rep), expected_amount=Decimal(999_999),
                                     probability=80, stage="closing", expected_close_on=date(2036, 12, 20)),
    }  # fmt: skip
    now = timezone.now()
    for opportunity, from_stage, days in [
        (rows["b"], "target", "2.00"),
        (rows["c"], "target", "4.00"),
        (rows["c"], "information", "5.50"),
        (rows["hidden"], "target", "90.00"),  # not visible: not averaged
    ]:
        StageChange.objects.create(
            opportunity=opportunity, from_stage=from_stage, to_stage="information", at=now - timedelta(days=1),
            days_in_stage=Decimal(days),
        )  # fmt: skip
    return rows


def forecast(client, **params) -> dict:
    response = client.get(URL, params)
    assert response.status_code == 200, response.json()
    return response.json()


def test_the_managers_forecast_by_hand(api_client, manager, rep, team, book):
    api_client.force_authenticate(manager)

    body = forecast(api_client)

    assert body["open"] == {"count": 4, "amount": "750000.00", "weighted": "270000.00"}
    assert body["by_month"] == [
        {"month": "2036-12-01", "count": 2, "amount": "300000.00", "weighted": "130000.00"},
        {"month": "2037-01-01", "count": 1, "amount": "50000.00", "weighted": "40000.00"},
        {"month": None, "count": 1, "amount": "400000.00", "weighted": "100000.00"},
    ]
    assert body["by_owner"] == [
        {
            "owner": rep.pk,
            "username": "rep1",
            "owner_name": rep.last_name + rep.first_name,
            "count": 3,
            "amount": "350000.00",
            "weighted": "170000.00",
        },
        {
            "owner": manager.pk,
            "username": "manager",
            "owner_name": manager.last_name + manager.first_name,
            "count": 1,
            "amount": "400000.00",
            "weighted": "100000.00",
        },
    ]
    # The manager manages 华东大客户部 without being a member: only rep's deals count for it.
    assert body["by_team"] == [
        {"team": team.pk, "name": "华东大客户部", "count": 3, "amount": "350000.00", "weighted": "170000.00"}
    ]
    assert (body["won"], body["lost"], body["win_rate"]) == (1, 2, "33.33")
    assert body["avg_days_in_stage"] == {
        "target": "3.0", "information": "5.5", "evaluation": None, "relationship": None, "closing": None,
    }  # fmt: skip


def test_a_rep_forecasts_their_own_opportunities_only(api_client, rep, book):
    api_client.force_authenticate(rep)

    body = forecast(api_client)

    assert body["open"] == {"count": 3, "amount": "350000.00", "weighted": "170000.00"}
    assert [row["username"] for row in body["by_owner"]] == ["rep1"]
    assert (body["won"], body["lost"]) == (1, 1)


def test_an_admin_forecasts_everything(api_client, admin_user, book):
    api_client.force_authenticate(admin_user)

    body = forecast(api_client)

    # 999,999 × 80% has cents, which SQLite's integer division of whole amounts once dropped.
    assert body["open"] == {"count": 5, "amount": "1749999.00", "weighted": "1069999.20"}
    assert body["avg_days_in_stage"]["target"] == "32.0"  # (2 + 4 + 90) / 3


@pytest.mark.parametrize(
    ("params", "weighted"),
    [
        ({"region": "华东"}, "170000.00"),
        ({"tier": "iron"}, "100000.00"),
        ({"close_month": "2036-12"}, "130000.00"),
        ({"owner": "manager"}, "100000.00"),
        ({"team": "team"}, "170000.00"),
        ({"region": "华南"}, "0.00"),
    ],
)
def test_forecast_filters(api_client, manager, team, book, params, weighted, request):
    params = {
        name: request.getfixturevalue(value).pk if name in ("owner", "team") else value
        for name, value in params.items()
    }
    api_client.force_authenticate(manager)

    assert forecast(api_client, **params)["open"]["weighted"] == weighted


def test_another_teams_filter_shows_nothing(api_client, rep, book):
    api_client.force_authenticate(rep)
    their_team = TeamFactory(name="华南大客户部")

    body = forecast(api_client, team=their_team.pk)

    assert body["open"] == {"count": 0, "amount": "0.00", "weighted": "0.00"}
    assert (body["by_month"], body["by_owner"], body["by_team"], body["win_rate"]) == ([], [], [], None)


@pytest.mark.parametrize(
    "params",
    [{"owner": "abc"}, {"team": "0"}, {"tier": "diamond"}, {"close_month": "2026-13"}, {"region": "\x00"}],
)
def test_invalid_forecast_filters_are_400_naming_the_parameter(api_client, rep, params):
    api_client.force_authenticate(rep)

    response = api_client.get(URL, params)

    assert response.status_code == 400
    assert set(response.json()) == set(params)


def test_the_forecast_runs_a_constant_number_of_queries(api_client, rep, manager, django_assert_num_queries):
    api_client.force_authenticate(manager)

    def opportunities(n):
        for _ in range(n):
            OpportunityFactory(customer=CustomerFactory(owner=rep), expected_close_on=date(2026, 12, 1))

    opportunities(3)
    with django_assert_num_queries(7):
        assert forecast(api_client)["open"]["count"] == 3
    opportunities(27)
    with django_assert_num_queries(7):
        assert forecast(api_client)["open"]["count"] == 30
