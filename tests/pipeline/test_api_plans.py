"""/api/v1/account-plans/: joint business plans whose objectives and actions are written whole."""

from datetime import date
from decimal import Decimal

import pytest

from accounts.models import AccountTeamMember
from pipeline.models import AccountPlan, PlanAction, PlanObjective
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/account-plans/"
HUGE_ID = 10**30


@pytest.fixture
def customer(rep):
    return CustomerFactory(owner=rep, name="华信集团")


@pytest.fixture
def plan(customer, rep):
    plan = AccountPlan.objects.create(
        customer=customer, title="2026 联合生意计划", period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31), created_by=rep,
    )  # fmt: skip
    PlanObjective.objects.create(plan=plan, description="销售额", target=Decimal(1_000_000), unit="元")
    PlanObjective.objects.create(plan=plan, description="新品导入", target=Decimal(3), unit="个")
    PlanAction.objects.create(plan=plan, description="季度业务回顾", owner=rep, due_on=date(2026, 3, 31))
    return plan


def snapshot() -> tuple:
    return (
        list(AccountPlan.objects.order_by("pk").values()),
        list(PlanObjective.objects.order_by("pk").values()),
        list(PlanAction.objects.order_by("pk").values()),
    )


def test_create_with_objectives_and_actions(api_client, rep, customer):
    api_client.force_authenticate(rep)

    response = api_client.post(
        URL,
        {
            "customer": customer.pk,
            "title": "2026 联合生意计划",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "step": "joint_plan",
            "summary": "与客户共同制定年度目标",
            "objectives": [{"description": "销售额", "target": "1000000", "unit": "元"}],
            "actions": [
                {"description": "季度业务回顾", "owner": rep.pk, "due_on": "2026-03-31", "status": "doing"}
            ],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    plan = AccountPlan.objects.get()
    assert body["id"] == plan.pk
    assert (body["customer_name"], body["step"], body["created_by"]) == ("华信集团", "joint_plan", "rep1")
    assert body["created_by_name"] == rep.last_name + rep.first_name
    assert body["objectives"] == [
        {"description": "销售额", "target": "1000000.00", "actual": None, "unit": "元"}
    ]
    assert body["actions"] == [
        {
            "description": "季度业务回顾",
            "owner": rep.pk,
            "owner_name": rep.last_name + rep.first_name,
            "due_on": "2026-03-31",
            "status": "doing",
        }
    ]
    assert plan.created_by == rep


def test_defaults_without_lists(api_client, rep, customer):
    api_client.force_authenticate(rep)

    response = api_client.post(
        URL,
        {"customer": customer.pk, "title": "计划", "period_start": "2026-01-01", "period_end": "2026-01-01"},
        format="json",
    )

    assert response.status_code == 201
    assert (response.json()["step"], response.json()["objectives"], response.json()["actions"]) == (
        "opportunity",
        [],
        [],
    )


def test_sent_lists_replace_the_plans_lists(api_client, rep, other_rep, plan):
    api_client.force_authenticate(rep)

    response = api_client.patch(
        f"{URL}{plan.pk}/",
        {
            "objectives": [{"description": "毛利率", "target": "25.5", "actual": "20", "unit": "%"}],
            "actions": [
                {"description": "高层互访", "owner": other_rep.pk, "due_on": None},
                {"description": "联合促销", "status": "done"},
            ],
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert [row.description for row in PlanObjective.objects.all()] == ["毛利率"]
    assert list(PlanAction.objects.order_by("id").values_list("description", "owner", "status")) == [
        ("高层互访", other_rep.pk, "todo"),
        ("联合促销", None, "done"),
    ]
    assert response.json()["objectives"] == [
        {"description": "毛利率", "target": "25.50", "actual": "20.00", "unit": "%"}
    ]
    assert [action["description"] for action in response.json()["actions"]] == ["高层互访", "联合促销"]


def test_lists_left_out_stay_and_empty_lists_clear(api_client, rep, plan):
    api_client.force_authenticate(rep)
    url = f"{URL}{plan.pk}/"

    kept = api_client.patch(url, {"step": "execution"}, format="json")
    assert kept.status_code == 200
    assert (PlanObjective.objects.count(), PlanAction.objects.count()) == (2, 1)
    assert len(kept.json()["objectives"]) == 2

    cleared = api_client.patch(url, {"objectives": []}, format="json")
    assert cleared.status_code == 200
    assert (PlanObjective.objects.count(), PlanAction.objects.count()) == (0, 1)
    assert cleared.json()["objectives"] == []


def test_put_of_the_representation_round_trips(api_client, rep, plan):
    api_client.force_authenticate(rep)
    body = api_client.get(f"{URL}{plan.pk}/").json()
    body["title"] = "2026 联合生意计划（修订）"
    objectives_before = list(PlanObjective.objects.values_list("description", "target", "actual", "unit"))

    response = api_client.put(f"{URL}{plan.pk}/", body, format="json")

    assert response.status_code == 200, response.json()
    assert AccountPlan.objects.get().title == "2026 联合生意计划（修订）"
    assert (
        list(PlanObjective.objects.values_list("description", "target", "actual", "unit"))
        == objectives_before
    )


def test_a_plan_whose_author_is_gone_can_still_be_edited(api_client, rep, plan):
    AccountPlan.objects.filter(pk=plan.pk).update(created_by=None)
    api_client.force_authenticate(rep)

    response = api_client.patch(f"{URL}{plan.pk}/", {"summary": "继续执行"}, format="json")

    assert response.status_code == 200
    assert response.json()["created_by"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"period_start": "2026-12-31", "period_end": "2026-01-01"}, "period_end"),
        ({"period_end": "2025-12-31"}, "period_end"),
        ({"period_start": "2026-02-30"}, "period_start"),
        ({"period_start": "next year"}, "period_start"),
        ({"step": "celebrate"}, "step"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"summary": "计划\x00"}, "summary"),
        ({"customer": HUGE_ID}, "customer"),
        ({"objectives": [{"description": "销售额", "target": "abc"}]}, "objectives"),
        ({"objectives": [{"description": "销售额", "target": "1e20"}]}, "objectives"),
        ({"objectives": [{"target": "1"}]}, "objectives"),
        ({"objectives": [{"description": "a\x00b"}]}, "objectives"),
        ({"objectives": {"description": "不是列表"}}, "objectives"),
        ({"objectives": "销售额"}, "objectives"),
        ({"actions": [{"description": "回顾", "owner": HUGE_ID}]}, "actions"),
        ({"actions": [{"description": "回顾", "owner": "abc"}]}, "actions"),
        ({"actions": [{"description": "回顾", "status": "blocked"}]}, "actions"),
        ({"actions": [{"description": "回顾", "due_on": "2026-04-31"}]}, "actions"),
        ({"actions": [{"description": "回顾"}, {"description": ""}]}, "actions"),
    ],
)
def test_bad_input_is_a_400_on_that_field_and_writes_nothing(api_client, rep, plan, body, field):
    api_client.force_authenticate(rep)
    before = snapshot()

    updated = api_client.patch(f"{URL}{plan.pk}/", body, format="json")
    created = api_client.post(
        URL,
        {"customer": plan.customer_id, "title": "新计划", "period_start": "2026-01-01", "period_end": "2026-12-31",
         **body},
        format="json",
    )  # fmt: skip

    for response in (updated, created):
        assert response.status_code == 400
        assert set(response.json()) == {field}
    assert snapshot() == before


