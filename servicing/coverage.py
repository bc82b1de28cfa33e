"""Coverage: is each customer seen as often as its tier's service policy asks? (DOMAIN.md
"Serving each class differently".) The selectors of the service policies and of coverage,
computed at request time, never stored. (servicing/selectors.py holds the account reviews' reads.)

For one requirement with a cadence of c days, at the local date D: `overdue` when nothing of
that kind is on record or D − last > c; `due` when D − last > c − 7; else `on_track`. The next
one is due on last + c. A customer's coverage is the worst of the requirements its tier's
policy has (an empty cadence: not required); a customer with no tier yet follows lead.

A requirement's status depends on its next due date alone (overdue: before D; due: within the
7 days from D; never done: overdue, and due before anything else), so the requirement that
drives a customer's coverage, the worst one with ties broken by the earliest next due date, is
simply the one due first (on equal dates: visit, executive meeting, account review).

What counts for each requirement:
- visit: the last *in-person* contact, a Visit of kind visit, site visit or executive meeting.
  Calls, meetings and "other" do not: the policy says how often the account is to be seen.
  (Scoring's churn-risk flag counts any logged contact as a visit; it asks another question.)
- executive: the last Visit of kind executive meeting (高层拜访).
- review: the last AccountReview's review date.
Only what happened by the end of D counts; visit times are read as dates in the project's time
zone (settings.TIME_ZONE).

Set-based: `with_coverage` annotates a customer queryset in SQL — the last dates by subquery,
each requirement's status by CASE against per-tier threshold dates computed here, the earliest
next due date for ordering — so lists filter and sort by coverage and the dashboard counts it
in one grouped query for any number of customers, on PostgreSQL and SQLite alike.
`CustomerCoverage` is the same rule in Python, for the rows a list shows and one customer's page.
"""

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from django.db import connections, models, transaction
from django.db.models import (
    Case,
    Count,
    DateField,
    DateTimeField,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from accounts.models import Customer, Tier, Visit, VisitKind
from users.models import User, user_display_name

from .models import DEFAULT_POLICIES, AccountReview, ReviewAction, ServicePolicy

DUE_WINDOW_DAYS = 7  # `due` this many days before the next one falls due
IN_PERSON_KINDS = (VisitKind.VISIT, VisitKind.SITE_VISIT, VisitKind.EXECUTIVE)
TIERS = tuple(Tier.values)  # platinum, gold, iron, lead: strictest first


class Requirement(models.TextChoices):
    VISIT = "visit", gettext_lazy("Visit")
    EXECUTIVE = "executive", gettext_lazy("Executive meeting")
    REVIEW = "review", gettext_lazy("Account review")


class Coverage(models.TextChoices):
    ON_TRACK = "on_track", pgettext_lazy("coverage", "On track")
    DUE = "due", pgettext_lazy("coverage", "Due")
    OVERDUE = "overdue", pgettext_lazy("coverage", "Overdue")


# In SQL a status is a number, so the worst of several is their GREATEST.
NOT_REQUIRED = 0
RANK = {Coverage.ON_TRACK: 1, Coverage.DUE: 2, Coverage.OVERDUE: 3}
BY_RANK = {rank: status for status, rank in RANK.items()}

# Ordering keys in SQL for "never done" (due before anything) and "not required" (never due).
NEVER_KEY = date(1900, 1, 1)
NOT_REQUIRED_KEY = date(9999, 12, 31)


# --- Policies --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """One tier's cadences in days; None: not required."""

    tier: str
    visit_days: int | None
    executive_days: int | None
    review_days: int | None

    def cadence(self, requirement: str) -> int | None:
        return getattr(self, f"{requirement}_days")


Policies = Mapping[str, Policy]  # tier → its policy, for every tier


def service_policies() -> list[ServicePolicy]:
    """The four tiers' policies, strictest tier first, with who changed them last: one query.
    A tier whose row is missing shows DOMAIN.md's defaults (an unsaved row)."""
    rows = {policy.tier: policy for policy in ServicePolicy.objects.select_related("updated_by")}
    return [rows.get(tier) or _default_policy_row(tier) for tier in TIERS]


def _default_policy_row(tier: str) -> ServicePolicy:
    visit, executive, review = DEFAULT_POLICIES[tier]
    return ServicePolicy(tier=tier, visit_days=visit, executive_days=executive, review_days=review)


def policy_table(rows: Iterable[ServicePolicy] | None = None) -> dict[str, Policy]:
    """Each tier's cadences (one query, or none when `rows` are given)."""
    rows = service_policies() if rows is None else rows
    return {row.tier: Policy(row.tier, row.visit_days, row.executive_days, row.review_days) for row in rows}


def policy_of(policies: Policies, tier: str) -> Policy:
    """A customer's policy: its tier's, lead's while it has none."""
    return policies.get(tier or Tier.LEAD) or policies[Tier.LEAD]


# --- One requirement, one customer: the rule in Python ---------------------------------------


def requirement_status(*, last: date | None, cadence: int, today: date) -> Coverage:
    if last is None or (today - last).days > cadence:
        return Coverage.OVERDUE
    if (today - last).days > cadence - DUE_WINDOW_DAYS:
        return Coverage.DUE
    return Coverage.ON_TRACK


@dataclass(frozen=True)
class RequirementCoverage:
    requirement: str
    cadence: int  # days
    last: date | None  # None: nothing on record
    today: date

    @property
    def status(self) -> Coverage:
        return requirement_status(last=self.last, cadence=self.cadence, today=self.today)

    @property
    def next_due(self) -> date | None:
        """None when there has never been one: it is due now."""
        return None if self.last is None else self.last + timedelta(days=self.cadence)

    @property
    def days_overdue(self) -> int | None:
        """Days past the next due date, when overdue and done before; None otherwise."""
        if self.next_due is None or self.status != Coverage.OVERDUE:
            return None
        return (self.today - self.next_due).days

    @property
    def days_left(self) -> int | None:
        """Days until the next due date (0: today), when due; None otherwise."""
        if self.status != Coverage.DUE:
            return None
        return (self.next_due - self.today).days

    @property
    def sort_key(self) -> tuple:
        return (self.next_due or date.min, Requirement.values.index(self.requirement))

    @property
    def requirement_label(self) -> str:
        return Requirement(self.requirement).label

    @property
    def summary(self) -> str:
        """What a rep reads: "拜访 逾期 5 天", "高层拜访 3 天后到期", "尚无定期评估记录"."""
        label = self.requirement_label
        status = self.status
        if status == Coverage.OVERDUE and self.last is None:
            return _("%(requirement)s: none on record") % {"requirement": label}
        if status == Coverage.OVERDUE:
            days = self.days_overdue
            return ngettext(
                "%(requirement)s overdue by %(days)d day", "%(requirement)s overdue by %(days)d days", days
            ) % {"requirement": label, "days": days}
        if status == Coverage.DUE and self.days_left == 0:
            return _("%(requirement)s due today") % {"requirement": label}
        if status == Coverage.DUE:
            days = self.days_left
            return ngettext(
                "%(requirement)s due in %(days)d day", "%(requirement)s due in %(days)d days", days
            ) % {"requirement": label, "days": days}
        return _("%(requirement)s on track") % {"requirement": label}


@dataclass(frozen=True)
class CustomerCoverage:
    """One customer's coverage: each requirement its policy has, the worst status, and the
    requirement that drives it (None when the policy requires nothing)."""

    tier: str  # the tier whose policy applies (lead for a customer with no tier yet)
    requirements: tuple[RequirementCoverage, ...]
    policy: Policy | None = None

    @property
    def table(self) -> list[tuple[str, RequirementCoverage | None]]:
        """Every requirement (its label) with its coverage, None where the policy has none."""
        required = {item.requirement: item for item in self.requirements}
        return [(label, required.get(value)) for value, label in Requirement.choices]

    @property
    def driver(self) -> RequirementCoverage | None:
        return min(self.requirements, key=lambda item: item.sort_key, default=None)

    @property
    def status(self) -> Coverage:
        driver = self.driver
        return Coverage.ON_TRACK if driver is None else driver.status

    @property
    def tier_label(self) -> str:
        return Tier(self.tier).label


def coverage_of(
    *, tier: str, lasts: Mapping[str, date | None], policies: Policies, today: date
) -> CustomerCoverage:
    """The rule for one customer from its tier and the last date of each requirement."""
    policy = policy_of(policies, tier)
    requirements = tuple(
        RequirementCoverage(requirement, cadence, lasts.get(requirement), today)
        for requirement in Requirement.values
        if (cadence := policy.cadence(requirement)) is not None
    )
    return CustomerCoverage(policy.tier, requirements, policy)


# --- Many customers: the rule in SQL ---------------------------------------------------------
#
# The status needs only the last event *within the cadence*: none there is overdue; one before
# D − c + 7 is due; else on track. So each requirement is one correlated subquery bounded to the
# tier's window (an index range scan that stops at its first row) returning its rank directly,
# read once per customer; the thresholds come from here, a CASE on the customer's tier. The
# exact last dates (any age) and the next due dates are read only where a list shows or orders
# them.

LAST = {
    Requirement.VISIT: "last_visit_on",
    Requirement.EXECUTIVE: "last_executive_on",
    Requirement.REVIEW: "last_review_on",
}
KINDS = {Requirement.VISIT: IN_PERSON_KINDS, Requirement.EXECUTIVE: (VisitKind.EXECUTIVE,)}


class PlusDays(Func):
    """date + n days, as a date: `d + n` on PostgreSQL, `date(d, n || ' days')` on SQLite.
    NULL when either is NULL."""

    arity = 2
    output_field = DateField()

    def as_sql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, template="(%(expressions)s)", arg_joiner=" + ", **extra_context
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="date(%(expressions)s || ' days')",
            arg_joiner=", ",
            **extra_context,
        )


