"""Demo payment collection (回款): payment plans for some of the won demo opportunities, and the
payments an ERP pushed for them, written through `receivables.services` as the pages and the
API write them (the allocation, the customers' oldest open due dates and the audit trail
follow from those calls).

What the demo shows (dates relative to the day it is loaded):
- most plans paid on time, installment by installment, on their due dates;
- some with installments still open and not yet due;
- a customer with an installment more than 30 days overdue: the credit-risk flag;
- a customer who paid the rest of the contract early and more than it: credit;
- for each demo rep's first won deal, an installment due within the next 7 days, so My day
  lists it (rep1 李明 is the rep the README's tour logs in as).

Keyed by the opportunity (one plan each: a won opportunity with a plan already is left alone)
and by the payment's reference (`DEMO-HK-<opportunity id>-<n>`: a known reference is not sent
again), so a second run creates nothing. On a later day nothing moves: money once applied
fixes a plan's dates, as it does for everyone.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from accounts.models import Customer
from pipeline.models import Opportunity, Stage
from receivables.models import Payment, PaymentPlan, PaymentSource
from receivables.services import PaymentRow, payments_upsert, plan_create
from users.models import User

REFERENCE_PREFIX = "DEMO-HK-"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Shape:
    """A plan's installments as (days from today to the due date, share of the contract in
    percent) and its payments as (days from today to the day received, share in percent)."""

    name: str
    installments: tuple[tuple[int, int], ...]
    payments: tuple[tuple[int, int], ...]


PAID_ON_TIME = Shape("paid on time", ((-150, 30), (-90, 40), (-30, 30)), ((-150, 30), (-90, 40), (-30, 30)))
OPEN_NOT_DUE = Shape("open, not yet due", ((-60, 30), (30, 40), (90, 30)), ((-60, 30),))
DUE_THIS_WEEK = Shape("due this week", ((-50, 40), (5, 60)), ((-50, 40),))
CREDIT_RISK = Shape("credit risk", ((-75, 50), (-45, 30), (15, 20)), ((-75, 50),))
PAID_EARLY = Shape("paid early, credit", ((-60, 50), (30, 50)), ((-60, 50), (-5, 60)))

# The shapes given to each demo rep's won deals, in order (then PAID_ON_TIME for the rest, up
# to PLANS_PER_REP): rep1's first deal has an installment due this week and their second is
# more than 30 days overdue; rep2's first paid early.
SHAPES_BY_REP = {
    "rep1": (DUE_THIS_WEEK, CREDIT_RISK, PAID_ON_TIME, OPEN_NOT_DUE),
    "rep2": (DUE_THIS_WEEK, PAID_EARLY, PAID_ON_TIME, OPEN_NOT_DUE),
    "rep3": (DUE_THIS_WEEK, PAID_ON_TIME, OPEN_NOT_DUE),
}
PLANS_PER_REP = 5


@dataclass(frozen=True)
class ReceivablesLoaded:
    plans: int
    installments: int
    payments: int


def _amounts(total: Decimal, shares: Sequence[int]) -> list[Decimal]:
    """`total` split by percent shares, to the cent; the last takes what rounding left, so the
    parts add up exactly to the total (more than 100 percent: the parts add up to that much)."""
    parts = [(total * share / 100).quantize(CENT, rounding=ROUND_DOWN) for share in shares]
    parts[-1] += (total * sum(shares) / 100).quantize(CENT) - sum(parts)
    return parts


def demo_won_opportunities(customers: Mapping[str, Customer]) -> dict[str, list[Opportunity]]:
    """The won opportunities of the demo customers by their owner's username, oldest first."""
    by_owner: dict[str, list[Opportunity]] = defaultdict(list)
    won = (
        Opportunity.objects.filter(stage=Stage.WON, customer__in=list(customers.values()))
        .select_related("customer", "owner")
        .order_by("created_at", "id")
    )
    for opportunity in won:
        if opportunity.owner is not None:
            by_owner[opportunity.owner.username].append(opportunity)
    return by_owner


def receivables_load(
    *, customers: Mapping[str, Customer], users: Mapping[str, User], today: date
) -> ReceivablesLoaded:
    """Write the demo payment plans and payments; see the module."""
    planned = set(PaymentPlan.objects.values_list("opportunity_id", flat=True))
    known = set(
        Payment.objects.filter(reference__startswith=REFERENCE_PREFIX).values_list("reference", flat=True)
    )
    plans = installments = 0
    rows: list[PaymentRow] = []
    for username, opportunities in sorted(demo_won_opportunities(customers).items()):
        shapes = SHAPES_BY_REP.get(username, ())
        for index, opportunity in enumerate(opportunities[:PLANS_PER_REP]):
            shape = shapes[index] if index < len(shapes) else PAID_ON_TIME
            total = opportunity.expected_amount or Decimal("100000.00")
            if opportunity.pk not in planned:
                dues = [today + timedelta(days=days) for days, _share in shape.installments]
                plan_create(
                    opportunity=opportunity,
                    by=opportunity.owner,
                    contract_amount=total,
                    installments=list(
                        zip(dues, _amounts(total, [s for _d, s in shape.installments]), strict=True)
                    ),
                    contract_number=f"HT-{today.year}-{opportunity.pk:05d}",
                    signed_on=dues[0] - timedelta(days=30),
                    notes=f"演示数据：{shape.name}",
                )
                plans += 1
                installments += len(dues)
            amounts = _amounts(total, [share for _days, share in shape.payments])
            for number, ((days, _share), amount) in enumerate(zip(shape.payments, amounts, strict=True), 1):
                reference = f"{REFERENCE_PREFIX}{opportunity.pk:06d}-{number}"
                if reference in known:
                    continue
                rows.append(
                    PaymentRow(
                        customer_id=opportunity.customer_id,
                        reference=reference,
                        received_on=today + timedelta(days=days),
                        amount=amount,
                        source=PaymentSource.ERP,
                        notes="ERP 推送（演示）",
                    )
                )
    if rows:
        payments_upsert(rows=rows, by=users["admin"])
    return ReceivablesLoaded(plans=plans, installments=installments, payments=len(rows))
