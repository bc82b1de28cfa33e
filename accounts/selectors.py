"""The reads behind the rep's screens and the API: lists, a customer's page, "My day".

Every read starts from `Customer.objects.visible_to(user)` (or the matching queryset of a
child model), and each runs a fixed number of queries however many rows it returns.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from difflib import SequenceMatcher

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Cos, Lower, Power, Radians, Sin, StrIndex, TruncMonth
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from users.models import Team, User
from web.money import money_output

from .geo import far_term
from .models import (
    AccountTeamMember,
    CompetitorPresence,
    Contact,
    Customer,
    CustomerStanding,
    CustomerStatus,
    FitCriterion,
    IndustryFit,
    InSubquery,
    Transaction,
    Visit,
    credit_risk_q,
    normalise_company_name,
)
from .pinyin import has_latin, name_initials, name_pinyin

ZERO = Decimal("0.00")
MONEY = money_output()


@dataclass(frozen=True)
class SalesWindow:
    """The twelve months that "sales, last 12 months" means, as of a day D: (D−365, D], and the
    year before it, (D−730, D−365]. The one definition that the customer page (ORM) and the
    scoring run (SQL) both take their dates from."""

    as_of: date

    DAYS = 365

    @property
    def start(self) -> date:
        """Exclusive: sales on this day belong to the year before."""
        return self.as_of - timedelta(days=self.DAYS)

    @property
    def prev_start(self) -> date:
        return self.start - timedelta(days=self.DAYS)

    def last_12m(self, field: str) -> Q:
        return Q(**{f"{field}__gt": self.start, f"{field}__lte": self.as_of})

    def prev_12m(self, field: str) -> Q:
        return Q(**{f"{field}__gt": self.prev_start, f"{field}__lte": self.start})


# Orderings offered to lists (page and API alike): public name → ORM ordering.
# Empty values (not scored, never visited) go last either way: PostgreSQL would otherwise
# put them first when descending and SQLite first when ascending.
# "name" is pinyin order (阿… before 北… before 东…): the column holds only a–z and 0–9, so
# PostgreSQL and SQLite sort it alike, whatever their collation.
CUSTOMER_ORDERINGS = {
    "name": (F("name_pinyin").asc(), "id"),
    "-name": (F("name_pinyin").desc(), "-id"),
    # Not-yet-scored customers (NULL) sort last either way, on PostgreSQL as on SQLite.
    "score": (F("score").asc(nulls_last=True), "id"),
    "-score": (F("score").desc(nulls_last=True), "id"),
    "fit_score": (F("fit_score").asc(nulls_last=True), "id"),
    "-fit_score": (F("fit_score").desc(nulls_last=True), "id"),
    "sales_12m": (F("sales_12m").asc(nulls_last=True), "id"),
    "-sales_12m": (F("sales_12m").desc(nulls_last=True), "id"),
    "updated_at": (F("updated_at").asc(), "id"),
    "-updated_at": (F("updated_at").desc(), "-id"),
    "last_visit_at": (F("last_visit_at").asc(nulls_last=True), "id"),
    "-last_visit_at": (F("last_visit_at").desc(nulls_last=True), "id"),
}


def last_visit_subquery() -> Subquery:
    return Subquery(
        Visit.objects.filter(customer=OuterRef("pk")).order_by("-occurred_at").values("occurred_at")[:1]
    )


def _search_patterns(text: str) -> list[tuple[str, str]]:
    """(column lookup, pattern) pairs that `text` is looked for with."""
    patterns = [("name__icontains", text)]
    if has_latin(text):
        # The columns are lowercase a–z and 0–9, and so are these: a plain (indexed) LIKE.
        patterns += [
            ("name_pinyin__contains", name_pinyin(text)),
            ("name_initials__contains", name_initials(text)),
        ]
    return patterns


def name_match(text: str) -> Q:
    """Rows whose name contains `text`, or, when `text` has Latin letters, whose pinyin or
    initials contain it read as pinyin: "南京", "nanjing", "NanJing", "nan jing", "nj", "njbc" and
    "南京bc" all find 南京百川生物医药有限公司. Case, spaces and apostrophes ("xi'an") do not matter.

    A text of Chinese only matches the name itself, not its sound: "南京" should not find 男经.
    Works on any model with `name`, `name_pinyin` and `name_initials` (Customer, Contact).
    """
    match = Q()
    for lookup, pattern in _search_patterns(text):
        match |= Q(**{lookup: pattern})
    return match


# A trigram index narrows a LIKE '%…%' only for a pattern of three characters or more.
TRIGRAM = 3


def uses_trigram_indexes(text: str) -> bool:
    """Whether every pattern a search for `text` looks for is long enough for the trigram indexes."""
    text = (text or "").strip()
    return bool(text) and min(len(pattern) for _lookup, pattern in _search_patterns(text)) >= TRIGRAM


# Name order for a search the trigram indexes answer: the same order (the column is lowercase),
# written so that PostgreSQL cannot walk the name index. Walking it, it reads customers in name
# order until a page of them match: most of the table when the matches sit late in the alphabet
# (nanjing: 112 ms for a manager at 100,000 customers), where the indexes find every match and
# sorting them takes 13 ms. A shorter text ("nj", "南京") is matched row by row in any plan, and
# there the walk, which stops at a full page, is the faster one.
SEARCH_NAME_ORDERINGS = {
    "name": (Lower("name_pinyin").asc(), "id"),
    "-name": (Lower("name_pinyin").desc(), "-id"),
}


def customer_ordering(ordering: str, *, search: str = "") -> tuple:
    """The ORM ordering of a list sorted by `ordering` (unknown: name order) and searched for `search`."""
    ordering = ordering if ordering in CUSTOMER_ORDERINGS else "name"
    if ordering in SEARCH_NAME_ORDERINGS and uses_trigram_indexes(search):
        return SEARCH_NAME_ORDERINGS[ordering]
    return CUSTOMER_ORDERINGS[ordering]


def standing_of(customers: QuerySet[Customer]) -> QuerySet[CustomerStanding]:
    """The last run's results of `customers`, to aggregate or rank them, from the narrow
    standing table: all of it when `customers` are all of them; the rows picked by their own
    owner and customer columns when `customers` are what someone sees (`visible_to`, perhaps
    `owned_by` a team), as the customer table would pick them; else with the customers' ids as a
    semi-join (hashed once, the standing table scanned once). Never every standing row joined to
    every customer row, which on PostgreSQL builds a hash of the whole standing table per query.
    The rows of customers never scored are not among them: count those with `customers_count`."""
    on_standing = customers.on_standing()
    if on_standing is not None:
        return CustomerStanding.objects.filter(on_standing.standing)
    return CustomerStanding.objects.filter(customer_id__in=customers.order_by().values("pk"))


def customers_count(customers: QuerySet[Customer], *, grouped: bool = False) -> Coalesce | Max:
    """How many `customers` there are, scored or not, as an aggregate of a query over their
    standing (`standing_of`): uncorrelated subqueries, evaluated once, so the count comes in the
    same query; itself when no customer has a standing row yet (`grouped`: then no group comes).
    What a user sees is counted as the customers they or their teams own plus the others on
    their account teams, each from one index of the plain customer table."""
    on_standing = customers.on_standing()
    # The plain table (no standing join, which would keep PostgreSQL from an index-only scan).
    parts = (
        [customers] if on_standing is None else [Customer._base_manager.filter(q) for q in on_standing.counts]
    )
    counts = [
        Subquery(
            part.order_by().values(n=Func(Value(1), function="COUNT", output_field=IntegerField())),
            output_field=IntegerField(),
        )
        for part in parts
    ]
    count = sum(counts[1:], start=counts[0])
    if grouped:  # per group of standing rows (GROUP BY would compute a bare count once more)
        return Max(count)
    return Coalesce(Max(count), count, output_field=IntegerField())


def customer_search(queryset: QuerySet[Customer], text: str) -> QuerySet[Customer]:
    """Match the customer's name or the name of one of its contacts, in characters or pinyin.

    When every pattern is long enough for the trigram indexes, the contacts' hits are written as
    `id = ANY(ARRAY(…))` (`InSubquery`), so that PostgreSQL ORs bitmap scans of the name, pinyin
    and initials indexes with them: a few milliseconds at 100,000 customers, where `IN (subquery)`
    inside the OR makes it read every visible customer (0.2–0.5 s; docs/benchmarks.md). With a
    shorter pattern ("nj", "南京") the bitmap plan would read those indexes whole, and IN is faster.
    """
    text = (text or "").strip()
    if not text:
        return queryset
    contact_hits = Contact.objects.filter(name_match(text)).values("customer_id")
    if uses_trigram_indexes(text):
        in_contacts = Q(InSubquery(F("pk"), contact_hits))
    else:
        in_contacts = Q(pk__in=contact_hits)
    return queryset.filter(name_match(text) | in_contacts)


@dataclass(frozen=True)
class CustomerFilters:
    search: str = ""
    tier: str = ""
    abc_class: str = ""
    region: str = ""
    industry: str = ""
    status: str = ""
    owner: int | None = None
    is_key_account: bool | None = None
    fit_score_min: Decimal | None = None  # experience method: at least this fit score
    credit_risk: bool | None = None  # money open more than 30 days past due today
    ordering: str = "name"


def with_credit_risk(customers: QuerySet[Customer], value: bool) -> QuerySet[Customer]:
    """The customers carrying the credit-risk flag today (`value` true), or the others."""
    risk = credit_risk_q(timezone.localdate())
    return customers.filter(risk) if value else customers.exclude(risk)


def customer_list(*, user: User, filters: CustomerFilters | None = None) -> QuerySet[Customer]:
    """The visible customers, filtered and ordered, with owner and last visit loaded."""
    filters = filters or CustomerFilters()
    customers = customer_search(Customer.objects.visible_to(user), filters.search)
    exact = {
        "tier": filters.tier,
        "abc_class": filters.abc_class,
        "region": filters.region,
        "industry": filters.industry,
        "status": filters.status,
    }
    customers = customers.filter(**{field: value for field, value in exact.items() if value})
    if filters.owner:
        customers = customers.filter(owner_id=filters.owner)
    if filters.is_key_account is not None:
        customers = customers.filter(is_key_account=filters.is_key_account)
    if filters.fit_score_min is not None:
        customers = customers.filter(fit_score__gte=filters.fit_score_min)
    if filters.credit_risk is not None:
        customers = with_credit_risk(customers, filters.credit_risk)
    ordering = customer_ordering(filters.ordering, search=filters.search)
    return customers.select_related("owner").annotate(last_visit_at=last_visit_subquery()).order_by(*ordering)


def filter_choices(*, user: User) -> dict[str, list]:
    """The values the list's filters offer: regions, industries and owners among visible customers."""
    visible = Customer.objects.visible_to(user)
    owners = User.objects.filter(pk__in=visible.values("owner_id")).order_by("username")
    return {
        "regions": list(
            visible.exclude(region="").order_by("region").values_list("region", flat=True).distinct()
        ),
        "industries": list(
            visible.exclude(industry="").order_by("industry").values_list("industry", flat=True).distinct()
        ),
        "owners": list(owners),
    }


