"""Account-plan pages (联合生意计划): who sees what, creating and editing a plan with its
objectives and actions, refused input, the step button, and how many queries the pages run.

Assertions look at data (ids, figures, data-testid hooks), never at translated labels.
"""

import re
from datetime import date
from decimal import Decimal

import pytest

from pipeline.models import AccountPlan, PlanAction, PlanObjective
from pipeline.services import account_plan_save
from tests.factories import CustomerFactory, UserFactory
from users.models import Role

pytestmark = pytest.mark.django_db


def page_html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def ids(html: str, testid: str, attribute: str) -> list[int]:
    return [int(pk) for pk in re.findall(rf'data-testid="{testid}" {attribute}="(\d+)"', html)]


def plan_form(*, objectives=(), actions=(), initial=(0, 0), **fields) -> dict:
    """The POST of the plan form: the plan's fields and both formsets' rows."""
    data = {
        "title": "年度联合生意计划",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "step": "joint_plan",
        "summary": "",
        **fields,
    }
    for prefix, rows, count in (("objectives", objectives, initial[0]), ("actions", actions, initial[1])):
        data |= {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(count)}
        data |= {f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
        for index, row in enumerate(rows):
            data |= {f"{prefix}-{index}-{key}": value for key, value in row.items()}
    return data


def make_plan(customer, by, *, title="年度联合生意计划", step="execution", objectives=None, actions=None):
    plan = AccountPlan(
        customer=customer,
        title=title,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        step=step,
    )
    return account_plan_save(
        plan=plan,
        by=by,
        objectives=objectives
        if objectives is not None
        else [
            {
                "description": "年度采购额",
                "target": Decimal(5_000_000),
                "actual": Decimal(2_000_000),
                "unit": "元",
            }
        ],
        actions=actions
        if actions is not None
        else [
            {"description": "季度业务回顾会", "owner": by, "due_on": date(2026, 3, 31), "status": "done"},
            {"description": "联合制定降本方案", "owner": by, "due_on": date(2026, 6, 30), "status": "todo"},
        ],
    )


def plan_state(plan: AccountPlan) -> tuple:
    """Everything the pages can change about a plan."""
    row = AccountPlan.objects.get(pk=plan.pk)
    return (
        row.title,
        row.period_start,
        row.period_end,
        row.step,
        list(row.objectives.values_list("description", "target", "actual", "unit")),
        list(row.actions.values_list("description", "owner_id", "due_on", "status")),
    )


@pytest.fixture
def mine(rep):
    return CustomerFactory(owner=rep, name="上海华信精密机械有限公司")


@pytest.fixture
def theirs(other_rep):
    return CustomerFactory(owner=other_rep, name="广州南方电子有限公司")


@pytest.fixture
def their_plan(theirs, other_rep):
    return make_plan(theirs, other_rep, title="他们的计划")


# --- Access ----------------------------------------------------------------------------------


def test_pages_need_a_login(client, mine, rep):
    plan = make_plan(mine, rep)
    for url in (
        f"/plans/customers/{mine.pk}/panel/",
        f"/plans/{plan.pk}/",
        f"/customers/{mine.pk}/plans/new/",
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize(
    "path",
    [
        "/plans/customers/{customer}/panel/",
        "/plans/{plan}/",
        "/plans/{plan}/edit/",
        "/customers/{customer}/plans/new/",
    ],
)
def test_another_reps_customer_and_plans_do_not_exist_for_a_rep(client, rep, theirs, their_plan, path):
    before = plan_state(their_plan)
    client.force_login(rep)
    url = path.format(customer=theirs.pk, plan=their_plan.pk)

    assert client.get(url).status_code == 404
    data = plan_form(title="改名", objectives=[{"description": "偷改", "target": "1"}])
    assert client.post(url, data).status_code == 404

    assert plan_state(their_plan) == before
    assert AccountPlan.objects.count() == 1


def test_another_reps_plan_cannot_be_moved_on(client, rep, their_plan):
    client.force_login(rep)
    assert client.post(f"/plans/{their_plan.pk}/advance/", {"from_step": "execution"}).status_code == 404
    assert AccountPlan.objects.get(pk=their_plan.pk).step == "execution"


def test_the_account_team_and_the_managers_see_the_plans(client, rep, theirs, their_plan, team, other_rep):
    theirs.team_memberships.create(user=rep)
    client.force_login(rep)
    assert ids(page_html(client.get(f"/plans/customers/{theirs.pk}/panel/")), "plan", "data-plan-id") == [
        their_plan.pk
    ]
    assert page_html(client.get(f"/plans/{their_plan.pk}/"))

    boss = UserFactory(role=Role.MANAGER)
    other_rep.teams.first().managers.add(boss)
    client.force_login(boss)
    assert page_html(client.get(f"/plans/{their_plan.pk}/edit/"))


def test_the_customer_page_loads_the_panel_from_the_plans_url(client, rep, mine):
    client.force_login(rep)
    html = page_html(client.get(f"/customers/{mine.pk}/"))
    assert f'data-panel-url="/plans/customers/{mine.pk}/panel/" data-testid="account-plans-panel"' in html


# --- The panel and the plan's page -----------------------------------------------------------


def test_the_panel_shows_each_plans_step_objectives_and_open_actions(client, rep, mine):
    older = make_plan(mine, rep, title="去年的计划", step="replication")
    older.period_start, older.period_end = date(2025, 1, 1), date(2025, 12, 31)
    older.save()
    plan = make_plan(mine, rep)
    open_action = plan.actions.get(status="todo")
    client.force_login(rep)

    html = page_html(client.get(f"/plans/customers/{mine.pk}/panel/"))

    assert "<html" not in html  # a fragment, not a page
    assert ids(html, "plan", "data-plan-id") == [plan.pk, older.pk]  # newest period first
    first = html[: html.index(f'data-plan-id="{older.pk}"')]
    states = re.findall(r'data-testid="plan-step" data-step="(\w+)" data-state="(\w+)"', first)
    assert states == [
        ("opportunity", "done"),
        ("joint_plan", "done"),
        ("execution", "current"),
        ("evaluation", "todo"),
        ("replication", "todo"),
    ]
    assert 'data-testid="objective" data-target="5000000.00" data-actual="2000000.00"' in first
    assert '<span class="plan-figure">2,000,000 / 5,000,000 元' in first  # separators, as money reads
    assert ids(first, "open-action", "data-action-id") == [open_action.pk]  # the done one is not shown
    assert 'data-testid="action-due"' in first
    assert f'href="/customers/{mine.pk}/plans/new/" data-testid="new-plan"' in html


def test_an_empty_panel_offers_a_new_plan(client, rep, mine):
    client.force_login(rep)
    html = page_html(client.get(f"/plans/customers/{mine.pk}/panel/"))
    assert 'data-testid="no-plans"' in html
    assert 'data-testid="new-plan"' in html


def test_the_plan_page_shows_the_plan_and_the_step_button(client, rep, mine):
    plan = make_plan(mine, rep, step="joint_plan")
    client.force_login(rep)

    html = page_html(client.get(f"/plans/{plan.pk}/"))

    assert f'data-testid="plan-detail" data-plan-id="{plan.pk}" data-step="joint_plan"' in html
    assert 'data-testid="advance-step" data-next-step="execution"' in html
    assert len(re.findall(r'data-testid="action" data-action-id="\d+"', html)) == 2
    assert '<span style="width: 40%">' in html  # 2,000,000 of 5,000,000


# --- Creating and editing --------------------------------------------------------------------


def test_a_rep_creates_a_plan_with_objectives_and_actions(client, rep, mine):
    colleague = UserFactory(username="rep5")
    mine.team_memberships.create(user=colleague)
    client.force_login(rep)
    form = page_html(client.get(f"/customers/{mine.pk}/plans/new/"))
    assert f'<option value="{colleague.pk}">' in form  # the account team may own actions

    response = client.post(
        f"/customers/{mine.pk}/plans/new/",
        plan_form(
            summary="以季度回顾推动执行",
            objectives=[
                {"description": "年度采购额", "target": "5000000", "actual": "", "unit": "元"},
                {"description": "交付准时率", "target": "98.5", "actual": "96", "unit": "%"},
                {"description": "", "target": "", "actual": "", "unit": ""},  # an empty new row: skipped
            ],
            actions=[
                {
                    "description": "季度业务回顾会",
                    "owner": str(colleague.pk),
                    "due_on": "2026-03-31",
                    "status": "todo",
                },
                {"description": "安排高层互访", "owner": "", "due_on": "", "status": "doing"},
                {"description": "", "owner": "", "due_on": "", "status": "todo"},
            ],
        ),
    )

    plan = AccountPlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/plans/{plan.pk}/"
    assert (plan.customer, plan.created_by, plan.step, plan.summary) == (
        mine,
        rep,
        "joint_plan",
        "以季度回顾推动执行",
    )
    assert (plan.period_start, plan.period_end) == (date(2026, 1, 1), date(2026, 12, 31))
    assert list(plan.objectives.values_list("description", "target", "actual", "unit")) == [
        ("年度采购额", Decimal("5000000.00"), None, "元"),
        ("交付准时率", Decimal("98.50"), Decimal("96.00"), "%"),
    ]
    assert list(plan.actions.order_by("id").values_list("description", "owner_id", "due_on", "status")) == [
        ("季度业务回顾会", colleague.pk, date(2026, 3, 31), "todo"),
        ("安排高层互访", None, None, "doing"),
    ]


def test_editing_replaces_the_lists(client, rep, mine):
    plan = make_plan(
        mine,
        rep,
        objectives=[
            {"description": "年度采购额", "target": Decimal(100), "actual": None, "unit": "万元"},
            {"description": "我方份额", "target": Decimal(40), "actual": None, "unit": "%"},
        ],
    )
    client.force_login(rep)
    form = page_html(client.get(f"/plans/{plan.pk}/edit/"))
    assert 'name="objectives-0-description" value="年度采购额"' in form
    assert 'name="objectives-INITIAL_FORMS" value="2"' in form

    response = client.post(
        f"/plans/{plan.pk}/edit/",
        plan_form(
            title="年度联合生意计划（修订）",
            step="execution",
            initial=(2, 2),
            objectives=[
                {"description": "年度采购额", "target": "120", "actual": "30", "unit": "万元"},
                {"description": "我方份额", "target": "40", "actual": "", "unit": "%", "DELETE": "on"},
                {"description": "新品导入数量", "target": "3", "actual": "", "unit": "个"},
            ],
            actions=[
                {
                    "description": "季度业务回顾会",
                    "owner": str(rep.pk),
                    "due_on": "2026-03-31",
                    "status": "done",
                },
                {
                    "description": "联合制定降本方案",
                    "owner": str(rep.pk),
                    "due_on": "",
                    "status": "todo",
                    "DELETE": "on",
                },
            ],
        ),
    )

    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.title, plan.step) == ("年度联合生意计划（修订）", "execution")
    assert list(plan.objectives.values_list("description", "target", "actual")) == [
        ("年度采购额", Decimal("120.00"), Decimal("30.00")),
        ("新品导入数量", Decimal("3.00"), None),
    ]
    assert list(plan.actions.values_list("description", "status")) == [("季度业务回顾会", "done")]
    assert PlanObjective.objects.count() == 2
    assert PlanAction.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"period_start": "2026-12-31", "period_end": "2026-01-01"}, "period_end"),
        ({"period_start": "2026-02-30"}, "period_start"),
        ({"title": ""}, "title"),
        ({"step": "done"}, "step"),
        (
            {"objectives": [{"description": "年度采购额", "target": "五百万", "actual": "", "unit": "元"}]},
            "target",
        ),
        ({"objectives": [{"description": "", "target": "100", "actual": "", "unit": ""}]}, "description"),
        (
            {"actions": [{"description": "拜访", "owner": "", "due_on": "2026-13-01", "status": "todo"}]},
            "due_on",
        ),
        ({"actions": [{"description": "拜访", "owner": "", "due_on": "", "status": "later"}]}, "status"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(client, rep, mine, change, error):
    plan = make_plan(mine, rep)
    before = plan_state(plan)
    client.force_login(rep)
    rows = {
        "objectives": [{"description": "交付准时率", "target": "98", "actual": "", "unit": "%"}],
        "actions": [],
    }

    created = client.post(f"/customers/{mine.pk}/plans/new/", plan_form(**(rows | change)))
    edited = client.post(f"/plans/{plan.pk}/edit/", plan_form(**(rows | change)))

    for response in (created, edited):
        assert f'data-testid="error-{error}"' in page_html(response)
    assert AccountPlan.objects.count() == 1
    assert plan_state(plan) == before


def test_an_action_cannot_be_given_to_someone_outside_the_team(client, rep, mine, other_rep):
    plan = make_plan(mine, rep)
    before = plan_state(plan)
    client.force_login(rep)
    form = page_html(client.get(f"/plans/{plan.pk}/edit/"))
    assert f'<option value="{other_rep.pk}"' not in form

    response = client.post(
        f"/plans/{plan.pk}/edit/",
        plan_form(
            actions=[{"description": "越权分派", "owner": str(other_rep.pk), "due_on": "", "status": "todo"}]
        ),
    )

    assert 'data-testid="error-owner"' in page_html(response)
    assert plan_state(plan) == before


def test_an_action_keeps_its_owner_after_they_leave_the_team(client, rep, mine):
    former = UserFactory(username="rep8")
    plan = make_plan(
        mine, rep, actions=[{"description": "交接", "owner": former, "due_on": None, "status": "todo"}]
    )
    client.force_login(rep)
    form = page_html(client.get(f"/plans/{plan.pk}/edit/"))
    assert f'<option value="{former.pk}" selected>' in form


# --- The step button -------------------------------------------------------------------------


def test_the_button_moves_the_plan_one_step_and_a_second_press_does_not_skip(client, rep, mine):
    plan = make_plan(mine, rep, step="joint_plan")
    objectives = list(plan.objectives.values_list("pk", flat=True))
    client.force_login(rep)

    first = client.post(f"/plans/{plan.pk}/advance/", {"from_step": "joint_plan"})
    again = client.post(f"/plans/{plan.pk}/advance/", {"from_step": "joint_plan"})

    assert first.status_code == again.status_code == 302
    assert first["Location"] == f"/plans/{plan.pk}/"
    assert AccountPlan.objects.get(pk=plan.pk).step == "execution"
    assert list(plan.objectives.values_list("pk", flat=True)) == objectives  # the lists stay as they are
    assert client.get(f"/plans/{plan.pk}/advance/").status_code == 405


def test_the_last_step_has_no_next(client, rep, mine):
    plan = make_plan(mine, rep, step="replication")
    client.force_login(rep)
    assert 'data-testid="advance-step"' not in page_html(client.get(f"/plans/{plan.pk}/"))
    client.post(f"/plans/{plan.pk}/advance/", {"from_step": "replication"})
    assert AccountPlan.objects.get(pk=plan.pk).step == "replication"


# --- Query counts ----------------------------------------------------------------------------


def _plans(customer, by, n: int) -> AccountPlan:
    colleague = UserFactory()
    for index in range(n):
        plan = make_plan(
            customer,
            by,
            title=f"计划{index}",
            objectives=[
                {"description": f"目标{k}", "target": Decimal(10 + k), "actual": Decimal(k), "unit": "个"}
                for k in range(n)
            ],
            actions=[
                {
                    "description": f"行动{k}",
                    "owner": colleague if k % 2 else by,
                    "due_on": None,
                    "status": "todo",
                }
                for k in range(n)
            ],
        )
    return plan


@pytest.mark.parametrize("n", [1, 8])
def test_the_panel_runs_a_fixed_number_of_queries(client, rep, mine, n, django_assert_num_queries):
    _plans(mine, rep, n)
    client.force_login(rep)
    # session, user, visibility check, customer, plans, their objectives, their open actions (+ owners)
    with django_assert_num_queries(7):
        html = page_html(client.get(f"/plans/customers/{mine.pk}/panel/"))
    assert len(ids(html, "plan", "data-plan-id")) == n


@pytest.mark.parametrize("n", [1, 8])
def test_the_plan_page_runs_a_fixed_number_of_queries(client, rep, mine, n, django_assert_num_queries):
    plan = _plans(mine, rep, n)
    client.force_login(rep)
    # session, user, visibility check, plan (+ customer, author), objectives, actions (+ owners)
    with django_assert_num_queries(7):  # +1: the bell's unread count (base.html)
        html = page_html(client.get(f"/plans/{plan.pk}/"))
    assert len(re.findall(r'data-testid="action" data-action-id="\d+"', html)) == n


@pytest.mark.parametrize("n", [1, 8])
def test_the_plan_form_runs_a_fixed_number_of_queries(client, rep, mine, n, django_assert_num_queries):
    plan = _plans(mine, rep, n)
    client.force_login(rep)
    # session, user, visibility check, plan, objectives, actions, the owners to choose from
    with django_assert_num_queries(8):  # +1: the bell's unread count (base.html)
        page_html(client.get(f"/plans/{plan.pk}/edit/"))
