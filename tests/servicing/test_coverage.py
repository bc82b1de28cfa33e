"""Coverage (DOMAIN.md "Serving each class differently"): each boundary, each requirement, the
tier and policy a customer follows, the driving requirement, SQL and Python agreeing, and the
number of queries.

D is a fixed day; visits are logged at 10:00 local time unless a test says otherwise."""

import random
from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.utils import timezone, translation

from accounts.models import Customer, CustomerStanding, Tier, VisitKind
from servicing import coverage
from servicing.coverage import (
    Coverage,
    Requirement,
    coverage_rows,
    coverage_summary,
    customer_coverage,
    most_urgent_first,
    overdue_accounts,
    policy_table,
    requirement_status,
    with_coverage,
    with_next_due,
)
from servicing.models import AccountReview, ServicePolicy
from servicing.services import service_policy_update
from tests.factories import CustomerFactory, UserFactory, VisitFactory

# Coverage is computed in SQL (and JIT is switched off on PostgreSQL): `make test` runs this
# module on SQLite as well.
pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

D = date(2025, 6, 16)


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


def visit(customer, days_ago: int, kind: str = VisitKind.VISIT, **kwargs):
    return VisitFactory(customer=customer, kind=kind, occurred_at=at(D - timedelta(days=days_ago), **kwargs))


def review(customer, days_ago: int) -> AccountReview:
    day = D - timedelta(days=days_ago)
    return AccountReview.objects.create(
        customer=customer, reviewed_on=day, period_start=day - timedelta(days=90), period_end=day
    )


def status_in_sql(customer, today: date = D) -> Coverage:
    rank = (
        with_coverage(Customer.objects.filter(pk=customer.pk), today=today, policies=policy_table())
        .values_list("coverage_rank", flat=True)
        .get()
    )
    return coverage.BY_RANK[rank]


def status_in_python(customer, today: date = D) -> Coverage:
    customer.refresh_from_db()
    return customer_coverage(customer=customer, today=today).status


def statuses(customer, today: date = D) -> Coverage:
    """SQL's and Python's answer, which must agree."""
    sql, python = status_in_sql(customer, today), status_in_python(customer, today)
    assert sql == python
    return sql


def only_visits_required():
    """Every tier keeps its visit cadence and requires nothing else."""
    ServicePolicy.objects.update(executive_days=None, review_days=None)


# --- The rule, by hand ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_since", "expected"),
    [
        (0, Coverage.ON_TRACK),
        (23, Coverage.ON_TRACK),  # c − 7: on track
        (24, Coverage.DUE),  # c − 6: due
        (30, Coverage.DUE),  # exactly c: due, not overdue
        (31, Coverage.OVERDUE),  # c + 1
        (None, Coverage.OVERDUE),  # never
        (-1, Coverage.ON_TRACK),  # dated after D: not behind
    ],
)
def test_the_rule_for_one_requirement(days_since, expected):
    last = None if days_since is None else D - timedelta(days=days_since)
    assert requirement_status(last=last, cadence=30, today=D) == expected


# --- Each boundary, through the database ------------------------------------------------------


@pytest.mark.parametrize(
    ("days_since", "expected"),
    [
        (0, Coverage.ON_TRACK),
        (83, Coverage.ON_TRACK),  # c − 7
        (84, Coverage.DUE),  # c − 6
        (90, Coverage.DUE),  # exactly c
        (91, Coverage.OVERDUE),  # c + 1
    ],
)
def test_visit_boundaries_of_a_lead_account(days_since, expected):
    customer = CustomerFactory(tier=Tier.LEAD)
    visit(customer, days_since)

    assert statuses(customer) == expected


def test_never_visited_is_overdue():
    assert statuses(CustomerFactory(tier=Tier.LEAD)) == Coverage.OVERDUE


@pytest.mark.parametrize(("tier", "cadence"), [("platinum", 14), ("gold", 30), ("iron", 60), ("lead", 90)])
def test_each_tier_has_its_own_thresholds(tier, cadence):
    only_visits_required()
    expected = {
        cadence - 7: Coverage.ON_TRACK,
        cadence - 6: Coverage.DUE,
        cadence: Coverage.DUE,
        cadence + 1: Coverage.OVERDUE,
    }
    customers = {}
    for days_since in expected:
        customers[days_since] = CustomerFactory(tier=tier)
        visit(customers[days_since], days_since)

    assert {days: statuses(customer) for days, customer in customers.items()} == expected