# --- One customer ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SalesSummary:
    sales_12m: Decimal
    sales_prev_12m: Decimal
    margin_12m: Decimal
    orders_12m: int
    last_order_on: date | None
    monthly: list[tuple[date, Decimal]]  # the last 12 calendar months, oldest first, zeros included

    @property
    def growth(self) -> Decimal | None:
        """Change against the year before, as a fraction; None without a base."""
        if self.sales_prev_12m <= 0:
            return None
        return (self.sales_12m - self.sales_prev_12m) / self.sales_prev_12m


def _months_back(first_of_month: date, n: int) -> date:
    year, month = divmod(first_of_month.year * 12 + first_of_month.month - 1 - n, 12)
    return date(year, month + 1, 1)


def customer_sales_summary(*, customer: Customer, as_of: date | None = None) -> SalesSummary:
    """12-month sales (D−365, D], the year before, margin, orders and a monthly trend: two queries."""
    as_of = as_of or timezone.localdate()
    window = SalesWindow(as_of)
    rows = Transaction.objects.filter(customer=customer)
    last_12m = window.last_12m("occurred_on")
    totals = rows.aggregate(
        sales_12m=Coalesce(Sum("amount", filter=last_12m), Value(ZERO), output_field=MONEY),
        sales_prev_12m=Coalesce(
            Sum("amount", filter=window.prev_12m("occurred_on")),
            Value(ZERO),
            output_field=MONEY,
        ),
        margin_12m=Coalesce(Sum("margin", filter=last_12m), Value(ZERO), output_field=MONEY),
        orders_12m=Count("id", filter=last_12m),
        last_order_on=Max("occurred_on", filter=Q(occurred_on__lte=as_of)),
    )
    this_month = as_of.replace(day=1)
    first_month = _months_back(this_month, 11)
    by_month = dict(
        rows.filter(occurred_on__gte=first_month, occurred_on__lte=as_of)
        .annotate(month=TruncMonth("occurred_on"))
        .values("month")
        .annotate(total=Sum("amount"))
        .values_list("month", "total")
    )
    by_month = {(m.date() if hasattr(m, "date") else m): total for m, total in by_month.items()}
    monthly = [
        (month, by_month.get(month, ZERO))
        for month in (_months_back(this_month, n) for n in range(11, -1, -1))
    ]
    return SalesSummary(monthly=monthly, **totals)