def _tier_is(tier: str) -> Q:
    if tier == Tier.LEAD:  # lead, and every customer not tiered yet
        return ~Q(tier__in=[other for other in TIERS if other != Tier.LEAD]) | Q(tier__isnull=True)
    return Q(tier=tier)


def _per_tier(values: Mapping[str, object], output_field) -> Case:
    """CASE on the customer's tier: `values[tier]`, lead's for a customer with no tier yet."""
    whens = [When(Q(tier=tier), then=Value(value)) for tier, value in values.items() if tier != Tier.LEAD]
    return Case(*whens, default=Value(values[Tier.LEAD]), output_field=output_field)


def _start_of(day: date) -> datetime:
    """The first instant of a local day."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _cadences(requirement: str, policies: Policies) -> dict[str, int | None]:
    return {tier: policy_of(policies, tier).cadence(requirement) for tier in TIERS}


def _thresholds(requirement: str, *, today: date, policies: Policies) -> tuple[Case, Case]:
    """Per tier: the first day on which the last one keeps the requirement from being overdue
    (D − c) and the first on which it keeps it on track (D − c + 7), as instants for visits
    and dates for reviews. A tier that does not require it gets D (never read)."""
    cadences = _cadences(requirement, policies)
    days = {tier: today - timedelta(days=cadence or 0) for tier, cadence in cadences.items()}
    on_track = {tier: day + timedelta(days=DUE_WINDOW_DAYS) for tier, day in days.items()}
    if requirement == Requirement.REVIEW:
        return _per_tier(days, DateField()), _per_tier(on_track, DateField())
    starts = {tier: _start_of(day) for tier, day in days.items()}
    return (
        _per_tier(starts, DateTimeField()),
        _per_tier({tier: _start_of(day) for tier, day in on_track.items()}, DateTimeField()),
    )


def _events(requirement: str, today: date) -> tuple[QuerySet, str]:
    """The customer's events of a requirement up to the end of D, and their date column."""
    if requirement == Requirement.REVIEW:
        return AccountReview.objects.filter(customer=OuterRef("pk"), reviewed_on__lte=today), "reviewed_on"
    visits = Visit.objects.filter(
        customer=OuterRef("pk"),
        kind__in=KINDS[requirement],
        occurred_at__lt=_start_of(today + timedelta(days=1)),
    )
    return visits, "occurred_at"


