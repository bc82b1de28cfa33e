"""/api/v1/opportunities/: create, read, change, filter and delete; the stage is not writable."""

from datetime import date
from decimal import Decimal

import pytest

from accounts.models import AccountTeamMember, Customer
from pipeline.models import Opportunity, StageChange
from pipeline.services import opportunity_update
from tests.factories import CustomerFactory, OpportunityFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/opportunities/"
HUGE_ID = 10**30


def row(opportunity) -> dict | None:
    return Opportunity.objects.filter(pk=opportunity.pk).values().first()


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["results"]]


@pytest.fixture
def customer(rep):
    return CustomerFactory(owner=rep, name="华信集团", status="prospect")


@pytest.fixture
def opportunity(customer):
    return OpportunityFactory(customer=customer, title="年度框架协议", expected_amount=Decimal(500_000))


# --- Create and read -------------------------------------------------------------------------


def test_create_starts_at_target_with_the_default_probability(api_client, rep, customer, gate_items):
    api_client.force_authenticate(rep)

    response = api_client.post(
        URL,
        {"customer": customer.pk, "title": "年度框架协议", "expected_amount": "500000", "expected_close_on": "2026-12-15"},
        format="json",
    )  # fmt: skip

    assert response.status_code == 201, response.json()
    body = response.json()
    opportunity = Opportunity.objects.get()
    assert body["id"] == opportunity.pk
    assert {key: body[key] for key in ("customer", "customer_name", "title", "stage", "owner")} == {
        "customer": customer.pk, "customer_name": "华信集团", "title": "年度框架协议", "stage": "target",
        "owner": rep.pk,
    }  # fmt: skip
    assert (body["expected_amount"], body["probability"], body["probability_overridden"]) == (
        "500000.00",
        10,
        False,
    )
    assert body["weighted_amount"] == "50000.00"
    assert (body["expected_close_on"], body["lost_reason"], body["closed_at"]) == ("2026-12-15", "", None)
    assert StageChange.objects.get().to_stage == "target"
    assert Customer.objects.get(pk=customer.pk).prospect_grade == "C"


def test_the_representation_has_every_documented_key(api_client, rep, opportunity):
    api_client.force_authenticate(rep)

    body = api_client.get(f"{URL}{opportunity.pk}/").json()

    assert set(body) == {
        "id", "customer", "customer_name", "title", "expected_amount", "stage", "probability",
        "probability_overridden", "weighted_amount", "expected_close_on", "is_overdue", "owner", "owner_name",
        "obstacles", "expected_cost", "development_plan", "lost_reason", "stage_entered_at", "closed_at",
        "created_at", "updated_at",
    }  # fmt: skip


def test_a_probability_sent_on_create_is_set_by_hand(api_client, rep, customer):
    api_client.force_authenticate(rep)

    response = api_client.post(
        URL, {"customer": customer.pk, "title": "试点", "probability": 35}, format="json"
    )

    assert response.status_code == 201
    assert (response.json()["probability"], response.json()["probability_overridden"]) == (35, True)


# --- The stage is read-only ------------------------------------------------------------------


@pytest.mark.parametrize("method", ["patch", "put"])
@pytest.mark.parametrize("stage", ["won", "information", "lost", "nonsense", None])
def test_the_stage_cannot_be_changed_by_an_update(api_client, rep, opportunity, method, stage):
    api_client.force_authenticate(rep)
    before = row(opportunity)
    body = {"customer": opportunity.customer_id, "title": "改名", "stage": stage}

    response = getattr(api_client, method)(f"{URL}{opportunity.pk}/", body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"stage"}
    assert row(opportunity) == before
    assert not StageChange.objects.exists()