def test_an_inactive_user_cannot_own_an_action(api_client, rep, plan):
    gone = UserFactory(is_active=False)
    api_client.force_authenticate(rep)
    before = snapshot()

    response = api_client.patch(
        f"{URL}{plan.pk}/", {"actions": [{"description": "回顾", "owner": gone.pk}]}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"actions"}
    assert snapshot() == before


def test_the_customer_of_a_plan_cannot_change(api_client, rep, plan):
    api_client.force_authenticate(rep)
    before = snapshot()

    response = api_client.patch(
        f"{URL}{plan.pk}/", {"customer": CustomerFactory(owner=rep).pk}, format="json"
    )

    assert (response.status_code, set(response.json())) == (400, {"customer"})
    assert snapshot() == before


def test_the_author_deletes_a_plan_with_its_lists(api_client, rep, plan):
    api_client.force_authenticate(rep)

    assert api_client.delete(f"{URL}{plan.pk}/").status_code == 204
    assert snapshot() == ([], [], [])


def test_an_account_team_member_edits_but_cannot_delete_anothers_plan(api_client, rep, other_rep):
    customer = CustomerFactory(owner=other_rep)
    AccountTeamMember.objects.create(customer=customer, user=rep)
    plan = AccountPlan.objects.create(
        customer=customer, title="计划", period_start=date(2026, 1, 1), period_end=date(2026, 6, 30),
        created_by=other_rep,
    )  # fmt: skip
    api_client.force_authenticate(rep)

    assert api_client.patch(f"{URL}{plan.pk}/", {"summary": "补充"}, format="json").status_code == 200
    before = snapshot()
    assert api_client.delete(f"{URL}{plan.pk}/").status_code == 403
    assert snapshot() == before


def test_filter_by_customer(api_client, rep, plan):
    other = AccountPlan.objects.create(
        customer=CustomerFactory(owner=rep), title="另一个", period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )  # fmt: skip
    api_client.force_authenticate(rep)

    response = api_client.get(URL, {"customer": other.customer_id})

    assert [row["id"] for row in response.json()["results"]] == [other.pk]
    assert api_client.get(URL, {"customer": "abc"}).status_code == 400


def test_list_runs_a_constant_number_of_queries(api_client, rep, manager, django_assert_num_queries):
    api_client.force_authenticate(manager)

    def plans(n):
        for _ in range(n):
            plan = AccountPlan.objects.create(
                customer=CustomerFactory(owner=rep), title="计划", period_start=date(2026, 1, 1),
                period_end=date(2026, 12, 31), created_by=rep,
            )  # fmt: skip
            PlanObjective.objects.create(plan=plan, description="销售额")
            PlanAction.objects.create(plan=plan, description="回顾", owner=rep)

    plans(3)
    # managed teams? (visible_to), count, page, objectives, actions
    with django_assert_num_queries(5):
        assert len(api_client.get(URL).json()["results"]) == 3
    plans(27)
    with django_assert_num_queries(5):
        assert len(api_client.get(URL).json()["results"]) == 30