def customer_contacts(*, customer: Customer) -> QuerySet[Contact]:
    """The buying committee: decision makers first, then by influence."""
    return customer.contacts.order_by("buying_role", "-influence", "name_pinyin", "id")


def customer_timeline(*, customer: Customer, limit: int = 50) -> QuerySet[Visit]:
    return (
        customer.visits.select_related("by")
        .prefetch_related("contacts")
        .order_by("-occurred_at", "-id")[:limit]
    )


def checkin_far(max_meters: float | None = None) -> Q:
    """A visit whose check-in is farther than `max_meters` (default `KAM_CHECKIN_MAX_METERS`)
    from its customer's site, as a condition for a filter or a conditional aggregate.

    The haversine of `accounts.geo` in SQL, compared as its term against `geo.far_term` (no arc
    sine or square root needed): the same rule as `Visit.checkin_far`, not an approximation,
    and the same SQL on PostgreSQL and SQLite (where Django supplies SIN, COS, RADIANS, POWER).
    A visit without a check-in, or at a customer without a site, is never far (NULL).
    """
    limit = settings.KAM_CHECKIN_MAX_METERS if max_meters is None else max_meters
    lat1, lng1 = Cast("latitude", FloatField()), Cast("longitude", FloatField())
    lat2, lng2 = Cast("customer__latitude", FloatField()), Cast("customer__longitude", FloatField())
    term = Power(Sin(Radians(lat2 - lat1) / 2), 2) + Cos(Radians(lat1)) * Cos(Radians(lat2)) * Power(
        Sin(Radians(lng2 - lng1) / 2), 2
    )
    return Q(GreaterThan(term, Value(far_term(limit), output_field=FloatField())))


