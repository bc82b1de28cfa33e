"""Account-review pages (大客户定期评估): who sees and writes what, the panel on the customer
page, a review's page, creating and editing a review with its agreed actions, refused input
that writes nothing, deleting, ticking off an action, and how many queries the pages run.

Assertions look at data (ids, figures, data-testid hooks), never at translated labels.
"""

import re
from datetime import date
from decimal import Decimal

import pytest

from accounts.models import AccountTeamMember
from pipeline.models import AccountPlan, PlanObjective
from servicing.models import AccountReview, ReviewAction
from servicing.services import ActionRow, review_action_done, review_create
from tests.factories import CustomerFactory, TransactionFactory, UserFactory
from users.models import Role

pytestmark = pytest.mark.django_db


def page_html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def ids(html: str, testid: str, attribute: str) -> list[int]:
    return [int(pk) for pk in re.findall(rf'data-testid="{testid}" {attribute}="(\d+)"', html)]


def review_form(*, actions=(), initial=0, **fields) -> dict:
    """The POST of the review form: the review's fields and the action formset's rows."""
    data = {
        "reviewed_on": "2026-04-02",
        "period_start": "2026-01-01",
        "period_end": "2026-03-31",
        "relationship_health": "4",
        "potential": "二期扩产，年需求约 800 万",
        "problems": "交期不稳",
        "summary": "",
        **fields,
    }
    data |= {"actions-TOTAL_FORMS": str(len(actions)), "actions-INITIAL_FORMS": str(initial)}
    data |= {"actions-MIN_NUM_FORMS": "0", "actions-MAX_NUM_FORMS": "1000"}
    for index, row in enumerate(actions):
        data |= {f"actions-{index}-{key}": value for key, value in row.items()}
    return data


def make_review(customer, by, *, actions=None, on=date(2026, 4, 2)):
    rows = actions if actions is not None else [
        ActionRow(description="季度业务回顾会", owner=by, due_on=date(2026, 4, 30)),
        ActionRow(description="寄送新品样品", owner=by, due_on=date(2026, 4, 10)),
    ]  # fmt: skip
    return review_create(
        customer=customer,
        by=by,
        reviewed_on=on,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 3, 31),
        relationship_health=3,
        actions=rows,
    )


def state() -> tuple:
    """Everything the pages can write."""
    return (
        list(AccountReview.objects.order_by("id").values_list()),
        list(ReviewAction.objects.order_by("id").values_list()),
    )


@pytest.fixture
def mine(rep):
    return CustomerFactory(owner=rep, name="上海华信精密机械有限公司")


@pytest.fixture
def theirs(other_rep):
    return CustomerFactory(owner=other_rep, name="广州南方电子有限公司")


@pytest.fixture
def their_review(theirs, other_rep):
    return make_review(theirs, other_rep)


# --- Access ----------------------------------------------------------------------------------


