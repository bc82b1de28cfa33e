"""/api/v1/reviews/ and /api/v1/review-actions/: the JSON shape, nested actions written with the
review, the period's results and the plans beside them, refused input (400, nothing written),
visibility (404), who may delete, ticking an action off, and query counts."""

from datetime import date
from decimal import Decimal

import pytest

from accounts.models import AccountTeamMember
from audit.models import AuditEvent
from pipeline.models import AccountPlan, PlanObjective
from servicing.models import AccountReview, ReviewAction
from servicing.services import ActionRow, review_create
from tests.factories import CustomerFactory, TransactionFactory, UserFactory
from users.models import Role

pytestmark = pytest.mark.django_db

URL = "/api/v1/reviews/"
ACTIONS = "/api/v1/review-actions/"


@pytest.fixture
def mine(rep):
    return CustomerFactory(owner=rep, name="华信集团")


@pytest.fixture
def theirs(other_rep):
    return CustomerFactory(owner=other_rep, name="南方电子")


def body(customer, **fields) -> dict:
    return {
        "customer": customer.pk,
        "reviewed_on": "2026-04-02",
        "period_start": "2026-01-01",
        "period_end": "2026-03-31",
        "relationship_health": 4,
        "potential": "二期扩产",
        **fields,
    }


def make_review(customer, by, actions=None, on=date(2026, 4, 2)):
    return review_create(
        customer=customer,
        by=by,
        reviewed_on=on,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 3, 31),
        actions=[ActionRow(description="回顾会", owner=by, due_on=date(2026, 4, 30))]
        if actions is None
        else actions,
    )


def written() -> tuple:
    return (
        list(AccountReview.objects.order_by("id").values_list()),
        list(ReviewAction.objects.order_by("id").values_list()),
    )