def customer_competitors(*, customer: Customer) -> QuerySet[CompetitorPresence]:
    return customer.competitors.order_by("competitor")


# --- Who sees a customer --------------------------------------------------------------------


def users_who_see(*, customer: Customer) -> QuerySet[User]:
    """The active users who see `customer`: `Customer.objects.visible_to` read the other way
    round (admins, its owner, its account team, the managers of a team its owner is in), kept
    beside it so the rule changes in one place (tests/servicing: both agree for every role).
    Work handed to someone about a customer (an agreed action) must go to one of them."""
    team = AccountTeamMember.objects.filter(customer_id=customer.pk).values("user_id")
    sees = Q(is_staff=True) | Q(pk__in=team)
    if customer.owner_id is not None:
        managers = Team.managers.through.objects.filter(team__members=customer.owner_id).values("user_id")
        sees |= Q(pk=customer.owner_id) | Q(pk__in=managers)
    return User.objects.filter(is_active=True).filter(sees)


# --- My day ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MyDay:
    follow_ups_due: list[Visit]
    recent_activity: list[Visit]


def my_day(
    *,
    user: User,
    today: date | None = None,
    recent: int = 10,
    visible: QuerySet[Customer] | None = None,
) -> MyDay:
    """What accounts puts on a user's start page: follow-ups due today or overdue, and the
    latest activity on their accounts. Two queries, and one for `visible` (the customers the
    user may see, `Customer.objects.visible_to(user)`) unless the caller has it already.
    (The accounts due for a visit, per their tier's service level, come from servicing.)"""
    today = today or timezone.localdate()
    visible = Customer.objects.visible_to(user) if visible is None else visible
    due = (
        Visit.objects.follow_ups_open()
        .filter(by=user, follow_up_on__lte=today, customer__in=visible)
        .select_related("customer")
        .order_by("follow_up_on", "id")
    )
    activity = (
        Visit.objects.filter(customer__in=visible)
        .select_related("customer", "by")
        .order_by("-occurred_at", "-id")[:recent]
    )
    return MyDay(follow_ups_due=list(due), recent_activity=list(activity))