def test_pages_need_a_login(client, mine, rep):
    review = make_review(mine, rep)
    for url in (
        f"/reviews/customers/{mine.pk}/panel/",
        f"/reviews/{review.pk}/",
        f"/customers/{mine.pk}/reviews/new/",
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize(
    "path",
    [
        "/reviews/customers/{customer}/panel/",
        "/reviews/{review}/",
        "/reviews/{review}/edit/",
        "/customers/{customer}/reviews/new/",
        "/reviews/{review}/delete/",
        "/review-actions/{action}/done/",
    ],
)
def test_another_reps_customer_and_reviews_do_not_exist_for_a_rep(client, rep, theirs, their_review, path):
    before = state()
    client.force_login(rep)
    url = path.format(customer=theirs.pk, review=their_review.pk, action=their_review.actions.first().pk)

    assert client.get(url).status_code in (404, 405)
    assert client.post(url, review_form(summary="偷改", actions=[{"description": "偷加"}])).status_code == 404

    assert state() == before


def test_the_account_team_and_the_managers_read_and_write_the_reviews(
    client, rep, theirs, their_review, other_rep
):
    AccountTeamMember.objects.create(customer=theirs, user=rep)
    client.force_login(rep)
    html = page_html(client.get(f"/reviews/customers/{theirs.pk}/panel/"))
    assert ids(html, "review", "data-review-id") == [their_review.pk]
    assert page_html(client.get(f"/reviews/{their_review.pk}/"))

    boss = UserFactory(role=Role.MANAGER)
    other_rep.teams.first().managers.add(boss)
    client.force_login(boss)
    response = client.post(f"/reviews/{their_review.pk}/edit/", review_form(summary="经理补充"))
    assert response.status_code == 302
    assert AccountReview.objects.get(pk=their_review.pk).summary == "经理补充"


def test_the_customer_page_loads_the_panel_from_the_reviews_url(client, rep, mine):
    client.force_login(rep)
    html = page_html(client.get(f"/customers/{mine.pk}/"))
    assert f'data-panel-url="/reviews/customers/{mine.pk}/panel/" data-testid="account-reviews-panel"' in html


# --- The panel and the review's page ---------------------------------------------------------


def test_the_panel_lists_reviews_with_their_sales_health_and_open_actions(client, rep, mine):
    TransactionFactory(customer=mine, occurred_on=date(2026, 2, 1), amount=Decimal("1234567.50"))
    TransactionFactory(customer=mine, occurred_on=date(2026, 4, 1), amount=Decimal("1000.00"))  # after
    older = make_review(mine, rep, on=date(2026, 1, 5), actions=[])
    review = make_review(mine, rep)
    done, still_open = review.actions.order_by("due_on")
    review_action_done(action=done, by=rep)
    client.force_login(rep)

    html = page_html(client.get(f"/reviews/customers/{mine.pk}/panel/"))

    assert "<html" not in html  # a fragment, not a page
    assert ids(html, "review", "data-review-id") == [review.pk, older.pk]  # newest first
    first = html[: html.index(f'data-review-id="{older.pk}"')]
    assert 'data-testid="review-sales" data-amount="1234567.50">¥1,234,567.50<' in first
    assert 'data-testid="review-health"><span class="rating" data-value="3"' in first
    assert ids(first, "open-action", "data-action-id") == [still_open.pk]
    assert f'href="/customers/{mine.pk}/reviews/new/" data-testid="new-review"' in html


def test_an_empty_panel_offers_a_new_review(client, rep, mine):
    client.force_login(rep)
    html = page_html(client.get(f"/reviews/customers/{mine.pk}/panel/"))
    assert 'data-testid="no-reviews"' in html
    assert 'data-testid="new-review"' in html


def test_the_review_page_shows_the_results_beside_the_plans_targets(client, rep, mine):
    TransactionFactory(customer=mine, occurred_on=date(2026, 1, 1), amount=Decimal("600000.00"), margin=None)
    TransactionFactory(customer=mine, occurred_on=date(2026, 3, 31), amount=Decimal("-100000.00"),
                       margin=Decimal("-5000.00"))  # fmt: skip
    plan = AccountPlan.objects.create(
        customer=mine, title="2026 联合生意计划", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)
    )
    PlanObjective.objects.create(plan=plan, description="年度采购额", target=Decimal(2_000_000), unit="元")
    review = make_review(mine, rep)
    client.force_login(rep)

    html = page_html(client.get(f"/reviews/{review.pk}/"))

    assert 'data-testid="review-sales" data-amount="500000.00">¥500,000<' in html
    assert 'data-testid="review-margin" data-amount="-5000.00">-¥5,000<' in html
    assert 'data-testid="review-orders">2<' in html
    assert ids(html, "review-plan", "data-plan-id") == [plan.pk]
    assert 'data-testid="review-plan-objective" data-target="2000000.00"' in html
    assert len(ids(html, "action", "data-action-id")) == 2
    assert html.count('data-testid="action-done"') == 2


def test_the_review_page_says_when_no_plan_covers_the_period(client, rep, mine):
    review = make_review(mine, rep)
    client.force_login(rep)
    assert 'data-testid="no-review-plan"' in page_html(client.get(f"/reviews/{review.pk}/"))


# --- Creating and editing --------------------------------------------------------------------