def test_create_with_actions_and_the_computed_results(api_client, rep, mine):
    TransactionFactory(
        customer=mine, occurred_on=date(2026, 1, 1), amount=Decimal("70000.00"), margin=Decimal(10_000)
    )
    TransactionFactory(customer=mine, occurred_on=date(2026, 3, 31), amount=Decimal("-10000.00"), margin=None)
    TransactionFactory(customer=mine, occurred_on=date(2026, 4, 1), amount=Decimal("5000.00"))  # after
    plan = AccountPlan.objects.create(
        customer=mine, title="2026 计划", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)
    )
    PlanObjective.objects.create(plan=plan, description="年度采购额", target=Decimal(2_000_000), unit="元")
    api_client.force_authenticate(rep)

    response = api_client.post(
        URL,
        body(mine, actions=[{"description": "联合降本方案", "owner": rep.pk, "due_on": "2026-05-15"}]),
        format="json",
    )

    assert response.status_code == 201, response.content
    data = response.json()
    review = AccountReview.objects.get()
    assert data["id"] == review.pk
    assert (data["customer"], data["customer_name"], data["created_by"]) == (mine.pk, "华信集团", "rep1")
    assert (data["period_sales"], data["period_margin"], data["period_orders"]) == ("60000.00", "10000.00", 2)
    assert data["plans"] == [
        {
            "id": plan.pk,
            "title": "2026 计划",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "objectives": [
                {"description": "年度采购额", "target": "2000000.00", "actual": None, "unit": "元"}
            ],
        }
    ]
    action = review.actions.get()
    assert data["actions"] == [
        {
            "id": action.pk,
            "description": "联合降本方案",
            "owner": rep.pk,
            "owner_name": rep.display_name,
            "due_on": "2026-05-15",
            "done_at": None,
        }
    ]
    assert data["open_action_count"] == 1
    assert (
        AuditEvent.objects.filter(object_type="accountreview", object_id=review.pk, source="api").count() == 2
    )


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"period_start": "2026-04-01", "period_end": "2026-03-31"}, "period_end"),
        ({"relationship_health": 6}, "relationship_health"),
        ({"relationship_health": 0}, "relationship_health"),
        ({"reviewed_on": "2099-01-01"}, "reviewed_on"),
        ({"reviewed_on": None}, "reviewed_on"),
        ({"summary": "坏\x00字符"}, "summary"),
        ({"actions": [{"description": ""}]}, "actions"),
        ({"actions": [{"description": "早于评估", "due_on": "2026-04-01"}]}, "actions"),
        ({"actions": [{"description": "无此人", "owner": 999999}]}, "actions"),
        ({"actions": "不是列表"}, "actions"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(api_client, rep, mine, fields, error):
    api_client.force_authenticate(rep)
    response = api_client.post(URL, body(mine, **fields), format="json")
    assert response.status_code == 400, response.content
    assert error in response.json()
    assert written() == ([], [])


def test_an_action_owner_who_cannot_see_the_customer_is_a_400_on_that_row(api_client, rep, other_rep, mine):
    review = make_review(mine, rep)
    before = written()
    api_client.force_authenticate(rep)
    actions = [{"description": "我来", "owner": rep.pk}, {"description": "他来", "owner": other_rep.pk}]

    for response in (
        api_client.post(URL, body(mine, actions=actions), format="json"),
        api_client.patch(f"{URL}{review.pk}/", {"actions": actions}, format="json"),
    ):
        assert response.status_code == 400
        rows = response.json()["actions"]
        assert rows[0] == {}
        assert list(rows[1]) == ["owner"]
    assert written() == before


def test_patch_writes_the_actions_as_sent(api_client, rep, mine):
    review = make_review(
        mine, rep, [ActionRow(description="保留", owner=rep), ActionRow(description="删除", owner=rep)]
    )
    kept, dropped = review.actions.order_by("id")
    api_client.force_authenticate(rep)
    assert api_client.post(f"{ACTIONS}{kept.pk}/done/").status_code == 200
    done_at = ReviewAction.objects.get(pk=kept.pk).done_at

    response = api_client.patch(
        f"{URL}{review.pk}/",
        {"actions": [{"id": kept.pk, "description": "保留（改）", "owner": rep.pk}, {"description": "新增"}]},
        format="json",
    )

    assert response.status_code == 200, response.content
    rows = {row["description"]: row for row in response.json()["actions"]}
    assert set(rows) == {"保留（改）", "新增"}
    assert rows["保留（改）"]["id"] == kept.pk
    assert ReviewAction.objects.get(pk=kept.pk).done_at == done_at
    assert not ReviewAction.objects.filter(pk=dropped.pk).exists()
    assert response.json()["open_action_count"] == 1


def test_patch_without_actions_keeps_them_and_a_partial_row_is_refused(api_client, rep, mine):
    review = make_review(mine, rep)
    api_client.force_authenticate(rep)
    response = api_client.patch(f"{URL}{review.pk}/", {"summary": "补充"}, format="json")
    assert response.status_code == 200
    assert [row["description"] for row in response.json()["actions"]] == ["回顾会"]

    before = written()
    response = api_client.patch(f"{URL}{review.pk}/", {"actions": [{"owner": rep.pk}]}, format="json")
    assert response.status_code == 400, response.json()
    assert "description" in response.json()["actions"]["0"]  # DRF's shape for a partial update
    assert written() == before


def test_the_customer_cannot_change(api_client, rep, mine):
    review = make_review(mine, rep)
    api_client.force_authenticate(rep)
    other = CustomerFactory(owner=rep)
    response = api_client.patch(f"{URL}{review.pk}/", {"customer": other.pk}, format="json")
    assert response.status_code == 400
    assert "customer" in response.json()
    assert api_client.patch(f"{URL}{review.pk}/", {"customer": mine.pk}, format="json").status_code == 200


def test_another_reps_reviews_do_not_exist(api_client, rep, other_rep, theirs):
    review = make_review(theirs, other_rep)
    action = review.actions.get()
    before = written()
    api_client.force_authenticate(rep)

    assert api_client.get(URL).json()["results"] == []
    assert api_client.get(ACTIONS).json()["results"] == []
    for url in (f"{URL}{review.pk}/", f"{ACTIONS}{action.pk}/"):
        assert api_client.get(url).status_code == 404
    assert api_client.patch(f"{URL}{review.pk}/", {"summary": "偷改"}, format="json").status_code == 404
    assert api_client.put(f"{URL}{review.pk}/", body(theirs), format="json").status_code == 404
    assert api_client.delete(f"{URL}{review.pk}/").status_code == 404
    assert api_client.post(f"{ACTIONS}{action.pk}/done/").status_code == 404
    response = api_client.post(URL, body(theirs), format="json")
    assert response.status_code == 400
    assert "customer" in response.json()
    assert written() == before


def test_the_account_team_writes_but_only_the_author_or_a_manager_deletes(api_client, rep, mine, manager):
    member = UserFactory(username="solution", role=Role.REP)
    AccountTeamMember.objects.create(customer=mine, user=member)
    review = make_review(mine, rep)
    api_client.force_authenticate(member)
    assert api_client.patch(f"{URL}{review.pk}/", {"problems": "交期"}, format="json").status_code == 200
    assert api_client.delete(f"{URL}{review.pk}/").status_code == 403
    assert AccountReview.objects.filter(pk=review.pk).exists()
    own = api_client.post(URL, body(mine, reviewed_on="2026-04-03"), format="json").json()["id"]
    assert api_client.delete(f"{URL}{own}/").status_code == 204

    api_client.force_authenticate(manager)
    assert api_client.delete(f"{URL}{review.pk}/").status_code == 204
    assert not AccountReview.objects.exists()


def test_filters(api_client, rep, mine):
    other = CustomerFactory(owner=rep)
    mine_review = make_review(mine, rep)
    make_review(other, rep, actions=[ActionRow(description="别的客户", owner=rep)])
    done = ReviewAction.objects.create(
        review=mine_review, description="已完成", done_at="2026-04-03T10:00:00+08:00"
    )
    api_client.force_authenticate(rep)

    assert [row["id"] for row in api_client.get(URL, {"customer": mine.pk}).json()["results"]] == [
        mine_review.pk
    ]
    assert api_client.get(URL, {"customer": "abc"}).status_code == 400
    rows = api_client.get(ACTIONS, {"customer": mine.pk, "open": "false"}).json()["results"]
    assert [row["id"] for row in rows] == [done.pk]
    rows = api_client.get(ACTIONS, {"owner": rep.pk, "open": "true"}).json()["results"]
    assert [row["description"] for row in rows] == ["回顾会", "别的客户"]
    assert api_client.get(ACTIONS, {"open": "maybe"}).status_code == 400


def test_done_ticks_an_action_off_once(api_client, rep, mine):
    action = make_review(mine, rep).actions.get()
    api_client.force_authenticate(rep)
    first = api_client.post(f"{ACTIONS}{action.pk}/done/")
    assert first.status_code == 200
    data = first.json()
    assert (data["id"], data["review"], data["customer"], data["customer_name"]) == (
        action.pk, action.review_id, mine.pk, "华信集团",
    )  # fmt: skip
    assert data["done_at"] is not None
    assert api_client.post(f"{ACTIONS}{action.pk}/done/").json()["done_at"] == data["done_at"]


def test_lists_run_a_constant_number_of_queries(api_client, rep, manager, django_assert_num_queries):
    api_client.force_authenticate(manager)

    def reviews(n):
        for _ in range(n):
            customer = CustomerFactory(owner=rep)
            make_review(
                customer, rep, [ActionRow(description="回顾", owner=rep), ActionRow(description="样品")]
            )
            TransactionFactory(customer=customer, occurred_on=date(2026, 2, 1))
            plan = AccountPlan.objects.create(
                customer=customer, title="计划", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)
            )
            PlanObjective.objects.create(plan=plan, description="销售额", target=Decimal(1))

    reviews(2)
    # managed teams? (visible_to), count, page (+ figures), actions (+ owners), plans, objectives
    with django_assert_num_queries(6):
        assert len(api_client.get(URL).json()["results"]) == 2
    # managed teams? (visible_to), count, page (+ owners, reviews, customers)
    with django_assert_num_queries(3):
        assert len(api_client.get(ACTIONS).json()["results"]) == 4
    reviews(10)
    with django_assert_num_queries(6):
        assert len(api_client.get(URL).json()["results"]) == 12
    with django_assert_num_queries(3):
        assert len(api_client.get(ACTIONS).json()["results"]) == 24