def test_the_stage_cannot_be_chosen_on_create(api_client, rep, customer):
    api_client.force_authenticate(rep)

    response = api_client.post(
        URL, {"customer": customer.pk, "title": "直接成交", "stage": "won"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"stage"}
    assert not Opportunity.objects.exists()


def test_a_stage_error_comes_with_the_other_field_errors(api_client, rep, opportunity):
    api_client.force_authenticate(rep)

    response = api_client.patch(
        f"{URL}{opportunity.pk}/", {"stage": "won", "probability": 101}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"stage", "probability"}


def test_put_of_the_representation_round_trips_without_pinning_the_probability(api_client, rep, opportunity):
    api_client.force_authenticate(rep)
    body = api_client.get(f"{URL}{opportunity.pk}/").json()
    body["title"] = "年度框架协议（二期）"

    response = api_client.put(f"{URL}{opportunity.pk}/", body, format="json")

    assert response.status_code == 200, response.json()
    opportunity.refresh_from_db()
    assert (opportunity.title, opportunity.stage) == ("年度框架协议（二期）", "target")
    assert (opportunity.probability, opportunity.probability_overridden) == (10, False)


def test_probability_set_by_hand_then_back_to_the_stage_default(api_client, rep, opportunity):
    api_client.force_authenticate(rep)
    url = f"{URL}{opportunity.pk}/"

    pinned = api_client.patch(url, {"probability": 35}, format="json").json()
    reset = api_client.patch(url, {"probability": None}, format="json").json()

    assert (pinned["probability"], pinned["probability_overridden"], pinned["weighted_amount"]) == (
        35,
        True,
        "175000.00",
    )
    assert (reset["probability"], reset["probability_overridden"]) == (10, False)


def test_read_only_fields_are_ignored(api_client, rep, opportunity):
    api_client.force_authenticate(rep)

    response = api_client.patch(
        f"{URL}{opportunity.pk}/",
        {"lost_reason": "x", "probability_overridden": True, "closed_at": "2026-01-01T00:00:00Z", "weighted_amount": "1"},
        format="json",
    )  # fmt: skip

    assert response.status_code == 200
    opportunity.refresh_from_db()
    assert (opportunity.lost_reason, opportunity.probability_overridden, opportunity.closed_at) == (
        "",
        False,
        None,
    )


def test_an_update_does_not_undo_a_move_made_meanwhile(rep, opportunity):
    # A PATCH read the row at "target"; a move commits before the PATCH saves.
    Opportunity.objects.filter(pk=opportunity.pk).update(stage="information")

    opportunity_update(opportunity=opportunity, by=rep, title="改名")

    assert Opportunity.objects.get(pk=opportunity.pk).stage == "information"


# --- Customer and owner ----------------------------------------------------------------------


def test_the_customer_cannot_change(api_client, rep, opportunity):
    api_client.force_authenticate(rep)
    before = row(opportunity)

    response = api_client.patch(
        f"{URL}{opportunity.pk}/", {"customer": CustomerFactory(owner=rep).pk}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"customer"}
    assert row(opportunity) == before


def test_a_rep_may_only_own_opportunities_themselves(api_client, rep, other_rep, customer, opportunity):
    api_client.force_authenticate(rep)
    before = row(opportunity)

    created = api_client.post(
        URL, {"customer": customer.pk, "title": "x", "owner": other_rep.pk}, format="json"
    )
    updated = api_client.patch(f"{URL}{opportunity.pk}/", {"owner": other_rep.pk}, format="json")

    assert (created.status_code, set(created.json())) == (400, {"owner"})
    assert (updated.status_code, set(updated.json())) == (400, {"owner"})
    assert Opportunity.objects.count() == 1
    assert row(opportunity) == before


def test_a_manager_may_hand_an_opportunity_to_a_team_member(api_client, rep, manager, customer):
    api_client.force_authenticate(manager)
    opportunity = OpportunityFactory(customer=customer, owner=manager)

    response = api_client.patch(f"{URL}{opportunity.pk}/", {"owner": rep.pk}, format="json")

    assert response.status_code == 200
    assert Opportunity.objects.get(pk=opportunity.pk).owner == rep


# --- Delete ----------------------------------------------------------------------------------


def test_the_owner_deletes_an_opportunity_and_the_prospect_grade_follows(api_client, rep, customer):
    api_client.force_authenticate(rep)
    created = api_client.post(URL, {"customer": customer.pk, "title": "x", "probability": 80}, format="json")
    assert Customer.objects.get(pk=customer.pk).prospect_grade == "A"

    response = api_client.delete(f"{URL}{created.json()['id']}/")

    assert response.status_code == 204
    assert not Opportunity.objects.exists()
    assert Customer.objects.get(pk=customer.pk).prospect_grade == "D"


def test_the_owners_manager_deletes_an_opportunity(api_client, manager, opportunity):
    api_client.force_authenticate(manager)

    assert api_client.delete(f"{URL}{opportunity.pk}/").status_code == 204
    assert row(opportunity) is None


def test_an_account_team_member_who_does_not_own_it_cannot_delete_it(api_client, rep, other_rep):
    customer = CustomerFactory(owner=other_rep)
    AccountTeamMember.objects.create(customer=customer, user=rep)
    opportunity = OpportunityFactory(customer=customer)
    before = row(opportunity)
    api_client.force_authenticate(rep)

    assert api_client.get(f"{URL}{opportunity.pk}/").status_code == 200
    assert api_client.delete(f"{URL}{opportunity.pk}/").status_code == 403
    assert row(opportunity) == before


def test_an_account_team_member_deletes_their_own_opportunity(api_client, rep, other_rep):
    customer = CustomerFactory(owner=other_rep)
    AccountTeamMember.objects.create(customer=customer, user=rep)
    opportunity = OpportunityFactory(customer=customer, owner=rep)
    api_client.force_authenticate(rep)

    assert api_client.delete(f"{URL}{opportunity.pk}/").status_code == 204


# --- Filters ---------------------------------------------------------------------------------


@pytest.fixture
def portfolio(rep, manager, other_rep, team):
    """Opportunities a manager sees, one per filter to tell apart."""
    east = CustomerFactory(owner=rep, region="华东", tier="gold")
    north = CustomerFactory(owner=manager, region="华北", tier="iron")
    return {
        "december": OpportunityFactory(customer=east, expected_close_on=date(2026, 12, 15)),
        "closing": OpportunityFactory(customer=east, stage="closing", probability=80),
        "won": OpportunityFactory(customer=north, stage="won", probability=100),
        "managers": OpportunityFactory(customer=north, expected_close_on=date(2027, 1, 3)),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"december", "closing", "won", "managers"}),
        ({"region": "华东"}, {"december", "closing"}),
        ({"tier": "iron"}, {"won", "managers"}),
        ({"stage": "closing"}, {"closing"}),
        ({"open": "true"}, {"december", "closing", "managers"}),
        ({"open": "false"}, {"won"}),
        ({"close_month": "2026-12"}, {"december"}),
        ({"close_month": "2027-01", "open": "true"}, {"managers"}),
        ({"region": "华南"}, set()),
    ],
)
def test_filters(api_client, manager, portfolio, params, expected):
    api_client.force_authenticate(manager)

    assert set(ids(api_client.get(URL, params))) == {portfolio[name].pk for name in expected}