def test_the_new_review_form_starts_after_the_last_review(client, rep, mine):
    client.force_login(rep)
    html = page_html(client.get(f"/customers/{mine.pk}/reviews/new/"))
    assert 'name="reviewed_on"' in html
    assert html.count('data-testid="action-row"') == 2  # two empty rows to fill

    make_review(mine, rep)  # its period ends on 2026-03-31
    html = page_html(client.get(f"/customers/{mine.pk}/reviews/new/"))
    assert 'name="period_start" value="2026-04-01"' in html


def test_a_review_is_created_with_its_actions(client, rep, mine, team):
    member = UserFactory(username="solution", role=Role.REP)
    AccountTeamMember.objects.create(customer=mine, user=member)
    client.force_login(rep)

    response = client.post(
        f"/customers/{mine.pk}/reviews/new/",
        review_form(
            actions=[
                {"description": "联合降本方案", "owner": str(member.pk), "due_on": "2026-05-15"},
                {"description": "", "owner": "", "due_on": ""},  # an empty row: skipped
            ]
        ),
    )

    review = AccountReview.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/reviews/{review.pk}/"
    assert (review.customer, review.created_by, review.relationship_health, review.problems) == (
        mine, rep, 4, "交期不稳",
    )  # fmt: skip
    assert list(review.actions.values_list("description", "owner", "due_on")) == [
        ("联合降本方案", member.pk, date(2026, 5, 15))
    ]


@pytest.mark.parametrize(
    ("fields", "actions", "error"),
    [
        ({"period_end": "2025-12-31"}, [], "period_end"),
        ({"relationship_health": "6"}, [], "relationship_health"),
        ({"reviewed_on": ""}, [], "reviewed_on"),
        ({"reviewed_on": "2099-01-01", "period_end": "2099-01-01"}, [], "reviewed_on"),  # the future
        ({}, [{"description": "", "owner": "", "due_on": "2026-05-01"}], "description"),
        ({}, [{"description": "行动", "owner": "", "due_on": "2026-04-01"}], "due_on"),  # before the review
        ({}, [{"description": "行动", "owner": "{other}", "due_on": ""}], "owner"),  # cannot see the customer
    ],
)
def test_refused_input_is_shown_on_its_field_and_writes_nothing(
    client, rep, other_rep, mine, fields, actions, error
):
    review = make_review(mine, rep)
    before = state()
    client.force_login(rep)
    rows = [{**row, "owner": row["owner"].format(other=other_rep.pk)} for row in actions]
    for url in (f"/customers/{mine.pk}/reviews/new/", f"/reviews/{review.pk}/edit/"):
        html = page_html(client.post(url, review_form(actions=rows, **fields)))
        assert f'data-testid="error-{error}"' in html, url
    assert state() == before


def test_editing_adds_changes_and_deletes_actions(client, rep, mine):
    review = make_review(mine, rep)
    first, second = review.actions.order_by("id")
    review_action_done(action=first, by=rep)
    done_at = ReviewAction.objects.get(pk=first.pk).done_at
    client.force_login(rep)
    html = page_html(client.get(f"/reviews/{review.pk}/edit/"))
    assert html.count('data-testid="action-row"') == 4  # two actions, two empty rows
    assert f'name="actions-0-id" value="{first.pk}"' in html

    response = client.post(
        f"/reviews/{review.pk}/edit/",
        review_form(
            initial=2,
            summary="复盘完成",
            actions=[
                {"id": str(first.pk), "description": "季度业务回顾会（已开）", "owner": str(rep.pk), "due_on": "2026-04-30"},
                {"id": str(second.pk), "description": "寄送新品样品", "owner": str(rep.pk), "due_on": "2026-04-10",
                 "DELETE": "on"},
                {"description": "安排高层拜访", "owner": str(rep.pk), "due_on": "2026-06-01"},
            ],
        ),
    )  # fmt: skip

    assert response.status_code == 302
    actions = list(review.actions.order_by("id").values_list("id", "description", "done_at"))
    assert actions[0] == (first.pk, "季度业务回顾会（已开）", done_at)
    assert [row[1] for row in actions[1:]] == ["安排高层拜访"]
    assert AccountReview.objects.get(pk=review.pk).summary == "复盘完成"


