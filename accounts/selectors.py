"""The reads behind the rep's screens and the API: lists, a customer's page, "My day".

Every read starts from `Customer.objects.visible_to(user)` (or the matching queryset of a
child model), and each runs a fixed number of queries however many rows it returns.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from users.models import User
from web.money import money_output

from .models import CompetitorPresence, Contact, Customer, Transaction, Visit

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
CUSTOMER_ORDERINGS = {
    "name": (F("name").asc(), "id"),
    "-name": (F("name").desc(), "-id"),
    # Not-yet-scored customers (NULL) sort last either way, on PostgreSQL as on SQLite.
    "score": (F("score").asc(nulls_last=True), "id"),
    "-score": (F("score").desc(nulls_last=True), "id"),
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


def customer_search(queryset: QuerySet[Customer], text: str) -> QuerySet[Customer]:
    """Match the customer's name or the name of one of its contacts."""
    text = (text or "").strip()
    if not text:
        return queryset
    contact_hits = Contact.objects.filter(name__icontains=text).values("customer_id")
    return queryset.filter(Q(name__icontains=text) | Q(pk__in=contact_hits))


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
    ordering: str = "name"


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
    ordering = CUSTOMER_ORDERINGS.get(filters.ordering, CUSTOMER_ORDERINGS["name"])
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
    return customer.contacts.order_by("buying_role", "-influence", "name")


def customer_timeline(*, customer: Customer, limit: int = 50) -> QuerySet[Visit]:
    return (
        customer.visits.select_related("by")
        .prefetch_related("contacts")
        .order_by("-occurred_at", "-id")[:limit]
    )


def customer_competitors(*, customer: Customer) -> QuerySet[CompetitorPresence]:
    return customer.competitors.order_by("competitor")


# --- My day ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MyDay:
    follow_ups_due: list[Visit]
    neglected_key_accounts: list[Customer]
    recent_activity: list[Visit]


def my_day(*, user: User, today: date | None = None, neglect_days: int = 30, recent: int = 10) -> MyDay:
    """A rep's start page: follow-ups due today or overdue, key accounts not visited lately,
    and the latest activity on their accounts. Three queries."""
    today = today or timezone.localdate()
    visible = Customer.objects.visible_to(user)
    due = (
        Visit.objects.follow_ups_open()
        .filter(by=user, follow_up_on__lte=today, customer__in=visible)
        .select_related("customer")
        .order_by("follow_up_on", "id")
    )
    cutoff = timezone.now() - timedelta(days=neglect_days)
    neglected = (
        visible.filter(is_key_account=True)
        .annotate(last_visit_at=last_visit_subquery())
        .filter(Q(last_visit_at__lt=cutoff) | Q(last_visit_at__isnull=True))
        .select_related("owner")
        .order_by(F("last_visit_at").asc(nulls_first=True), "-score", "id")
    )
    activity = (
        Visit.objects.filter(customer__in=visible)
        .select_related("customer", "by")
        .order_by("-occurred_at", "-id")[:recent]
    )
    return MyDay(
        follow_ups_due=list(due), neglected_key_accounts=list(neglected[:50]), recent_activity=list(activity)
    )
