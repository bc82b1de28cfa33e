"""Moving opportunities over the API: the gate, overrides, losing, ticking items, the history."""

from decimal import Decimal

import pytest

from pipeline.models import GateCheck, Opportunity, StageChange, StageGateItem
from pipeline.services import opportunity_create
from tests.factories import CustomerFactory, OpportunityFactory, VisitFactory

pytestmark = pytest.mark.django_db

TARGET_ITEMS = ["存在潜在需求", "已首次接触", "“有没有机会？”答案为是"]


@pytest.fixture
def prospect(rep):
    return CustomerFactory(owner=rep, status="prospect")


@pytest.fixture
def opportunity(prospect, rep, gate_items):
    return opportunity_create(
        customer=prospect, by=rep, title="年度框架协议", expected_amount=Decimal(500_000)
    )


def url(opportunity, action: str) -> str:
    return f"/api/v1/opportunities/{opportunity.pk}/{action}/"


def stage_of(opportunity) -> str:
    return Opportunity.objects.get(pk=opportunity.pk).stage


def manual_items(stage: str) -> list[StageGateItem]:
    return list(StageGateItem.objects.filter(stage=stage, rule="").order_by("position"))


# --- Gate ------------------------------------------------------------------------------------


def test_the_gate_lists_the_current_stages_items(api_client, rep, opportunity):
    api_client.force_authenticate(rep)

    response = api_client.get(url(opportunity, "gate"))

    assert response.status_code == 200
    body = response.json()
    assert (body["stage"], body["next_stage"], body["met"]) == ("target", "information", False)
    items = StageGateItem.objects.filter(stage="target").order_by("position")
    assert body["items"] == [
        {"id": item.pk, "label": item.label, "rule": item.rule or None, "met": False, "checked": False}
        for item in items
    ]
    assert [item["label"] for item in body["items"]] == TARGET_ITEMS


def test_ticking_and_unticking_a_manual_item(api_client, rep, opportunity):
    api_client.force_authenticate(rep)
    item = manual_items("target")[0]

    ticked = api_client.post(url(opportunity, "gate"), {"item": item.pk, "checked": True}, format="json")
    assert ticked.status_code == 200
    assert {"id": item.pk, "label": item.label, "rule": None, "met": True, "checked": True} in ticked.json()[
        "items"
    ]
    assert GateCheck.objects.get().checked_by == rep

    again = api_client.post(url(opportunity, "gate"), {"item": item.pk, "checked": True}, format="json")
    assert again.status_code == 200
    assert GateCheck.objects.count() == 1

    unticked = api_client.post(url(opportunity, "gate"), {"item": item.pk, "checked": False}, format="json")
    assert unticked.status_code == 200
    assert {
        "id": item.pk,
        "label": item.label,
        "rule": None,
        "met": False,
        "checked": False,
    } in unticked.json()["items"]
    assert not GateCheck.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("data-rule", id="met-by-data"),
        pytest.param("other-stage", id="another-stages-item"),
        pytest.param({"item": 10**30, "checked": True}, id="unknown-item"),
        pytest.param({"item": "abc", "checked": True}, id="malformed-item"),
        pytest.param({"checked": True}, id="no-item"),
    ],
)
def test_items_that_cannot_be_ticked_are_a_400_on_item(api_client, rep, opportunity, body):
    api_client.force_authenticate(rep)
    if body == "data-rule":
        body = {"item": StageGateItem.objects.get(stage="target", rule="has_visit").pk, "checked": True}
    elif body == "other-stage":
        body = {"item": manual_items("closing")[0].pk, "checked": True}

    response = api_client.post(url(opportunity, "gate"), body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"item"}
    assert not GateCheck.objects.exists()


def test_checked_must_be_a_boolean(api_client, rep, opportunity):
    api_client.force_authenticate(rep)

    response = api_client.post(
        url(opportunity, "gate"), {"item": manual_items("target")[0].pk}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"checked"}


# --- Moves -----------------------------------------------------------------------------------