def test_a_tampered_action_id_is_refused(client, rep, mine, their_review):
    review = make_review(mine, rep)
    before = state()
    client.force_login(rep)
    theirs = their_review.actions.first()
    html = page_html(
        client.post(
            f"/reviews/{review.pk}/edit/",
            review_form(actions=[{"id": str(theirs.pk), "description": "偷来", "owner": "", "due_on": ""}]),
        )
    )
    assert 'class="review-row has-error"' in html
    assert state() == before


# --- Deleting and ticking off ----------------------------------------------------------------


def test_deleting_needs_the_author_or_whoever_manages_the_customer(client, rep, mine, manager):
    member = UserFactory(username="solution", role=Role.REP)
    AccountTeamMember.objects.create(customer=mine, user=member)
    review = make_review(mine, rep)
    client.force_login(member)
    assert 'data-testid="delete-review"' not in page_html(client.get(f"/reviews/{review.pk}/"))
    assert client.post(f"/reviews/{review.pk}/delete/").status_code == 403
    assert AccountReview.objects.filter(pk=review.pk).exists()

    client.force_login(manager)
    assert 'data-testid="delete-review"' in page_html(client.get(f"/reviews/{review.pk}/"))
    response = client.post(f"/reviews/{review.pk}/delete/")
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{mine.pk}/#account-reviews"
    assert not AccountReview.objects.exists()
    assert not ReviewAction.objects.exists()


def test_an_action_is_ticked_off_and_the_page_returns_where_it_was(client, rep, mine):
    review = make_review(mine, rep)
    action = review.actions.first()
    client.force_login(rep)

    response = client.post(f"/review-actions/{action.pk}/done/", {"next": "/my-day/"})
    assert response["Location"] == "/my-day/"
    assert ReviewAction.objects.get(pk=action.pk).done_at is not None

    other = review.actions.exclude(pk=action.pk).get()
    response = client.post(f"/review-actions/{other.pk}/done/", {"next": "https://evil.example/"})
    assert response["Location"] == f"/reviews/{review.pk}/#action-{other.pk}"


# --- Queries ---------------------------------------------------------------------------------


def _reviews(customer, by, n):
    for i in range(n):
        review = make_review(customer, by, on=date(2026, 4, 1 + i))
        AccountPlan.objects.create(
            customer=customer, title=f"计划{i}", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)
        )
    return review


@pytest.mark.parametrize("n", [1, 6])
def test_the_panel_runs_a_fixed_number_of_queries(client, rep, mine, n, django_assert_num_queries):
    _reviews(mine, rep, n)
    client.force_login(rep)
    # session, user, visibility check, customer, reviews with their figures, open actions (+ owners)
    with django_assert_num_queries(6):
        html = page_html(client.get(f"/reviews/customers/{mine.pk}/panel/"))
    assert len(ids(html, "review", "data-review-id")) == n


@pytest.mark.parametrize("n", [1, 6])
def test_the_review_page_runs_a_fixed_number_of_queries(client, rep, mine, n, django_assert_num_queries):
    review = _reviews(mine, rep, n)
    client.force_login(rep)
    # session, user, visibility check, review (+ customer, author, figures), actions (+ owners),
    # plans, their objectives
    with django_assert_num_queries(8):  # +1: the bell's unread count (base.html)
        html = page_html(client.get(f"/reviews/{review.pk}/"))
    assert len(ids(html, "review-plan", "data-plan-id")) == n


@pytest.mark.parametrize("n", [1, 6])
def test_the_review_form_runs_a_fixed_number_of_queries(client, rep, mine, n, django_assert_num_queries):
    review = _reviews(mine, rep, n)
    client.force_login(rep)
    # session, user, visibility check, review, actions, the owners to choose from
    with django_assert_num_queries(7):  # +1: the bell's unread count (base.html)
        page_html(client.get(f"/reviews/{review.pk}/edit/"))