def test_the_visit_date_is_the_local_date():
    """00:30 in Shanghai is the evening before in UTC: the local day counts."""
    customer = CustomerFactory(tier=Tier.LEAD)
    visit(customer, 90, hour=0, minute=30)  # D − 90 locally, D − 91 in UTC

    assert statuses(customer) == Coverage.DUE
    assert customer_coverage(customer=customer, today=D).driver.last == D - timedelta(days=90)


def test_what_happens_after_d_does_not_count():
    customer = CustomerFactory(tier=Tier.LEAD)
    visit(customer, 100)
    visit(customer, -1)  # the day after D
    review(customer, -1)

    assert statuses(customer) == Coverage.OVERDUE
    assert statuses(customer, today=D + timedelta(days=1)) == Coverage.ON_TRACK


# --- Tier and policy --------------------------------------------------------------------------


def test_a_customer_with_no_tier_follows_lead():
    untiered, gold = CustomerFactory(tier=""), CustomerFactory(tier=Tier.GOLD)
    for customer in (untiered, gold):
        visit(customer, 40)
        visit(customer, 40, kind=VisitKind.EXECUTIVE)
        review(customer, 40)

    assert statuses(untiered) == Coverage.ON_TRACK  # lead: a visit every 90 days
    assert customer_coverage(customer=untiered, today=D).tier == Tier.LEAD
    assert statuses(gold) == Coverage.OVERDUE  # gold: every 30


def test_a_tier_change_to_a_stricter_policy_makes_an_account_overdue():
    customer = CustomerFactory(tier=Tier.LEAD)
    visit(customer, 40)
    assert statuses(customer) == Coverage.ON_TRACK

    CustomerStanding.objects.update_or_create(
        customer=customer, defaults={"tier": Tier.IRON}
    )  # as a scoring run writes it
    review(customer, 10)
    assert statuses(customer) == Coverage.ON_TRACK  # iron: 60 days

    CustomerStanding.objects.update_or_create(customer=customer, defaults={"tier": Tier.GOLD})
    visit(customer, 10, kind=VisitKind.EXECUTIVE)
    assert statuses(customer) == Coverage.ON_TRACK  # the executive meeting counts as a visit

    CustomerStanding.objects.update_or_create(customer=customer, defaults={"tier": Tier.PLATINUM})
    assert statuses(customer) == Coverage.DUE  # platinum: a visit every 14 days; 10 > 14 − 7


def test_a_stricter_policy_makes_an_account_overdue(manager):
    customer = CustomerFactory(tier=Tier.LEAD)
    visit(customer, 40)
    assert statuses(customer) == Coverage.ON_TRACK

    service_policy_update(tier=Tier.LEAD, by=manager, visit_days=30, executive_days=None, review_days=None)

    assert statuses(customer) == Coverage.OVERDUE


def test_an_empty_cadence_is_not_required():
    # Iron: a visit every 60 days, no executive meeting, a review every 365.
    customer = CustomerFactory(tier=Tier.IRON)
    visit(customer, 5)
    review(customer, 5)

    result = customer_coverage(customer=customer, today=D)
    assert [item.requirement for item in result.requirements] == ["visit", "review"]
    assert statuses(customer) == Coverage.ON_TRACK


def test_a_policy_requiring_nothing_is_on_track(manager):
    service_policy_update(tier=Tier.LEAD, by=manager, visit_days=None, executive_days=None, review_days=None)
    customer = CustomerFactory(tier=Tier.LEAD)

    assert statuses(customer) == Coverage.ON_TRACK
    assert customer_coverage(customer=customer, today=D).driver is None


def test_missing_policy_rows_fall_back_to_the_defaults():
    ServicePolicy.objects.filter(tier=Tier.GOLD).delete()
    customer = CustomerFactory(tier=Tier.GOLD)
    visit(customer, 31)

    assert policy_table()[Tier.GOLD].visit_days == 30
    assert statuses(customer) == Coverage.OVERDUE


# --- Each requirement -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "counts"),
    [
        (VisitKind.VISIT, True),
        (VisitKind.SITE_VISIT, True),
        (VisitKind.EXECUTIVE, True),
        (VisitKind.CALL, False),
        (VisitKind.MEETING, False),
        (VisitKind.OTHER, False),
    ],
)
def test_only_in_person_contacts_count_as_visits(kind, counts):
    customer = CustomerFactory(tier=Tier.LEAD)
    visit(customer, 100)
    visit(customer, 3, kind=kind)

    assert statuses(customer) == (Coverage.ON_TRACK if counts else Coverage.OVERDUE)