def test_a_move_with_the_gate_met(api_client, rep, prospect, opportunity):
    api_client.force_authenticate(rep)
    for item in manual_items("target"):
        api_client.post(url(opportunity, "gate"), {"item": item.pk, "checked": True}, format="json")
    VisitFactory(customer=prospect, by=rep)  # 已首次接触 follows from a logged visit
    assert api_client.get(url(opportunity, "gate")).json()["met"] is True

    response = api_client.post(url(opportunity, "move"), {"to": "information"}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["stage"], body["probability"], body["weighted_amount"]) == (
        opportunity.pk,
        "information",
        25,
        "125000.00",
    )
    change = StageChange.objects.filter(opportunity=opportunity).last()
    assert (change.from_stage, change.to_stage, change.by, change.override_reason) == (
        "target",
        "information",
        rep,
        "",
    )


def test_a_move_with_an_unmet_gate_lists_the_unmet_items(api_client, rep, opportunity):
    api_client.force_authenticate(rep)
    ticked = manual_items("target")[0]
    api_client.post(url(opportunity, "gate"), {"item": ticked.pk, "checked": True}, format="json")

    response = api_client.post(url(opportunity, "move"), {"to": "information"}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"to", "unmet_items", "unmet_gate_items"}
    unmet = StageGateItem.objects.filter(stage="target").exclude(pk=ticked.pk).order_by("position")
    assert body["unmet_items"] == [item.label for item in unmet]
    assert [(item["id"], item["label"], item["met"]) for item in body["unmet_gate_items"]] == [
        (item.pk, item.label, False) for item in unmet
    ]
    assert stage_of(opportunity) == "target"
    assert StageChange.objects.count() == 1


@pytest.mark.parametrize("to", ["evaluation", "closing", "won", "target"])
def test_only_one_step_forward(api_client, manager, opportunity, to):
    api_client.force_authenticate(manager)

    response = api_client.post(url(opportunity, "move"), {"to": to, "override_reason": "试试"}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"to"}
    assert stage_of(opportunity) == "target"


@pytest.mark.parametrize(
    "body",
    [{"to": "nonsense"}, {"to": ""}, {"to": None}, {}, {"to": ["information"]}],
)
def test_an_unknown_stage_is_a_400_on_to(api_client, rep, opportunity, body):
    api_client.force_authenticate(rep)

    response = api_client.post(url(opportunity, "move"), body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"to"}
    assert stage_of(opportunity) == "target"