def _status(requirement: str, *, today: date, policies: Policies) -> tuple[dict, Case | Value]:
    """The requirement's status rank (0 where the tier does not require it) and the aliases
    (threshold CASEs) it reads."""
    cadences = _cadences(requirement, policies)
    if all(cadence is None for cadence in cadences.values()):
        return {}, Value(NOT_REQUIRED, output_field=IntegerField())
    overdue_before, due_before = _thresholds(requirement, today=today, policies=policies)
    names = (f"{requirement}_not_overdue_from", f"{requirement}_on_track_from")
    events, column = _events(requirement, today)
    latest = (
        events.filter(**{f"{column}__gte": OuterRef(names[0])})
        .order_by(f"-{column}")
        .annotate(
            rank=Case(
                When(**{f"{column}__lt": OuterRef(names[1])}, then=Value(RANK[Coverage.DUE])),
                default=Value(RANK[Coverage.ON_TRACK]),
                output_field=IntegerField(),
            )
        )
        .values("rank")[:1]
    )
    status = Case(
        *(
            When(_tier_is(tier), then=Value(NOT_REQUIRED))
            for tier, cadence in cadences.items()
            if cadence is None
        ),
        # Nothing within the cadence: overdue.
        default=Coalesce(Subquery(latest, output_field=IntegerField()), Value(RANK[Coverage.OVERDUE])),
        output_field=IntegerField(),
    )
    return {names[0]: overdue_before, names[1]: due_before}, status