def test_the_executive_requirement_counts_executive_meetings_only():
    customer = CustomerFactory(tier=Tier.PLATINUM)
    visit(customer, 1)
    visit(customer, 1, kind=VisitKind.SITE_VISIT)
    review(customer, 1)
    assert statuses(customer) == Coverage.OVERDUE
    assert customer_coverage(customer=customer, today=D).driver.requirement == Requirement.EXECUTIVE

    visit(customer, 85, kind=VisitKind.EXECUTIVE)  # platinum: every 90 days, due from 84

    assert statuses(customer) == Coverage.DUE


def test_the_review_requirement_counts_account_reviews():
    customer = CustomerFactory(tier=Tier.GOLD)
    visit(customer, 1, kind=VisitKind.EXECUTIVE)
    assert statuses(customer) == Coverage.OVERDUE  # no review on record
    review(customer, 181)
    assert statuses(customer) == Coverage.OVERDUE  # gold: every 180 days
    review(customer, 180)

    assert statuses(customer) == Coverage.DUE


def test_the_worst_requirement_drives_and_never_comes_first():
    customer = CustomerFactory(tier=Tier.PLATINUM)
    visit(customer, 20)  # visit overdue by 6 days
    review(customer, 100)  # review overdue by 10 days; no executive meeting ever

    result = customer_coverage(customer=customer, today=D)

    assert result.status == Coverage.OVERDUE
    assert result.driver.requirement == Requirement.EXECUTIVE
    by_requirement = {item.requirement: item for item in result.requirements}
    assert by_requirement["visit"].days_overdue == 6
    assert by_requirement["visit"].next_due == D - timedelta(days=6)
    assert by_requirement["review"].days_overdue == 10
    assert by_requirement["executive"].last is None
    assert by_requirement["executive"].next_due is None


def test_ties_go_to_the_earliest_next_due_date():
    customer = CustomerFactory(tier=Tier.PLATINUM)
    visit(customer, 20)  # visit next due D − 6
    visit(customer, 95, kind=VisitKind.EXECUTIVE)  # executive next due D − 5
    review(customer, 100)  # review next due D − 10: most overdue

    assert customer_coverage(customer=customer, today=D).driver.requirement == Requirement.REVIEW


def test_what_a_rep_reads():
    with translation.override("en"):
        overdue = coverage.RequirementCoverage("visit", 14, D - timedelta(days=19), D)
        due = coverage.RequirementCoverage("executive", 90, D - timedelta(days=87), D)
        today = coverage.RequirementCoverage("visit", 14, D - timedelta(days=14), D)
        never = coverage.RequirementCoverage("review", 90, None, D)
        assert overdue.summary == "Visit overdue by 5 days"
        assert due.summary == "Executive meeting due in 3 days"
        assert today.summary == "Visit due today"
        assert never.summary == "Account review: none on record"


# --- Lists, ordering, counts -----------------------------------------------------------------


def test_most_urgent_first_and_the_rows():
    owner = UserFactory()
    CustomerFactory(tier=Tier.LEAD, owner=owner, name="从未拜访")
    late = CustomerFactory(tier=Tier.LEAD, owner=owner, name="逾期十天")
    visit(late, 100)
    later = CustomerFactory(tier=Tier.LEAD, owner=owner, name="逾期一天")
    visit(later, 91)
    due = CustomerFactory(tier=Tier.LEAD, owner=owner, name="即将到期")
    visit(due, 88)
    fine = CustomerFactory(tier=Tier.LEAD, owner=owner, name="正常")
    visit(fine, 1)
    policies = policy_table()
    customers = with_coverage(Customer.objects.filter(owner=owner), today=D, policies=policies)
    customers = with_next_due(customers, today=D, policies=policies)

    rows = coverage_rows(most_urgent_first(customers), today=D, policies=policy_table())

    assert [row.name for row in rows] == ["从未拜访", "逾期十天", "逾期一天", "即将到期", "正常"]
    assert [row.status for row in rows] == ["overdue", "overdue", "overdue", "due", "on_track"]
    assert [row.driver.days_overdue for row in rows[:3]] == [None, 10, 1]
    assert rows[3].driver.days_left == 2
    assert rows[0].owner_name == owner.display_name
    assert [
        row.name for row in overdue_accounts(Customer.objects.all(), today=D, policies=policy_table())
    ] == [
        "从未拜访",
        "逾期十天",
        "逾期一天",
    ]