def test_customer_owner_and_team_filters(api_client, manager, rep, team, portfolio):
    api_client.force_authenticate(manager)
    east = portfolio["december"].customer

    assert set(ids(api_client.get(URL, {"customer": east.pk}))) == {
        portfolio["december"].pk,
        portfolio["closing"].pk,
    }
    assert set(ids(api_client.get(URL, {"owner": manager.pk}))) == {
        portfolio["won"].pk,
        portfolio["managers"].pk,
    }
    # The manager manages the team without being a member: the team's opportunities are rep's.
    assert set(ids(api_client.get(URL, {"team": team.pk}))) == {
        portfolio["december"].pk,
        portfolio["closing"].pk,
    }


@pytest.mark.parametrize(
    "params",
    [
        {"owner": "abc"},
        {"team": "-1"},
        {"customer": str(HUGE_ID)},
        {"stage": "nonsense"},
        {"tier": "diamond"},
        {"close_month": "2026-13"},
        {"close_month": "2026-1"},
        {"close_month": "0000-01"},
        {"close_month": "december"},
        {"open": "maybe"},
        {"region": "华\x00东"},
    ],
)
def test_invalid_filter_values_are_400_naming_the_parameter(api_client, rep, opportunity, params):
    api_client.force_authenticate(rep)

    response = api_client.get(URL, params)

    assert response.status_code == 400
    assert set(response.json()) == set(params)


# --- Query counts ----------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["rep", "manager"])
def test_list_runs_a_constant_number_of_queries(
    api_client, rep, manager, user, django_assert_num_queries, request
):
    api_client.force_authenticate(request.getfixturevalue(user))

    def opportunities(n):
        for _ in range(n):
            OpportunityFactory(customer=CustomerFactory(owner=rep), expected_close_on=date(2026, 12, 1))

    opportunities(3)
    # managed teams? (visible_to), count, page
    with django_assert_num_queries(3):
        assert len(ids(api_client.get(URL, {"close_month": "2026-12", "open": "true"}))) == 3
    opportunities(27)
    with django_assert_num_queries(3):
        assert len(ids(api_client.get(URL, {"close_month": "2026-12", "open": "true"}))) == 30
