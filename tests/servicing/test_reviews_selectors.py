"""Account reviews, the reads: a review's period results worked out by hand from the customer's
transactions, the account plans beside them, and how many queries each read costs."""

from datetime import date
from decimal import Decimal

import pytest

from pipeline.models import AccountPlan, PlanObjective
from servicing.models import AccountReview, ReviewAction
from servicing.selectors import customer_reviews, review_detail, reviews_with_figures
from tests.factories import CustomerFactory, TransactionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mine(rep):
    return CustomerFactory(owner=rep, name="华信集团")


def review_of(customer, *, start=date(2026, 1, 1), end=date(2026, 3, 31), on=date(2026, 4, 2)):
    return AccountReview.objects.create(customer=customer, reviewed_on=on, period_start=start, period_end=end)


def with_figures(review):
    return reviews_with_figures(AccountReview.objects.filter(pk=review.pk)).get()


def test_the_period_results_are_the_transactions_dated_in_it(mine, rep):
    other = CustomerFactory(owner=rep)
    for day, amount, margin in [
        (date(2025, 12, 31), "1000.00", "100.00"),  # the day before: out
        (date(2026, 1, 1), "12345.67", "2000.00"),  # the first day: in
        (date(2026, 2, 15), "-2345.67", "-300.00"),  # a credit note: in, negative
        (date(2026, 3, 31), "50000.00", None),  # the last day: in, no margin given
        (date(2026, 4, 1), "7777.00", "777.00"),  # the day after: out
    ]:
        TransactionFactory(
            customer=mine, occurred_on=day, amount=Decimal(amount), margin=margin and Decimal(margin)
        )
    TransactionFactory(customer=other, occurred_on=date(2026, 2, 1), amount=Decimal("99999.00"))

    review = with_figures(review_of(mine))

    # 12,345.67 − 2,345.67 + 50,000.00; margins 2,000.00 − 300.00; three lines
    assert review.period_sales == Decimal("60000.00")
    assert review.period_margin == Decimal("1700.00")
    assert review.period_orders == 3


def test_a_period_with_no_transactions_is_zero_not_empty(mine):
    TransactionFactory(customer=mine, occurred_on=date(2025, 6, 1))
    review = with_figures(review_of(mine))
    assert (review.period_sales, review.period_margin, review.period_orders) == (Decimal(0), Decimal(0), 0)


def test_two_reviews_of_one_customer_each_get_their_own_period(mine):
    TransactionFactory(customer=mine, occurred_on=date(2026, 1, 10), amount=Decimal("100.00"))
    TransactionFactory(customer=mine, occurred_on=date(2026, 4, 10), amount=Decimal("200.00"))
    q1 = review_of(mine)
    q2 = review_of(mine, start=date(2026, 4, 1), end=date(2026, 6, 30), on=date(2026, 7, 1))
    sales = dict(reviews_with_figures(AccountReview.objects.all()).values_list("pk", "period_sales"))
    assert sales == {q1.pk: Decimal("100.00"), q2.pk: Decimal("200.00")}


def test_the_plans_overlapping_the_period_are_shown_with_their_targets(mine):
    def plan(title, start, end):
        return AccountPlan.objects.create(customer=mine, title=title, period_start=start, period_end=end)

    plan("去年下半年", date(2025, 7, 1), date(2025, 12, 31))  # ends the day before: not shown
    year = plan("2026 联合生意计划", date(2026, 1, 1), date(2026, 12, 31))
    edge = plan("跨年计划", date(2025, 10, 1), date(2026, 1, 1))  # overlaps by the period's first day
    plan("明年", date(2026, 4, 1), date(2026, 12, 31))  # starts the day after: not shown
    PlanObjective.objects.create(
        plan=year, description="年度采购额", target=Decimal(5_000_000), actual=Decimal(2_000_000), unit="元"
    )
    PlanObjective.objects.create(plan=year, description="新品导入", target=Decimal(3), unit="个")
    AccountPlan.objects.create(
        customer=CustomerFactory(),
        title="别人的",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )

    detail = review_detail(review=with_figures(review_of(mine)))

    assert [p.pk for p in detail.plans] == [year.pk, edge.pk]
    targets = [(o.description, o.target, o.actual) for o in detail.plans[0].objectives.all()]
    assert targets == [("年度采购额", Decimal(5_000_000), Decimal(2_000_000)), ("新品导入", Decimal(3), None)]


def test_open_actions_are_counted_and_listed(mine, rep):
    review = review_of(mine)
    ReviewAction.objects.create(review=review, description="已完成", done_at="2026-04-03T10:00:00+08:00")
    ReviewAction.objects.create(review=review, description="未完成", owner=rep)
    [row] = customer_reviews(customer=mine)
    assert row.open_action_count == 1
    assert [action.description for action in row.open_actions] == ["未完成"]


def _reviews(customer, owner, n):
    for i in range(n):
        review = review_of(customer, on=date(2026, 4, 1 + i))
        ReviewAction.objects.create(review=review, description=f"行动{i}", owner=owner)
        TransactionFactory(customer=customer, occurred_on=date(2026, 2, 1 + i))
        AccountPlan.objects.create(
            customer=customer, title=f"计划{i}", period_start=date(2026, 1, 1), period_end=date(2026, 6, 30)
        )
    return review


@pytest.mark.parametrize("n", [1, 8])
def test_the_customers_reviews_take_two_queries(mine, rep, n, django_assert_num_queries):
    _reviews(mine, rep, n)
    with django_assert_num_queries(2):  # the reviews with their figures; the open actions (+ owners)
        rows = customer_reviews(customer=mine)
        assert [action.owner.username for row in rows for action in row.open_actions] == ["rep1"] * n


@pytest.mark.parametrize("n", [1, 8])
def test_a_reviews_detail_takes_three_queries(mine, rep, n, django_assert_num_queries):
    review = with_figures(_reviews(mine, rep, n))
    with django_assert_num_queries(3):  # the actions (+ owners); the plans; their objectives
        detail = review_detail(review=review)
        assert len(detail.plans) == n
        assert [action.owner.username for action in detail.actions] == ["rep1"]