def test_a_manager_overrides_an_unmet_gate_with_a_reason(api_client, manager, opportunity):
    api_client.force_authenticate(manager)

    response = api_client.post(
        url(opportunity, "move"),
        {"to": "information", "override_reason": "老客户转介绍，已充分接触"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["stage"] == "information"
    change = StageChange.objects.filter(opportunity=opportunity).last()
    assert (change.by, change.override_reason, change.unmet_items) == (
        manager,
        "老客户转介绍，已充分接触",
        TARGET_ITEMS,
    )


def test_a_manager_without_a_reason_gets_the_unmet_items(api_client, manager, opportunity):
    api_client.force_authenticate(manager)

    response = api_client.post(
        url(opportunity, "move"), {"to": "information", "override_reason": "  "}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["unmet_items"] == TARGET_ITEMS
    assert stage_of(opportunity) == "target"


def test_a_rep_may_not_override_a_gate(api_client, rep, opportunity):
    api_client.force_authenticate(rep)

    response = api_client.post(
        url(opportunity, "move"), {"to": "information", "override_reason": "我觉得可以"}, format="json"
    )

    assert response.status_code == 403
    assert "detail" in response.json()
    assert stage_of(opportunity) == "target"
    assert StageChange.objects.count() == 1


def test_won_from_closing_makes_the_prospect_a_customer(api_client, manager, prospect, gate_items):
    opportunity = OpportunityFactory(customer=prospect, stage="closing", probability=80)
    api_client.force_authenticate(manager)

    response = api_client.post(
        url(opportunity, "move"), {"to": "won", "override_reason": "合同已签"}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["stage"], body["probability"]) == ("won", 100)
    assert body["closed_at"] is not None
    prospect.refresh_from_db()
    assert prospect.status == "customer"


def test_a_closed_opportunity_does_not_move(api_client, manager, prospect, gate_items):
    opportunity = OpportunityFactory(customer=prospect, stage="won", probability=100)
    api_client.force_authenticate(manager)

    moved = api_client.post(url(opportunity, "move"), {"to": "lost", "reason": "反悔"}, format="json")
    lost = api_client.post(url(opportunity, "lose"), {"reason": "反悔"}, format="json")

    assert (moved.status_code, set(moved.json())) == (400, {"to"})
    assert (lost.status_code, set(lost.json())) == (400, {"to"})
    assert stage_of(opportunity) == "won"


def test_moving_to_lost_needs_a_reason(api_client, rep, opportunity):
    api_client.force_authenticate(rep)

    refused = api_client.post(url(opportunity, "move"), {"to": "lost"}, format="json")
    assert (refused.status_code, set(refused.json())) == (400, {"reason"})
    assert stage_of(opportunity) == "target"

    response = api_client.post(url(opportunity, "move"), {"to": "lost", "reason": "无则终止"}, format="json")
    assert response.status_code == 200
    assert (response.json()["stage"], response.json()["lost_reason"]) == ("lost", "无则终止")


# --- Lose ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": None}, {"reason": "a\x00b"}]
)
def test_lose_without_a_reason_is_a_400(api_client, rep, opportunity, body):
    api_client.force_authenticate(rep)

    response = api_client.post(url(opportunity, "lose"), body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"reason"}
    assert stage_of(opportunity) == "target"
    assert StageChange.objects.count() == 1


def test_lose_with_a_reason(api_client, rep, prospect, opportunity):
    api_client.force_authenticate(rep)

    response = api_client.post(url(opportunity, "lose"), {"reason": "客户无采购计划"}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["stage"], body["probability"], body["lost_reason"]) == ("lost", 0, "客户无采购计划")
    assert body["closed_at"] is not None
    prospect.refresh_from_db()
    assert prospect.prospect_grade == "D"
    gate = api_client.get(url(opportunity, "gate")).json()
    assert (gate["stage"], gate["next_stage"], gate["items"]) == ("lost", None, [])


# --- History ---------------------------------------------------------------------------------


def test_the_history_lists_every_stage_change(api_client, rep, manager, opportunity):
    api_client.force_authenticate(manager)
    api_client.post(
        url(opportunity, "move"), {"to": "information", "override_reason": "已充分接触"}, format="json"
    )
    api_client.post(url(opportunity, "lose"), {"reason": "价格"}, format="json")

    response = api_client.get(url(opportunity, "history"))

    assert response.status_code == 200
    history = response.json()
    assert [(row["from_stage"], row["to_stage"], row["by"]) for row in history] == [
        (None, "target", "rep1"),
        ("target", "information", "manager"),
        ("information", "lost", "manager"),
    ]
    assert set(history[1]) == {
        "from_stage", "to_stage", "by", "by_name", "at", "override_reason", "unmet_items", "days_in_stage",
    }  # fmt: skip
    assert [row["by_name"] for row in history] == [
        rep.last_name + rep.first_name, *[manager.last_name + manager.first_name] * 2,
    ]  # fmt: skip
    assert (history[1]["override_reason"], history[1]["unmet_items"]) == ("已充分接触", TARGET_ITEMS)
    assert (history[2]["override_reason"], history[2]["unmet_items"]) == ("", [])
    assert history[0]["days_in_stage"] is None
    assert Decimal(history[1]["days_in_stage"]) < Decimal("0.01")


@pytest.mark.parametrize(
    "body",
    ['{"to": "information"', "[]", '"information"', "null"],
)
def test_a_body_that_is_not_a_json_object_is_a_400(api_client, rep, opportunity, body):
    api_client.force_authenticate(rep)

    for action in ("move", "lose", "gate"):
        response = api_client.post(url(opportunity, action), body, content_type="application/json")
        assert response.status_code == 400, action
    assert stage_of(opportunity) == "target"
    assert not GateCheck.objects.exists()
