"""The five-stage pipeline: gate rules, one step at a time, overrides, the row lock, grades."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from accounts.models import Customer
from pipeline.models import GateCheck, Opportunity, StageChange, StageGateItem
from pipeline.selectors import forecast
from pipeline.services import (
    GateNotMet,
    gate_check_set,
    gate_status,
    grade_for,
    opportunity_create,
    opportunity_lose,
    opportunity_move,
    opportunity_update,
    prospect_grades_refresh,
)
from tests.factories import ContactFactory, CustomerFactory, OpportunityFactory, VisitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def prospect(rep):
    return CustomerFactory(name="潜在客户有限公司", owner=rep, status="prospect")


@pytest.fixture
def opportunity(prospect, rep, gate_items):
    return opportunity_create(
        customer=prospect, by=rep, title="年度框架协议", expected_amount=Decimal(500_000)
    )


def tick_manual(opportunity, by):
    for item in StageGateItem.objects.filter(stage=opportunity.stage, rule=""):
        gate_check_set(opportunity=opportunity, item=item, checked=True, by=by)


def unmet(opportunity):
    return [item.label for item in gate_status(opportunity=opportunity) if not item.met]


def move(opportunity, to, by, **kwargs):
    return opportunity_move(opportunity_id=opportunity.pk, to=to, by=by, **kwargs)


def test_a_new_opportunity_starts_at_target_with_its_default_probability(opportunity, prospect):
    assert opportunity.stage == "target"
    assert opportunity.probability == 10
    assert StageChange.objects.get().to_stage == "target"
    assert Customer.objects.get(pk=prospect.pk).prospect_grade == "C"  # best open opportunity 10%


def test_target_gate_needs_its_items(opportunity, rep):
    assert unmet(opportunity) == ["存在潜在需求", "已首次接触", "“有没有机会？”答案为是"]
    with pytest.raises(GateNotMet) as refused:
        move(opportunity, "information", rep)
    assert refused.value.message_dict["unmet_items"] == unmet(opportunity)
    assert Opportunity.objects.get(pk=opportunity.pk).stage == "target"


def test_first_contact_is_met_by_a_logged_visit(opportunity, prospect, rep):
    tick_manual(opportunity, rep)
    assert unmet(opportunity) == ["已首次接触"]
    VisitFactory(customer=prospect, by=rep)
    assert unmet(opportunity) == []

    moved = move(opportunity, "information", rep)

    assert moved.stage == "information"
    assert moved.probability == 25
    change = StageChange.objects.filter(opportunity=opportunity).last()
    assert (change.from_stage, change.to_stage, change.by, change.override_reason) == (
        "target",
        "information",
        rep,
        "",
    )


def test_data_rules_of_the_information_stage(opportunity, prospect, rep):
    tick_manual(opportunity, rep)
    VisitFactory(customer=prospect, by=rep)
    move(opportunity, "information", rep)
    opportunity.refresh_from_db()
    tick_manual(opportunity, rep)
    assert unmet(opportunity) == ["已确定内线", "信息充分，含关键决策人档案", "需求明确"]

    ContactFactory(customer=prospect, buying_role="coach")
    ContactFactory(customer=prospect, buying_role="decision_maker", hometown="湖南")
    VisitFactory(customer=prospect, by=rep, needs="缩短交期")

    assert unmet(opportunity) == []


def test_relationship_stage_rules(prospect, rep, gate_items):
    opportunity = OpportunityFactory(customer=prospect, stage="relationship", probability=60)
    boss = ContactFactory(customer=prospect, buying_role="decision_maker", relationship_strength=3)
    assert unmet(opportunity) == ["已与关键决策人建立关系", "影响力渗透：影响者支持或中立"]
    boss.relationship_strength = 4
    boss.save()
    influencer = ContactFactory(customer=prospect, buying_role="influencer", attitude="opponent")
    assert unmet(opportunity) == ["影响力渗透：影响者支持或中立"]
    influencer.attitude = "neutral"
    influencer.save()
    assert unmet(opportunity) == []


def test_evaluation_stage_rules_read_the_opportunity(prospect, rep, gate_items):
    opportunity = OpportunityFactory(customer=prospect, stage="evaluation", probability=40)
    assert len(unmet(opportunity)) == 4
    opportunity_update(opportunity=opportunity, by=rep, obstacles="预算未批", expected_cost=Decimal(20_000),
                       development_plan="先试点后推广")  # fmt: skip
    Customer.objects.filter(pk=prospect.pk).update(winnability=4)
    opportunity.refresh_from_db()
    assert unmet(opportunity) == []


@pytest.mark.parametrize("to", ["evaluation", "closing", "won", "target"])
def test_only_one_step_forward(opportunity, rep, to):
    with pytest.raises(ValidationError) as refused:
        move(opportunity, to, rep, override_reason="试试")
    assert "to" in refused.value.message_dict
    assert Opportunity.objects.get(pk=opportunity.pk).stage == "target"


def test_won_only_from_closing(prospect, rep, manager, gate_items):
    opportunity = OpportunityFactory(customer=prospect, stage="relationship", probability=60)
    with pytest.raises(ValidationError):
        move(opportunity, "won", manager, override_reason="客户已口头同意")
    move(opportunity, "closing", manager, override_reason="总经理已表态")
    won = move(opportunity, "won", manager, override_reason="合同已签")
    assert won.stage == "won"
    assert won.probability == 100
    assert won.closed_at is not None
    customer = Customer.objects.get(pk=prospect.pk)
    assert customer.status == "customer"
    assert customer.prospect_grade == ""


def test_a_manager_may_override_a_gate_with_a_reason(opportunity, manager):
    moved = move(opportunity, "information", manager, override_reason="老客户转介绍，已充分接触")
    assert moved.stage == "information"
    change = StageChange.objects.filter(opportunity=opportunity).last()
    assert change.is_override
    assert change.unmet_items == ["存在潜在需求", "已首次接触", "“有没有机会？”答案为是"]


def test_a_rep_may_not_override(opportunity, rep):
    with pytest.raises(PermissionDenied):
        move(opportunity, "information", rep, override_reason="我觉得可以")
    assert Opportunity.objects.get(pk=opportunity.pk).stage == "target"
    assert StageChange.objects.count() == 1


def test_lost_from_anywhere_needs_a_reason(opportunity, rep):
    with pytest.raises(ValidationError) as refused:
        opportunity_lose(opportunity_id=opportunity.pk, by=rep, reason="  ")
    assert "reason" in refused.value.message_dict
    lost = opportunity_lose(opportunity_id=opportunity.pk, by=rep, reason="无则终止：客户无采购计划")
    assert (lost.stage, lost.probability, lost.lost_reason) == ("lost", 0, "无则终止：客户无采购计划")
    with pytest.raises(ValidationError):
        move(lost, "information", rep)  # closed
    assert Customer.objects.get(pk=opportunity.customer_id).prospect_grade == "D"


def test_probability_override_survives_moves_until_reset(opportunity, manager):
    opportunity_update(opportunity=opportunity, by=manager, probability=35)
    moved = move(opportunity, "information", manager, override_reason="x")
    assert moved.probability == 35
    reset = opportunity_update(opportunity=moved, by=manager, probability=None)
    assert (reset.probability, reset.probability_overridden) == (25, False)


def test_manual_items_only(opportunity, rep):
    data_item = StageGateItem.objects.get(stage="target", rule="has_visit")
    with pytest.raises(ValidationError):
        gate_check_set(opportunity=opportunity, item=data_item, checked=True, by=rep)
    other_stage = StageGateItem.objects.filter(stage="closing", rule="").first()
    with pytest.raises(ValidationError):
        gate_check_set(opportunity=opportunity, item=other_stage, checked=True, by=rep)
    assert not GateCheck.objects.exists()


def test_days_in_stage_recorded(opportunity, manager):
    Opportunity.objects.filter(pk=opportunity.pk).update(stage_entered_at=timezone.now() - timedelta(days=3))
    move(opportunity, "information", manager, override_reason="x")
    change = StageChange.objects.filter(opportunity=opportunity).last()
    assert Decimal("2.99") <= change.days_in_stage <= Decimal("3.01")


@pytest.mark.parametrize(
    ("probability", "grade"),
    [(None, "D"), (0, "D"), (9, "D"), (10, "C"), (39, "C"), (40, "B"), (69, "B"), (70, "A")],
)
def test_grade_cutoffs(probability, grade):
    assert grade_for(probability) == grade


def test_grades_follow_the_best_open_opportunity(rep, gate_items):
    prospect = CustomerFactory(owner=rep, status="prospect")
    customer = CustomerFactory(owner=rep, status="customer", prospect_grade="A")
    bare = CustomerFactory(owner=rep, status="prospect")
    OpportunityFactory(customer=prospect, probability=25, stage="information")
    OpportunityFactory(customer=prospect, probability=80, stage="closing")
    OpportunityFactory(customer=prospect, probability=100, stage="won")  # closed: does not count
    OpportunityFactory(customer=customer, probability=80, stage="closing")

    prospect_grades_refresh()

    grades = dict(Customer.objects.values_list("pk", "prospect_grade"))
    assert grades[prospect.pk] == "A"
    assert grades[customer.pk] == ""
    assert grades[bare.pk] == "D"


def test_forecast_sums(rep, other_rep, manager, team, gate_items):
    mine = CustomerFactory(owner=rep)
    theirs = CustomerFactory(owner=other_rep)
    OpportunityFactory(customer=mine, expected_amount=Decimal(100_000), probability=10,
                       expected_close_on=date(2036, 12, 15))  # fmt: skip
    OpportunityFactory(customer=mine, expected_amount=Decimal(200_000), probability=60, stage="relationship",
                       expected_close_on=date(2036, 12, 1))  # fmt: skip
    OpportunityFactory(customer=mine, expected_amount=Decimal(50_000), probability=80, stage="closing",
                       expected_close_on=date(2037, 1, 10))  # fmt: skip
    OpportunityFactory(customer=mine, stage="won", probability=100)
    OpportunityFactory(customer=mine, stage="lost", probability=0, lost_reason="价格")
    OpportunityFactory(customer=mine, stage="lost", probability=0, lost_reason="价格")
    OpportunityFactory(customer=theirs, expected_amount=Decimal(999_999), probability=80, stage="closing")

    result = forecast(user=manager)

    assert result["open"] == {"count": 3, "amount": Decimal("350000.00"), "weighted": Decimal("170000.00")}
    months = {
        row["month"].strftime("%Y-%m") if row["month"] else None: row["weighted"]
        for row in result["by_month"]
    }
    assert months == {"2036-12": Decimal("130000.00"), "2037-01": Decimal("40000.00")}
    assert result["by_owner"][0]["weighted"] == Decimal("170000.00")
    assert result["by_team"][0]["name"] == "华东大客户部"
    assert result["win_rate"] == Decimal("33.33")


def test_forecast_query_count_is_fixed(rep, manager, django_assert_max_num_queries, gate_items):
    for _ in range(3):
        OpportunityFactory(customer=CustomerFactory(owner=rep))
    with django_assert_max_num_queries(10) as captured:
        forecast(user=manager)
    first = len(captured)
    for _ in range(20):
        OpportunityFactory(customer=CustomerFactory(owner=rep))
    with django_assert_max_num_queries(first):
        forecast(user=manager)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_moves_only_one_applies(postgres, rep, manager, gate_items):
    customer = CustomerFactory(owner=rep, status="prospect")
    opportunity = OpportunityFactory(customer=customer)
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt():
        try:
            barrier.wait()
            move(opportunity, "information", manager, override_reason="并发测试")
            outcomes.append("moved")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["moved", "refused"]
    assert Opportunity.objects.get(pk=opportunity.pk).stage == "information"
    assert StageChange.objects.filter(opportunity=opportunity, to_stage="information").count() == 1