def test_counts_per_tier_and_owner():
    a, b = UserFactory(), UserFactory()
    on_track = CustomerFactory(tier=Tier.LEAD, owner=a)
    visit(on_track, 1)
    due = CustomerFactory(tier=Tier.LEAD, owner=a)
    visit(due, 85)
    CustomerFactory(tier=Tier.GOLD, owner=a)  # overdue: never seen
    CustomerFactory(tier="", owner=b)  # overdue, not tiered yet
    unowned = CustomerFactory(tier=Tier.LEAD, owner=None)
    visit(unowned, 2)

    summary = coverage_summary(Customer.objects.all(), today=D, policies=policy_table())

    assert summary.total == coverage.CoverageCounts(on_track=2, due=1, overdue=2)
    assert summary.by_tier[Tier.LEAD] == coverage.CoverageCounts(on_track=2, due=1)
    assert summary.by_tier[Tier.GOLD] == coverage.CoverageCounts(overdue=1)
    assert summary.by_tier[Tier.PLATINUM] == coverage.CoverageCounts()
    assert summary.by_tier[""] == coverage.CoverageCounts(overdue=1)
    assert summary.by_owner == {
        a.pk: coverage.CoverageCounts(on_track=1, due=1, overdue=1),
        b.pk: coverage.CoverageCounts(overdue=1),
        None: coverage.CoverageCounts(on_track=1),
    }


@pytest.mark.parametrize("n", [1, 12])
def test_lists_and_counts_take_one_query_each(n, django_assert_num_queries):
    for i in range(n):
        customer = CustomerFactory(tier=Tier.values[i % 4])
        visit(customer, i * 7)
        review(customer, i * 11)
    policies = policy_table()
    customers = with_coverage(Customer.objects.all(), today=D, policies=policies)
    customers = with_next_due(customers, today=D, policies=policies)

    with django_assert_num_queries(1):
        assert len(coverage_rows(most_urgent_first(customers), today=D, policies=policies)) == n
    # PostgreSQL: one more statement, switching JIT off for the query (coverage._without_jit).
    heavy = 2 if connection.vendor == "postgresql" else 1
    with django_assert_num_queries(heavy):
        assert coverage_summary(Customer.objects.all(), today=D, policies=policies).total.customers == n
    with django_assert_num_queries(heavy):
        overdue_accounts(Customer.objects.all(), today=D, policies=policies, limit=5)
    with django_assert_num_queries(1):
        policy_table()


def test_one_customer_takes_two_queries(django_assert_num_queries):
    customer = CustomerFactory(tier=Tier.GOLD)
    visit(customer, 3)

    with django_assert_num_queries(2):
        customer_coverage(customer=customer, today=D)


# --- SQL and Python agree ---------------------------------------------------------------------


def test_sql_and_python_agree_on_many_accounts(manager):
    rng = random.Random(14)
    for tier in Tier.values:
        cadences = [rng.choice([None, 7, 10, 14, 30, 90]) for _ in range(3)]
        service_policy_update(
            tier=tier, by=manager, visit_days=cadences[0], executive_days=cadences[1], review_days=cadences[2]
        )
    for _ in range(60):
        customer = CustomerFactory(tier=rng.choice(["", *Tier.values]))
        for _ in range(rng.randint(0, 3)):
            kind = rng.choice(list(VisitKind.values))
            visit(customer, rng.randint(-2, 120), kind=kind, hour=rng.choice([0, 10, 23]))
        if rng.random() < 0.6:
            review(customer, rng.randint(-2, 120))
    policies = policy_table()
    customers = with_coverage(Customer.objects.all(), today=D, policies=policies)
    customers = most_urgent_first(with_next_due(customers, today=D, policies=policies))

    in_sql = list(customers.values_list("id", "coverage_rank"))
    rows = coverage_rows(customers, today=D, policies=policies)

    assert [(row.id, coverage.RANK[row.status]) for row in rows] == in_sql
    # The SQL order is the Python order: worst first, then the driver's next due date.
    keys = [
        (-coverage.RANK[row.status], row.driver.sort_key[0] if row.driver else date.max, row.id)
        for row in rows
    ]
    assert keys == sorted(keys)