# --- Possible duplicates (可能重复) -----------------------------------------------------------

NEAR_MATCH_THRESHOLD = 0.5  # pg_trgm similarity() of the normalised names
NEAR_MATCH_LIMIT = 5
_RUN = 4  # SQLite: characters in a row two names share, at the least
_RUN_SHARE = 0.6  # SQLite: … and at least this share of the shorter name
_SQLITE_CANDIDATES = 500


@dataclass(frozen=True)
class PossibleDuplicate:
    """A customer whose name is close to a name being entered. Only a `visible` one may be
    linked to; of the others a user learns the name and owner, as the 撞单 message tells them."""

    pk: int
    name: str
    owner_name: str | None
    visible: bool
    same_company: bool  # the normalised names are equal: saving the name is refused (撞单)


class _TrigramMatch(Func):
    """`a % b`: pg_trgm's similarity at least `pg_trgm.similarity_threshold`, which the trigram
    index on `name_normalised` answers (a `similarity() >= x` filter alone reads every row)."""

    arg_joiner = " %% "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def customer_possible_duplicates(
    *, user: User, name: str, exclude_pk: int | None = None, limit: int = NEAR_MATCH_LIMIT
) -> list[PossibleDuplicate]:
    """Customers, visible or not, whose names are close to `name` (可能重复), closest first:
    a warning before a new customer is saved, never a refusal. Three queries (four on PostgreSQL).

    PostgreSQL: trigram similarity of the normalised names of at least NEAR_MATCH_THRESHOLD
    (上海永盛汽车零部件 and 永盛汽车零部件: 0.5). SQLite, which has no pg_trgm: one normalised
    name contains the other, or they share a run of at least 4 characters that is at least
    60% of the shorter name (上海华信精密机械 and 苏州华信精密机械, not 深圳恒达精密机械).
    A name that is the same company (same normalised name) comes first, `same_company`.
    """
    normalised = normalise_company_name(name)
    if len(normalised) < 2:
        return []
    customers = Customer.objects.select_related("owner")
    if exclude_pk is not None:
        customers = customers.exclude(pk=exclude_pk)
    if connection.vendor == "postgresql":
        matches = _trigram_matches(customers, normalised, limit)
    else:
        matches = _shared_run_matches(customers, normalised, limit)
    visible = set(
        Customer.objects.visible_to(user)
        .filter(pk__in=[customer.pk for customer in matches])
        .values_list("pk", flat=True)
    )
    return [
        PossibleDuplicate(
            pk=customer.pk,
            name=customer.name,
            owner_name=customer.owner.display_name if customer.owner else None,
            visible=customer.pk in visible,
            same_company=customer.name_normalised == normalised,
        )
        for customer in matches
    ]


