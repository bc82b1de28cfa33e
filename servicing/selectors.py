"""The reads of servicing: account reviews with their period's results, and who may own an
agreed action.

A review's period figures come from the customer's transactions dated within the period, both
ends included (credit notes count, negative), computed in the query that reads the reviews;
the account plans overlapping the period are shown beside them with their objectives' targets.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import Customer, Transaction
from pipeline.models import AccountPlan, PlanObjective
from web.money import money_output

from .models import AccountReview, ReviewAction

MONEY = money_output()
ZERO = Decimal(0)


# --- Who may own an agreed action ----------------------------------------------------------


# --- Reviews and their period ----------------------------------------------------------------


def _in_period():
    """The transactions of the outer review's customer dated within its period."""
    return Transaction.objects.filter(
        customer_id=OuterRef("customer_id"),
        occurred_on__gte=OuterRef("period_start"),
        occurred_on__lte=OuterRef("period_end"),
    )


def _total(rows: QuerySet, aggregate) -> Subquery:
    return Subquery(rows.order_by().values("customer_id").annotate(total=aggregate).values("total"))


def reviews_with_figures(reviews: QuerySet[AccountReview]) -> QuerySet[AccountReview]:
    """Each review with `period_sales` (Σ amount), `period_margin` (Σ gross margin, lines without
    one left out), `period_orders` (transaction lines) and `open_action_count`, all in the
    query that reads the reviews."""
    open_actions = ReviewAction.objects.filter(review_id=OuterRef("pk"), done_at__isnull=True)
    return reviews.annotate(
        period_sales=Coalesce(_total(_in_period(), Sum("amount")), Value(ZERO), output_field=MONEY),
        period_margin=Coalesce(_total(_in_period(), Sum("margin")), Value(ZERO), output_field=MONEY),
        period_orders=Coalesce(_total(_in_period(), Count("id")), Value(0), output_field=IntegerField()),
        open_action_count=Coalesce(
            Subquery(open_actions.order_by().values("review_id").annotate(n=Count("id")).values("n")),
            Value(0),
            output_field=IntegerField(),
        ),
    )


def customer_reviews(*, customer: Customer) -> list[AccountReview]:
    """The customer's reviews, newest first, with their period figures and open actions (their
    owners loaded): two queries."""
    open_actions = ReviewAction.objects.filter(done_at__isnull=True).select_related("owner")
    reviews = reviews_with_figures(AccountReview.objects.filter(customer=customer)).prefetch_related(
        Prefetch("actions", queryset=open_actions, to_attr="open_actions")
    )
    return list(reviews.order_by("-reviewed_on", "-id"))


def plans_overlapping(plans, *, start: date, end: date) -> list[AccountPlan]:
    """Of `plans` (one customer's), those whose period overlaps [start, end], latest first."""
    overlapping = [plan for plan in plans if plan.period_start <= end and plan.period_end >= start]
    return sorted(overlapping, key=lambda plan: (plan.period_start, plan.pk), reverse=True)


def account_plans_with_objectives() -> QuerySet[AccountPlan]:
    """Account plans with their objectives loaded, in the order they were written."""
    return AccountPlan.objects.prefetch_related(
        Prefetch("objectives", queryset=PlanObjective.objects.order_by("id"))
    )


@dataclass(frozen=True)
class ReviewDetail:
    review: AccountReview  # read through reviews_with_figures()
    actions: list[ReviewAction]  # every action, open and done, with its owner
    plans: list[AccountPlan]  # the customer's plans overlapping the period, with their objectives


def review_detail(*, review: AccountReview) -> ReviewDetail:
    """What a review's page shows besides the review: its actions, and the account plans that
    overlap its period with their objectives. Three queries."""
    actions = list(review.actions.select_related("owner").order_by("done_at", "due_on", "id"))
    plans = account_plans_with_objectives().filter(
        customer_id=review.customer_id,
        period_start__lte=review.period_end,
        period_end__gte=review.period_start,
    )
    return ReviewDetail(
        review=review,
        actions=actions,
        plans=plans_overlapping(plans, start=review.period_start, end=review.period_end),
    )
