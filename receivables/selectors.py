"""The reads of payment collection: one customer's receivables, and aging over many customers.

Overdue, the aging buckets and the credit-risk flag depend on the day they are read for
(`today`), never on a stored flag: the allocation (`services.allocation_rebuild`) stores only
what each installment was paid. DOMAIN.md "Payment collection": an installment is overdue on a
day D when D is past its due date and money is still open on it; its days past due are
d = D − due date, and its open amount is aged as not yet due (d ≤ 0), 1–30, 31–60, 61–90 or
over 90 days. A customer with money open more than 30 days past due carries the credit-risk flag.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import F, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import CREDIT_RISK_OVERDUE_DAYS, Customer
from users.models import DISPLAY_NAME_FIELDS, user_display_name
from web.money import money_output

from .models import Installment, Payment, PaymentPlan

ZERO = Decimal("0.00")
MONEY = money_output()


# --- Aging buckets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    """Open amounts whose days past due d lie in [low, high] (None: no bound)."""

    key: str
    label: Promise
    low: int | None
    high: int | None

    def holds(self, days_past_due: int) -> bool:
        return (self.low is None or days_past_due >= self.low) and (
            self.high is None or days_past_due <= self.high
        )

    def due_on_q(self, today: date, prefix: str = "") -> Q:
        """The installments of this bucket on `today`, by due date: d ≥ low ⇔ due ≤ today − low."""
        q = Q()
        if self.low is not None:
            q &= Q(**{f"{prefix}due_on__lte": today - timedelta(days=self.low)})
        if self.high is not None:
            q &= Q(**{f"{prefix}due_on__gte": today - timedelta(days=self.high)})
        return q


BUCKETS = (
    Bucket("not_due", _("Not yet due"), None, 0),
    Bucket("days_1_30", _("1–30 days"), 1, 30),
    Bucket("days_31_60", _("31–60 days"), 31, 60),
    Bucket("days_61_90", _("61–90 days"), 61, 90),
    Bucket("over_90", _("Over 90 days"), 91, None),
)
BUCKET_KEYS = tuple(bucket.key for bucket in BUCKETS)


def aging_bucket(days_past_due: int) -> str:
    """The key of the bucket an open amount `days_past_due` days past due belongs to."""
    return next(bucket.key for bucket in BUCKETS if bucket.holds(days_past_due))


@dataclass(frozen=True)
class AgingLine:
    key: str
    label: Promise
    amount: Decimal


@dataclass(frozen=True)
class Aging:
    """Open amounts by bucket."""

    not_due: Decimal = ZERO
    days_1_30: Decimal = ZERO
    days_31_60: Decimal = ZERO
    days_61_90: Decimal = ZERO
    over_90: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return sum((getattr(self, key) for key in BUCKET_KEYS), ZERO)

    @property
    def overdue(self) -> Decimal:
        return self.total - self.not_due

    @property
    def lines(self) -> list[AgingLine]:
        return [AgingLine(bucket.key, bucket.label, getattr(self, bucket.key)) for bucket in BUCKETS]


# --- One customer ----------------------------------------------------------------------------


@dataclass(frozen=True)
class InstallmentLine:
    installment: Installment
    open: Decimal
    days_past_due: int  # today − due date (negative: not due yet)

    @property
    def overdue(self) -> bool:
        return self.open > 0 and self.days_past_due > 0

    @property
    def bucket(self) -> str | None:
        return aging_bucket(self.days_past_due) if self.open > 0 else None


@dataclass(frozen=True)
class PlanLine:
    plan: PaymentPlan
    installments: list[InstallmentLine]

    @property
    def contracted(self) -> Decimal:
        return self.plan.contract_amount

    @property
    def applied(self) -> Decimal:
        return sum((line.installment.applied for line in self.installments), ZERO)

    @property
    def open(self) -> Decimal:
        return sum((line.open for line in self.installments), ZERO)

    @property
    def overdue(self) -> Decimal:
        return sum((line.open for line in self.installments if line.overdue), ZERO)

    @property
    def editable(self) -> bool:
        """Its amounts and dates may change: no money applied to it yet."""
        return self.applied == 0


@dataclass(frozen=True)
class CustomerReceivables:
    """What a customer was to pay, what came in, and what is late, on `today`."""

    customer: Customer
    today: date
    plans: list[PlanLine]
    payments: list[Payment]  # newest first, each with `applied_amount` and `unapplied_amount`
    contracted: Decimal
    received: Decimal
    applied: Decimal
    open: Decimal
    overdue: Decimal
    credit: Decimal  # Σ payments − Σ applications: paid and not yet owed
    aging: Aging
    credit_risk: bool
    oldest_open_due_on: date | None = None
    installments: list[InstallmentLine] = field(default_factory=list)  # of every plan, oldest due first


def customer_receivables(*, customer: Customer, today: date) -> CustomerReceivables:
    """The receivables of one customer (already checked as visible): three queries."""
    plans = list(
        PaymentPlan.objects.filter(customer=customer)
        .select_related("opportunity", "created_by")
        .prefetch_related(Prefetch("installments", queryset=Installment.objects.order_by("due_on", "id")))
        .order_by("signed_on", "created_at", "id")
    )
    payments = list(
        Payment.objects.filter(customer=customer)
        .annotate(applied_amount=Coalesce(Sum("applications__amount"), Value(ZERO), output_field=MONEY))
        .order_by("-received_on", "-id")
    )
    lines = []
    plan_lines = []
    for plan in plans:
        rows = [
            InstallmentLine(row, row.amount - row.applied, (today - row.due_on).days)
            for row in plan.installments.all()
        ]
        plan_lines.append(PlanLine(plan, rows))
        lines.extend(rows)
    lines.sort(key=lambda line: (line.installment.due_on, line.installment.pk))
    buckets = dict.fromkeys(BUCKET_KEYS, ZERO)
    for line in lines:
        if line.open > 0:
            buckets[line.bucket] += line.open
    aging = Aging(**buckets)
    for payment in payments:
        payment.unapplied_amount = payment.amount - payment.applied_amount
    received = sum((payment.amount for payment in payments), ZERO)
    applied = sum((line.installment.applied for line in lines), ZERO)
    oldest = next((line.installment.due_on for line in lines if line.open > 0), None)
    return CustomerReceivables(
        customer=customer,
        today=today,
        plans=plan_lines,
        payments=payments,
        contracted=sum((plan.contract_amount for plan in plans), ZERO),
        received=received,
        applied=applied,
        open=aging.total,
        overdue=aging.overdue,
        credit=received - applied,
        aging=aging,
        credit_risk=any(line.open > 0 and line.days_past_due > CREDIT_RISK_OVERDUE_DAYS for line in lines),
        oldest_open_due_on=oldest,
        installments=lines,
    )


# --- Many customers: the aging table ---------------------------------------------------------

AGING_GROUPS = ("customer", "owner", "team")


def aging_rows(
    *, customers: QuerySet[Customer], today: date, by: str = "customer", limit: int | None = None
) -> list[dict]:
    """Open amounts by aging bucket for `customers` (a visible queryset) on `today`, one row
    per customer (default), per owner or per team (an owner in two teams counts in both):
    `id`, `label`, each bucket's key, `open`, `overdue` and `credit_risk` (money open more than
    30 days past due); a customer row has `owner_id` and `owner_name` too. Rows with nothing
    open are left out; the most overdue first, the first `limit` of them (None: all). One query."""
    if by not in AGING_GROUPS:
        raise ValueError(f"aging_rows groups by one of {AGING_GROUPS}, not {by!r}")
    open_amount = F("amount") - F("applied")

    def total(condition: Q | None = None):
        return Coalesce(Sum(open_amount, filter=condition), Value(ZERO), output_field=MONEY)

    risk_from = today - timedelta(days=CREDIT_RISK_OVERDUE_DAYS)
    group = {
        "customer": (
            "customer_id",
            "customer__name",
            "customer__owner_id",
            *(f"customer__owner__{name}" for name in DISPLAY_NAME_FIELDS),
        ),
        "owner": ("customer__owner_id", *(f"customer__owner__{name}" for name in DISPLAY_NAME_FIELDS)),
        "team": ("customer__owner__teams__id", "customer__owner__teams__name"),
    }[by]
    rows = (
        Installment.objects.filter(customer__in=customers, applied__lt=F("amount"))
        .values(*group)
        .annotate(
            **{bucket.key: total(bucket.due_on_q(today)) for bucket in BUCKETS},
            open=total(),
            overdue=total(Q(due_on__lt=today)),
            at_risk=total(Q(due_on__lt=risk_from)),
        )
        .order_by("-overdue", "-open", group[0])
    )
    if limit is not None:
        rows = rows[:limit]
    result = []
    for row in rows:
        if by == "customer":
            head = {
                "id": row["customer_id"],
                "label": row["customer__name"],
                "owner_id": row["customer__owner_id"],
                "owner_name": user_display_name(
                    **{name: row[f"customer__owner__{name}"] for name in DISPLAY_NAME_FIELDS}
                ),
            }
        elif by == "owner":
            names = {name: row[f"customer__owner__{name}"] for name in DISPLAY_NAME_FIELDS}
            head = {"id": row["customer__owner_id"], "label": user_display_name(**names)}
        else:
            head = {
                "id": row["customer__owner__teams__id"],
                "label": row["customer__owner__teams__name"] or "",
            }
        result.append(
            {
                **head,
                **{key: row[key] for key in BUCKET_KEYS},
                "open": row["open"],
                "overdue": row["overdue"],
                "credit_risk": row["at_risk"] > 0,
            }
        )
    return result


def aging_total(*, customers: QuerySet[Customer], today: date) -> Aging:
    """The open amounts of `customers` (a visible queryset) by aging bucket on `today`, all
    together: one query."""
    open_amount = F("amount") - F("applied")
    totals = Installment.objects.filter(customer__in=customers, applied__lt=F("amount")).aggregate(
        **{
            bucket.key: Coalesce(
                Sum(open_amount, filter=bucket.due_on_q(today)), Value(ZERO), output_field=MONEY
            )
            for bucket in BUCKETS
        }
    )
    return Aging(**totals)


def aging_customers_count(*, customers: QuerySet[Customer]) -> int:
    """How many of `customers` have money open: one query."""
    return (
        Installment.objects.filter(customer__in=customers, applied__lt=F("amount"))
        .values("customer_id")
        .distinct()
        .count()
    )


# --- My day ------------------------------------------------------------------------------------

DUE_SOON_DAYS = 7  # My day lists the installments due within the next week, and every overdue one


@dataclass(frozen=True)
class DueInstallment:
    """An installment on a rep's My day: open money overdue or due within the week."""

    installment: Installment
    open: Decimal
    days_overdue: int  # today − due date; 0 or less: not due yet

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0


def installments_due(
    *, user, today: date, visible: QuerySet[Customer], limit: int = 50
) -> list[DueInstallment]:
    """The open installments of the customers `user` owns (among `visible`) that are overdue
    or fall due within DUE_SOON_DAYS, overdue first (the oldest first), then by due date: one
    query (the customer comes with it)."""
    rows = (
        Installment.objects.filter(
            customer__in=visible.filter(owner=user),
            applied__lt=F("amount"),
            due_on__lte=today + timedelta(days=DUE_SOON_DAYS),
        )
        .select_related("customer", "plan")
        .order_by("due_on", "id")[:limit]
    )
    return [DueInstallment(row, row.amount - row.applied, (today - row.due_on).days) for row in rows]