def _trigram_matches(customers: QuerySet[Customer], normalised: str, limit: int) -> list[Customer]:
    from django.contrib.postgres.search import TrigramSimilarity

    matches = (
        customers.filter(_TrigramMatch(F("name_normalised"), Value(normalised)))
        .annotate(similarity=TrigramSimilarity("name_normalised", normalised))
        .filter(similarity__gte=NEAR_MATCH_THRESHOLD)
        .order_by("-similarity", "name_normalised", "id")[:limit]
    )
    # `%` at the threshold itself, for this transaction only: the index then hands over only
    # the rows that match, not every one above pg_trgm's default 0.3 (at 100,000 customers
    # sharing common words, 5 ms instead of 45).
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pg_trgm.similarity_threshold', %s, true)", [str(NEAR_MATCH_THRESHOLD)]
        )
        return list(matches)


def _longest_run(a: str, b: str) -> int:
    match = SequenceMatcher(None, a, b, autojunk=False).find_longest_match()
    return match.size


def is_near_name(a: str, b: str) -> bool:
    """SQLite's rule for two normalised names (see `customer_possible_duplicates`)."""
    shorter, longer = sorted((a, b), key=len)
    if len(shorter) < 2:
        return False
    if shorter in longer:
        return True
    return _longest_run(a, b) >= max(_RUN, math.ceil(_RUN_SHARE * len(shorter)))


def _shared_run_matches(customers: QuerySet[Customer], normalised: str, limit: int) -> list[Customer]:
    # Candidates in SQL: names containing the name, contained in it, or sharing a 4-character
    # run with it; the rule itself and the order (closest first) in Python.
    candidates = Q(name_normalised__contains=normalised) | Q(
        GreaterThan(StrIndex(Value(normalised), F("name_normalised")), 0)
    )
    for start in range(len(normalised) - _RUN + 1):
        candidates |= Q(name_normalised__contains=normalised[start : start + _RUN])
    near = [
        customer
        for customer in customers.filter(candidates).exclude(name_normalised="")[:_SQLITE_CANDIDATES]
        if is_near_name(customer.name_normalised, normalised)
    ]
    near.sort(
        key=lambda customer: (
            customer.name_normalised != normalised,
            -SequenceMatcher(None, customer.name_normalised, normalised, autojunk=False).ratio(),
            customer.name_normalised,
            customer.pk,
        )
    )
    return near[:limit]


# --- The experience method (经历推算法): industry fits, the checklist, the shortlist ------------


def industry_fit_table() -> QuerySet[IndustryFit]:
    return IndustryFit.objects.order_by("industry", "id")


def industries_not_in_table(*, user: User) -> list[str]:
    """The industries the user's customers already have that the table does not: what the
    form for a new row offers (a new one may be typed all the same)."""
    return list(
        Customer.objects.visible_to(user)
        .exclude(industry="")
        .exclude(industry__in=IndustryFit.objects.values("industry"))
        .order_by("industry")
        .values_list("industry", flat=True)
        .distinct()
    )


def fit_criteria_with_ticks() -> QuerySet[FitCriterion]:
    """Every checklist item, active or not, in checklist order, with how many customers have it
    ticked (`ticked`): the admins' page."""
    return FitCriterion.objects.annotate(ticked=Count("customers")).order_by("position", "id")


def active_fit_criteria() -> QuerySet[FitCriterion]:
    return FitCriterion.objects.filter(is_active=True).order_by("position", "id")


PERCENT = Decimal("0.01")


@dataclass(frozen=True)
class ChecklistItem:
    criterion: FitCriterion
    ticked: bool


@dataclass(frozen=True)
class CustomerFit:
    """A customer's side of the experience method, as its page shows it: the industry's fit
    (0 when the industry is not in the table or the customer has none) and the checklist."""

    industry: str
    industry_fit: Decimal
    in_table: bool  # the customer's industry is in the industry fit table
    items: list[ChecklistItem]  # the active items, in checklist order

    @property
    def ticked(self) -> int:
        return sum(item.ticked for item in self.items)

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def customer_fit(self) -> Decimal:
        """100 × (weights of the ticked items) / (weights of all active items), 0 when they
        weigh nothing; rounded half up to 2 decimals for display."""
        weights = sum((item.criterion.weight for item in self.items), Decimal(0))
        if weights <= 0:
            return Decimal("0.00")
        ticked = sum((item.criterion.weight for item in self.items if item.ticked), Decimal(0))
        return (100 * ticked / weights).quantize(PERCENT, rounding=ROUND_HALF_UP)