def with_coverage(customers: QuerySet[Customer], *, today: date, policies: Policies) -> QuerySet[Customer]:
    """The customers with `coverage_rank` in SQL: 1 on track, 2 due, 3 overdue (RANK), the worst
    of their requirements; a policy that requires nothing is on track."""
    thresholds, statuses = {}, []
    for requirement in Requirement.values:
        aliases, status = _status(requirement, today=today, policies=policies)
        thresholds.update(aliases)
        statuses.append(status)
    return customers.alias(**thresholds).annotate(
        coverage_rank=Greatest(*statuses, Value(RANK[Coverage.ON_TRACK]))
    )


def _last_on(requirement: str, today: date) -> Subquery:
    """The exact date of the last one, of any age (a visit's as a local date)."""
    events, column = _events(requirement, today)
    on = F(column) if requirement == Requirement.REVIEW else TruncDate(column)
    return Subquery(events.order_by(f"-{column}").annotate(on=on).values("on")[:1], output_field=DateField())


def _next_due_key(requirement: str, *, policies: Policies) -> Coalesce | Value:
    """The next due date, for ordering: NEVER_KEY when never done, NOT_REQUIRED_KEY when the
    tier does not require it."""
    cadences = _cadences(requirement, policies)
    if all(cadence is None for cadence in cadences.values()):
        return Value(NOT_REQUIRED_KEY, output_field=DateField())
    fallback = _per_tier(
        {tier: NOT_REQUIRED_KEY if cadence is None else NEVER_KEY for tier, cadence in cadences.items()},
        DateField(),
    )
    return Coalesce(PlusDays(F(LAST[requirement]), _per_tier(cadences, IntegerField())), fallback)


