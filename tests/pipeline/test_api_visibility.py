"""The gatekeeper over the pipeline API: who sees which opportunities and account plans.

An opportunity or plan outside the caller's visibility is a 404 on every endpoint (moves, the
gate and the history included), never listed or counted, and a denied request changes nothing.
"""

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts.models import AccountTeamMember
from pipeline.models import AccountPlan, GateCheck, Opportunity, PlanObjective, StageChange, StageGateItem
from tests.factories import CustomerFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def plan_for(customer, **kwargs) -> AccountPlan:
    plan = AccountPlan.objects.create(
        customer=customer, title="2026 联合生意计划", period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31), **kwargs,
    )  # fmt: skip
    PlanObjective.objects.create(plan=plan, description="销售额", target=Decimal(1_000_000))
    return plan


def snapshot() -> dict:
    """Everything a pipeline write could touch."""
    return {
        "opportunities": list(Opportunity.objects.order_by("pk").values()),
        "stage_changes": StageChange.objects.count(),
        "gate_checks": GateCheck.objects.count(),
        "plans": list(AccountPlan.objects.order_by("pk").values()),
        "objectives": list(PlanObjective.objects.order_by("pk").values()),
    }


def ids(response) -> set[int]:
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


def every_opportunity_request(client, opportunity, gate_item) -> dict[str, int]:
    """The status of each opportunity endpoint for `opportunity`, with bodies the owner could send."""
    url = f"/api/v1/opportunities/{opportunity.pk}/"
    full_body = {"customer": opportunity.customer_id, "title": "改过了", "expected_amount": "1.00"}
    return {
        "retrieve": client.get(url).status_code,
        "put": client.put(url, full_body, format="json").status_code,
        "patch": client.patch(url, {"title": "改过了"}, format="json").status_code,
        "move": client.post(f"{url}move/", {"to": "information", "override_reason": "x"}, format="json").status_code,
        "lose": client.post(f"{url}lose/", {"reason": "价格"}, format="json").status_code,
        "gate": client.get(f"{url}gate/").status_code,
        "gate-tick": client.post(f"{url}gate/", {"item": gate_item.pk, "checked": True}, format="json").status_code,
        "history": client.get(f"{url}history/").status_code,
        "delete": client.delete(url).status_code,
    }  # fmt: skip


def every_plan_request(client, plan) -> dict[str, int]:
    url = f"/api/v1/account-plans/{plan.pk}/"
    full_body = {
        "customer": plan.customer_id, "title": "改过了", "period_start": "2026-01-01",
        "period_end": "2026-12-31", "objectives": [],
    }  # fmt: skip
    return {
        "retrieve": client.get(url).status_code,
        "put": client.put(url, full_body, format="json").status_code,
        "patch": client.patch(url, {"objectives": []}, format="json").status_code,
        "delete": client.delete(url).status_code,
    }


@pytest.fixture
def manual_target_item(gate_items):
    return StageGateItem.objects.filter(stage="target", rule="").first()


def test_another_reps_opportunity_is_404_on_every_endpoint_and_unchanged(
    rep, other_rep, manager, manual_target_item
):
    theirs = OpportunityFactory(customer=CustomerFactory(owner=other_rep))
    before = snapshot()

    for user in (rep, manager):  # a manager of another team sees no more than a rep
        statuses = every_opportunity_request(client_for(user), theirs, manual_target_item)
        assert set(statuses.values()) == {404}, statuses
    assert snapshot() == before


def test_another_reps_account_plan_is_404_on_every_endpoint_and_unchanged(rep, other_rep, manager):
    theirs = plan_for(CustomerFactory(owner=other_rep))
    before = snapshot()

    for user in (rep, manager):
        statuses = every_plan_request(client_for(user), theirs)
        assert set(statuses.values()) == {404}, statuses
    assert snapshot() == before