def customer_fit(*, customer: Customer) -> CustomerFit:
    """The customer page's "Customer fit" section: two queries."""
    row = IndustryFit.objects.filter(industry=customer.industry).first() if customer.industry else None
    ticks = Customer.fit_criteria.through.objects.filter(
        customer_id=customer.pk, fitcriterion_id=OuterRef("pk")
    )
    items = active_fit_criteria().annotate(is_ticked=Exists(ticks))
    return CustomerFit(
        industry=customer.industry,
        industry_fit=row.industry_fit if row is not None else Decimal(0),
        in_table=row is not None,
        items=[ChecklistItem(criterion=item, ticked=item.is_ticked) for item in items],
    )


@dataclass(frozen=True)
class ShortlistFilters:
    industry: str = ""
    region: str = ""
    owner: int | None = None


def industry_fit_value(need: int | None, capability: int | None) -> Decimal:
    """The industry fit of a shortlist row from its industry's need and capability (None when
    the industry is not in the table: 0), by `IndustryFit.industry_fit`, the one formula."""
    if need is None or capability is None:
        return Decimal(0)
    return IndustryFit(need=need, capability=capability).industry_fit


def new_market_shortlist(
    *, user: User, filters: ShortlistFilters | None = None, as_of: date | None = None
) -> QuerySet[Customer]:
    """The new-market shortlist (经历推算法): the visible prospects with no sales in the last 12
    months as of `as_of` (their transactions in (D−365, D] sum to 0 or less, or there are none),
    by fit score, best first (not yet scored last), then name in pinyin order. Each row carries
    its owner, its industry's `industry_need` and `industry_capability` (null when the industry
    is not in the table; see `industry_fit_value`) and `fit_ticked`, how many active checklist
    items are ticked for it. One query, however many rows."""
    filters = filters or ShortlistFilters()
    window = SalesWindow(as_of or timezone.localdate())
    sold = (
        Transaction.objects.filter(window.last_12m("occurred_on"), customer=OuterRef("pk"))
        .values("customer")
        .annotate(total=Sum("amount"))
        .filter(total__gt=0)
    )
    industry = IndustryFit.objects.filter(industry=OuterRef("industry"))
    ticked = (
        Customer.fit_criteria.through.objects.filter(customer_id=OuterRef("pk"), fitcriterion__is_active=True)
        .values("customer_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    customers = Customer.objects.visible_to(user).filter(status=CustomerStatus.PROSPECT).filter(~Exists(sold))
    if filters.industry:
        customers = customers.filter(industry=filters.industry)
    if filters.region:
        customers = customers.filter(region=filters.region)
    if filters.owner:
        customers = customers.filter(owner_id=filters.owner)
    return (
        customers.select_related("owner")
        .annotate(
            industry_need=Subquery(industry.values("need")[:1]),
            industry_capability=Subquery(industry.values("capability")[:1]),
            fit_ticked=Coalesce(Subquery(ticked), 0),
        )
        .order_by(F("fit_score").desc(nulls_last=True), "name_pinyin", "id")
    )


@dataclass(frozen=True)
class ShortlistRow:
    customer: Customer
    industry_fit: Decimal
    fit_ticked: int  # active checklist items ticked


def shortlist_rows(customers: Iterable[Customer]) -> list[ShortlistRow]:
    """Rows of `new_market_shortlist` as its page shows them; no query of their own."""
    return [
        ShortlistRow(
            customer=customer,
            industry_fit=industry_fit_value(customer.industry_need, customer.industry_capability),
            fit_ticked=customer.fit_ticked,
        )
        for customer in customers
    ]
