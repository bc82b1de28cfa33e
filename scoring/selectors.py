"""Reads of scoring results: the summary, a customer's history, the runs."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import Customer
from accounts.selectors import customers_count, standing_of
from users.models import User
from web.money import money_output

from . import engine
from .models import ScoreSnapshot, ScoringModel, ScoringRun, TierChange

MONEY = money_output()
ZERO = Decimal("0.00")
HUNDREDTH = Decimal("0.01")


def can_tune_scoring(user: User) -> bool:
    """Managers and admins tune the model and start runs; reps only read results."""
    return user.is_authenticated and user.can_manage


def runs_recent(*, limit: int = 50) -> QuerySet[ScoringRun]:
    return ScoringRun.objects.select_related("model", "started_by").order_by("-created_at", "-id")[:limit]


def run_in_flight() -> ScoringRun | None:
    return ScoringRun.objects.filter(in_flight=True).first()


def customer_score_history(*, customer: Customer, limit: int = 100) -> list[dict]:
    """The customer's snapshot per run, newest first, with the tier move of that run."""
    snapshots = (
        ScoreSnapshot.objects.filter(customer=customer)
        .select_related("run")
        .order_by("-run__as_of", "-run_id")[:limit]
    )
    moves = dict(TierChange.objects.filter(customer=customer).values_list("run_id", "direction"))
    return [
        {
            "run": snapshot.run_id,
            "as_of": snapshot.run.as_of,
            "scored_at": snapshot.run.finished_at,
            "score": snapshot.score,
            "fit_score": snapshot.fit_score,
            "rank": snapshot.rank,
            "tier": snapshot.tier,
            "abc_class": snapshot.abc_class,
            "is_key_account": snapshot.is_key_account,
            "sales_12m": snapshot.sales_12m,
            "tier_move": moves.get(snapshot.run_id, ""),
        }
        for snapshot in snapshots
    ]


@dataclass(frozen=True)
class Share:
    count: int
    revenue: Decimal
    revenue_share: Decimal  # percent of the population's positive 12-month revenue


def _share(count: int, revenue: Decimal, total: Decimal) -> Share:
    revenue = Decimal(revenue or ZERO).quantize(HUNDREDTH)
    share = (revenue * 100 / total).quantize(HUNDREDTH) if total > 0 else ZERO
    return Share(count=count, revenue=revenue, revenue_share=share)


def scoring_summary(*, user: User | None, customers: QuerySet[Customer] | None = None) -> dict:
    """Tier and ABC counts with revenue shares, key accounts and concentration, over the
    customers `user` may see, in a fixed number of queries whatever the population."""
    customers = customers if customers is not None else Customer.objects.visible_to(user)
    positive = Q(sales_12m__gt=0)

    def revenue(condition: Q) -> Coalesce:
        return Coalesce(Sum("sales_12m", filter=positive & condition), Value(ZERO), output_field=MONEY)

    groups = {f"tier_{tier}": Q(tier=tier) for tier in engine.TIERS} | {
        f"abc_{cls}": Q(abc_class=cls) for cls in engine.ABC
    }
    # One pass over the customers' standing rows (the narrow table: see standing_of): totals,
    # and per tier and per ABC class a count and revenue; the customers counted in the same query.
    totals = standing_of(customers).aggregate(
        customers=customers_count(customers),
        scored=Count("pk", filter=~Q(tier="")),  # every customer a run scored has a tier
        key_accounts=Count("pk", filter=Q(is_key_account=True)),
        revenue=revenue(Q()),
        squares=Coalesce(
            Sum(F("sales_12m") * F("sales_12m"), filter=positive, output_field=MONEY),
            Value(ZERO),
            output_field=MONEY,
        ),
        **{f"{key}_n": Count("pk", filter=condition) for key, condition in groups.items()},
        **{f"{key}_revenue": revenue(condition) for key, condition in groups.items()},
    )
    total = Decimal(totals["revenue"]).quantize(HUNDREDTH)  # SQLite sums in binary floats
    tiers = {
        tier: {"n": totals[f"tier_{tier}_n"], "revenue": totals[f"tier_{tier}_revenue"]}
        for tier in engine.TIERS
    }
    classes = {
        cls: {"n": totals[f"abc_{cls}_n"], "revenue": totals[f"abc_{cls}_revenue"]} for cls in engine.ABC
    }
    top = list(
        standing_of(customers)
        .filter(positive)
        .order_by("-sales_12m", "customer_id")
        .values_list("sales_12m", flat=True)[:10]
    )
    model = ScoringModel.objects.filter(is_active=True).first()
    top1 = _share(1, top[0] if top else ZERO, total).revenue_share
    top10 = _share(len(top), sum(top, ZERO), total).revenue_share
    hhi = (Decimal(totals["squares"]) * 10_000 / (total * total)).quantize(HUNDREDTH) if total > 0 else ZERO
    warnings = []
    if model is not None and total > 0:
        if top1 > model.concentration_top1_limit:
            warnings.append("top1")
        if top10 > model.concentration_top10_limit:
            warnings.append("top10")
        if hhi > model.concentration_hhi_limit:
            warnings.append("hhi")
    return {
        "customers": totals["customers"],
        "scored": totals["scored"],
        "key_accounts": totals["key_accounts"],
        "revenue_12m": total,
        "tiers": {
            tier: _share(tiers.get(tier, {}).get("n", 0), tiers.get(tier, {}).get("revenue", ZERO), total)
            for tier in engine.TIERS
        },
        "abc": {
            cls: _share(classes.get(cls, {}).get("n", 0), classes.get(cls, {}).get("revenue", ZERO), total)
            for cls in engine.ABC
        },
        "concentration": {"top1_share": top1, "top10_share": top10, "hhi": hhi, "warnings": warnings},
    }