def test_a_rep_lists_the_opportunities_and_plans_of_own_and_account_team_customers_only(rep, other_rep):
    mine = CustomerFactory(owner=rep)
    shared = CustomerFactory(owner=other_rep)
    AccountTeamMember.objects.create(customer=shared, user=rep)
    hidden = CustomerFactory(owner=other_rep)
    visible_opportunities = {OpportunityFactory(customer=mine).pk, OpportunityFactory(customer=shared).pk}
    OpportunityFactory(customer=hidden)
    visible_plans = {plan_for(mine).pk, plan_for(shared).pk}
    plan_for(hidden)
    client = client_for(rep)

    assert ids(client.get("/api/v1/opportunities/")) == visible_opportunities
    assert ids(client.get("/api/v1/account-plans/")) == visible_plans
    assert ids(client.get("/api/v1/opportunities/", {"customer": hidden.pk})) == set()
    assert ids(client.get("/api/v1/opportunities/", {"owner": other_rep.pk})) == {
        opportunity.pk for opportunity in Opportunity.objects.filter(customer=shared)
    }
    assert ids(client.get("/api/v1/account-plans/", {"customer": hidden.pk})) == set()


def test_a_manager_sees_and_works_on_the_opportunities_of_their_teams_members(
    rep, other_rep, manager, manual_target_item
):
    of_member = OpportunityFactory(customer=CustomerFactory(owner=rep))
    OpportunityFactory(customer=CustomerFactory(owner=other_rep))
    plan = plan_for(of_member.customer)
    client = client_for(manager)

    assert ids(client.get("/api/v1/opportunities/")) == {of_member.pk}
    assert ids(client.get("/api/v1/account-plans/")) == {plan.pk}
    statuses = every_opportunity_request(client, of_member, manual_target_item)
    # In order: moved on with an override, then lost, so the target item is another stage's (400).
    assert statuses == {
        "retrieve": 200, "put": 200, "patch": 200, "move": 200, "lose": 200, "gate": 200,
        "gate-tick": 400, "history": 200, "delete": 204,
    }  # fmt: skip
    assert every_plan_request(client, plan) == {"retrieve": 200, "put": 200, "patch": 200, "delete": 204}


def test_an_admin_sees_every_opportunity_and_plan(rep, other_rep, admin_user):
    opportunities = {
        OpportunityFactory(customer=CustomerFactory(owner=owner)).pk for owner in (rep, other_rep, None)
    }
    plans = {plan_for(CustomerFactory(owner=owner)).pk for owner in (rep, other_rep)}
    client = client_for(admin_user)

    assert ids(client.get("/api/v1/opportunities/")) == opportunities
    assert ids(client.get("/api/v1/account-plans/")) == plans


def test_anonymous_requests_are_401_everywhere_and_change_nothing(api_client, rep, manual_target_item):
    opportunity = OpportunityFactory(customer=CustomerFactory(owner=rep))
    plan = plan_for(opportunity.customer)
    before = snapshot()

    statuses = every_opportunity_request(api_client, opportunity, manual_target_item)
    statuses |= {f"plan-{name}": code for name, code in every_plan_request(api_client, plan).items()}
    statuses |= {
        "list": api_client.get("/api/v1/opportunities/").status_code,
        "create": api_client.post("/api/v1/opportunities/", {}, format="json").status_code,
        "plan-list": api_client.get("/api/v1/account-plans/").status_code,
        "plan-create": api_client.post("/api/v1/account-plans/", {}, format="json").status_code,
        "forecast": api_client.get("/api/v1/pipeline/forecast/").status_code,
    }

    assert set(statuses.values()) == {401}, statuses
    assert snapshot() == before


def test_opportunities_and_plans_cannot_be_created_at_a_hidden_customer(api_client, rep, other_rep):
    theirs = CustomerFactory(owner=other_rep)
    api_client.force_authenticate(rep)

    opportunity = api_client.post(
        "/api/v1/opportunities/", {"customer": theirs.pk, "title": "偷偷加的"}, format="json"
    )
    plan = api_client.post(
        "/api/v1/account-plans/",
        {
            "customer": theirs.pk,
            "title": "偷偷加的",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
        },
        format="json",
    )

    assert (opportunity.status_code, set(opportunity.json())) == (400, {"customer"})
    assert (plan.status_code, set(plan.json())) == (400, {"customer"})
    assert not Opportunity.objects.exists()
    assert not AccountPlan.objects.exists()