def with_next_due(customers: QuerySet[Customer], *, today: date, policies: Policies) -> QuerySet[Customer]:
    """The customers with the exact last dates (aliases `last_visit_on`, `last_executive_on`,
    `last_review_on`, read by `coverage_rows`) and `coverage_next_due`, the earliest next due
    date of their requirements: an ordering key (NEVER_KEY when one was never done,
    NOT_REQUIRED_KEY when nothing is required). A subquery per requirement and customer: for
    the customers a list shows, not for counting."""
    customers = customers.alias(**{LAST[requirement]: _last_on(requirement, today) for requirement in LAST})
    keys = [_next_due_key(requirement, policies=policies) for requirement in Requirement.values]
    return customers.annotate(coverage_next_due=Least(*keys))


def most_urgent_first(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """`with_coverage` and `with_next_due` customers, overdue before due before on track; within
    each, the earliest next due date first (never done before all), then by id."""
    return customers.order_by("-coverage_rank", "coverage_next_due", "id")


# --- Rows for lists --------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageRow:
    """A customer in a coverage list."""

    id: int
    name: str
    tier: str  # as stored: "" while not tiered yet
    owner_id: int | None
    owner_username: str | None
    owner_name: str
    coverage: CustomerCoverage

    @property
    def status(self) -> Coverage:
        return self.coverage.status

    @property
    def driver(self) -> RequirementCoverage | None:
        return self.coverage.driver


OWNER_FIELDS = ("owner__username", "owner__last_name", "owner__first_name")


def _owner_name(row: dict) -> str:
    """The display name of a `.values(*OWNER_FIELDS)` row's owner ("" when it has none)."""
    if row["owner__username"] is None:
        return ""
    return user_display_name(**{name.removeprefix("owner__"): row[name] for name in OWNER_FIELDS})


def coverage_rows(
    customers: QuerySet[Customer], *, today: date, policies: Policies, limit: int | None = None
) -> list[CoverageRow]:
    """Rows of `with_next_due` customers, in their queryset's order: one query."""
    rows = customers.annotate(**{name: F(name) for name in LAST.values()}).values(
        "id", "name", "tier", "owner_id", *OWNER_FIELDS, *LAST.values()
    )
    if limit is not None:
        rows = rows[:limit]
    return [
        CoverageRow(
            id=row["id"],
            name=row["name"],
            tier=row["tier"] or "",  # None: no standing row yet
            owner_id=row["owner_id"],
            owner_username=row["owner__username"],
            owner_name=_owner_name(row),
            coverage=coverage_of(
                tier=row["tier"] or "",  # None: no standing row yet
                lasts={requirement: row[name] for requirement, name in LAST.items()},
                policies=policies,
                today=today,
            ),
        )
        for row in rows
    ]


def customer_coverage(*, customer: Customer, today: date | None = None) -> CustomerCoverage:
    """One customer's coverage, for its page: two queries (the policies, the last dates)."""
    today = today or timezone.localdate()
    policies = policy_table()
    one = with_next_due(Customer.objects.filter(pk=customer.pk), today=today, policies=policies)
    lasts = one.annotate(**{name: F(name) for name in LAST.values()}).values(*LAST.values()).first() or {}
    return coverage_of(
        tier=customer.tier,
        lasts={requirement: lasts.get(name) for requirement, name in LAST.items()},
        policies=policies,
        today=today,
    )


# --- My day ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MyDayServicing:
    accounts_due: list[CoverageRow]  # the user's own accounts, due or overdue, most urgent first
    actions_due: list[ReviewAction]  # their open agreed actions due within 7 days, or overdue


def my_day(
    *, user: User, today: date | None = None, limit: int = 50, visible: QuerySet[Customer] | None = None
) -> MyDayServicing:
    """What servicing puts on a user's My day: three queries (the policies, the accounts, the
    actions), and one for `visible` (`Customer.objects.visible_to(user)`) unless the caller has it."""
    today = today or timezone.localdate()
    policies = policy_table()
    visible = Customer.objects.visible_to(user) if visible is None else visible
    own = with_coverage(visible.filter(owner=user), today=today, policies=policies)
    due = own.filter(coverage_rank__gte=RANK[Coverage.DUE])
    due = most_urgent_first(with_next_due(due, today=today, policies=policies))
    actions = (
        ReviewAction.objects.filter(
            owner=user,
            done_at__isnull=True,
            due_on__lte=today + timedelta(days=DUE_WINDOW_DAYS),
            review__customer__in=visible,
        )
        .select_related("review__customer")
        .order_by("due_on", "id")
    )
    return MyDayServicing(
        accounts_due=coverage_rows(due, today=today, policies=policies, limit=limit),
        actions_due=list(actions[:limit]),
    )


# --- The dashboard ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageCounts:
    on_track: int = 0
    due: int = 0
    overdue: int = 0

    @property
    def customers(self) -> int:
        return self.on_track + self.due + self.overdue

    def plus(self, status: Coverage, n: int) -> "CoverageCounts":
        return replace(self, **{status.value: getattr(self, status.value) + n})


@dataclass(frozen=True)
class Owner:
    username: str | None  # None: no owner
    name: str  # as KAM names people ("" for no owner)


@dataclass(frozen=True)
class CoverageSummary:
    total: CoverageCounts
    by_tier: dict[str, CoverageCounts]  # every tier, then "" for the customers not tiered yet (if any)
    by_owner: dict[int | None, CoverageCounts]  # owner id (None: no owner) → counts
    owners: dict[int | None, Owner]  # the same keys


@contextmanager
def _without_jit(database: str) -> Iterator[None]:
    """PostgreSQL compiles a query it prices as expensive (JIT). These, a cheap bounded subquery
    per customer that the planner prices dear, spent more time being compiled than running: at
    100,000 customers 0.58 s of 1.2 s. Off for their transaction only (one more statement)."""
    connection = connections[database]
    with transaction.atomic(using=database, savepoint=False):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('jit', 'off', true)")
        yield


def coverage_summary(customers: QuerySet[Customer], *, today: date, policies: Policies) -> CoverageSummary:
    """Coverage counts per tier and per owner: one grouped query however many customers (two
    statements on PostgreSQL, see `_without_jit`)."""
    grouped = (
        with_coverage(customers, today=today, policies=policies)
        .values("tier", "owner_id", *OWNER_FIELDS, "coverage_rank")
        .annotate(n=Count("id"))
        .order_by()
    )
    with _without_jit(grouped.db):
        grouped = list(grouped)
    total = CoverageCounts()
    by_tier = {tier: CoverageCounts() for tier in TIERS}
    by_owner: dict[int | None, CoverageCounts] = {}
    owners: dict[int | None, Owner] = {}
    for row in grouped:
        status, n, owner = BY_RANK[row["coverage_rank"]], row["n"], row["owner_id"]
        tier = row["tier"] if row["tier"] in TIERS else ""
        total = total.plus(status, n)
        by_tier[tier] = by_tier.get(tier, CoverageCounts()).plus(status, n)
        by_owner[owner] = by_owner.get(owner, CoverageCounts()).plus(status, n)
        owners[owner] = Owner(row["owner__username"], _owner_name(row))
    return CoverageSummary(total=total, by_tier=by_tier, by_owner=by_owner, owners=owners)


def overdue_accounts(
    customers: QuerySet[Customer], *, today: date, policies: Policies, limit: int | None = None
) -> list[CoverageRow]:
    """The overdue customers, most overdue first (never done first, then the earliest next due
    date): one query (two statements on PostgreSQL, see `_without_jit`)."""
    covered = with_coverage(customers, today=today, policies=policies)
    overdue = covered.filter(coverage_rank=RANK[Coverage.OVERDUE])
    overdue = with_next_due(overdue, today=today, policies=policies).order_by("coverage_next_due", "id")
    with _without_jit(overdue.db):
        return coverage_rows(overdue, today=today, policies=policies, limit=limit)
