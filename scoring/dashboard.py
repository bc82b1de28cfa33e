"""The manager dashboard's aggregates, one function per chart, under the caller's visibility.

Each takes the filtered visible customers and returns plain data: `rows` (the table shown
beside the chart and the CSV download) plus what the chart needs. Every function runs a
fixed number of set-based queries, whatever the number of customers (no per-customer loops).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    Avg,
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, Mod, RowNumber
from django.utils import timezone

from accounts.models import Customer, Visit, credit_risk_on, credit_risk_q
from accounts.selectors import checkin_far, customers_count, standing_of
from pipeline import selectors as pipeline_selectors
from receivables import selectors as receivables_selectors
from servicing import coverage as service_coverage
from users.models import DISPLAY_NAME_FIELDS, Team, User, user_display_name
from web.money import money_output

from . import engine, selectors
from .models import RunStatus, ScoreSnapshot, ScoringRun, TierChange

MONEY = money_output()
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
NAMES = (
    "pyramid",
    "pareto",
    "matrix",
    "movements",
    "concentration",
    "churn",
    "funnel",
    "activity",
    "trend",
    "coverage",
    "aging",
)


@dataclass(frozen=True)
class DashboardFilters:
    team: int | None = None
    region: str = ""
    industry: str = ""
    start: date | None = None  # the period (visits, activity); default: the last 30 days
    end: date | None = None

    def period(self) -> tuple[date, date]:
        end = self.end or timezone.localdate()
        return self.start or end - timedelta(days=29), end


def dashboard_customers(*, user: User, filters: DashboardFilters) -> QuerySet[Customer]:
    customers = Customer.objects.visible_to(user)
    if filters.team:
        customers = customers.owned_by(
            Team.members.through.objects.filter(team_id=filters.team).values("user_id")
        )
    if filters.region:
        customers = customers.filter(region=filters.region)
    if filters.industry:
        customers = customers.filter(industry=filters.industry)
    return customers


def _share(part, total) -> Decimal:
    return (Decimal(part) * 100 / Decimal(total)).quantize(CENT) if total else ZERO


# --- Tier pyramid, concentration ------------------------------------------------------------


def pyramid(customers: QuerySet[Customer], filters: DashboardFilters) -> dict:
    summary = selectors.scoring_summary(user=None, customers=customers)
    rows = [
        {"tier": tier, "count": share.count, "revenue": share.revenue, "revenue_share": share.revenue_share}
        for tier, share in summary["tiers"].items()
    ]
    return {"rows": rows, "customers": summary["customers"], "scored": summary["scored"]}


def concentration(customers: QuerySet[Customer], filters: DashboardFilters) -> dict:
    summary = selectors.scoring_summary(user=None, customers=customers)
    c = summary["concentration"]
    model = selectors.ScoringModel.objects.filter(is_active=True).first()
    limits = {
        "top1_share": model.concentration_top1_limit if model else None,
        "top10_share": model.concentration_top10_limit if model else None,
        "hhi": model.concentration_hhi_limit if model else None,
    }
    rows = [
        {
            "measure": name,
            "value": c[name],
            "limit": limits[name],
            "warning": name.split("_")[0] in c["warnings"],
        }
        for name in ("top1_share", "top10_share", "hhi")
    ]
    return {"rows": rows, "warnings": c["warnings"], "revenue_12m": summary["revenue_12m"]}


# --- ABC Pareto -------------------------------------------------------------------------------


def pareto(customers: QuerySet[Customer], filters: DashboardFilters, points: int = 100) -> dict:
    """Cumulative revenue share against share of customers (sales_12m descending), sampled to
    about `points` points; `a_customer_share` marks where the 80% line is crossed."""
    positive = Q(sales_12m__gt=0)
    standing = standing_of(customers)  # the narrow table, the customers a semi-join
    counts = standing.aggregate(
        n=customers_count(customers),
        paying=Count("pk", filter=positive),
        a=Count("pk", filter=Q(abc_class="A")),
        total=Coalesce(Sum("sales_12m", filter=positive), Value(ZERO), output_field=MONEY),
    )
    n, paying, a_count = counts["n"], counts["paying"], counts["a"]
    total = Decimal(counts["total"]).quantize(CENT)
    if not n or not total:
        return {"rows": [], "customers": n, "revenue_12m": total, "a_customer_share": ZERO}
    step = max(1, n // points)
    # Only customers with revenue move the curve, and they come first: rank just them (one sort
    # of the narrow standing rows).
    order = [F("sales_12m").desc(), F("customer_id").asc()]
    ranked = (
        standing.filter(positive)
        .annotate(
            position=Window(RowNumber(), order_by=order), cumulative=Window(Sum("sales_12m"), order_by=order)
        )
        .annotate(sample=Mod(F("position"), Value(step), output_field=IntegerField()))
    )
    sampled = ranked.filter(Q(sample=0) | Q(position=1) | Q(position=paying)).values_list(
        "position", "cumulative"
    )
    curve = [(position, min(cumulative, total)) for position, cumulative in sampled.order_by("position")]
    if n > paying:
        curve.append((n, total))  # the customers without revenue add only to the x axis
    rows = [
        {
            "customers": position,
            "customer_share": _share(position, n),
            "revenue_share": _share(cumulative, total),
        }
        for position, cumulative in curve
    ]
    return {"rows": rows, "customers": n, "revenue_12m": total, "a_customer_share": _share(a_count, n)}


# --- Value × potential matrix -----------------------------------------------------------------


def matrix(customers: QuerySet[Customer], filters: DashboardFilters, max_points: int = 600) -> dict:
    """Quadrant counts, and a deterministic sample of scored customers as points: x = potential
    rating, y = the sales percent rank the last run gave them among all customers — the same
    value the run classified the quadrant by, so every point sits in its labelled quadrant."""
    # Per quadrant from the standing rows, every customer (scored or not) counted in the same query.
    grouped = (
        standing_of(customers)
        .values_list("matrix_quadrant")
        .annotate(n=Count("pk"), everyone=customers_count(customers, grouped=True))
    )
    grouped = list(grouped.order_by())
    counts = {quadrant: n for quadrant, n, _everyone in grouped}
    everyone = grouped[0][2] if grouped else customers.count()  # nobody scored: no row to carry it
    n = sum(count for quadrant, count in counts.items() if quadrant)
    step = max(1, -(-n // max_points))
    # The sample from the standing rows too, each joined to its customer for the name.
    sample = (
        standing_of(customers)
        .filter(sales_rank__isnull=False)
        .annotate(sample=Mod(F("customer_id"), Value(step), output_field=IntegerField()))
        .filter(sample=0)
    )
    points = [
        {
            "id": row["customer_id"],
            "name": row["customer__name"],
            "potential": row["customer__potential"],
            "value_rank": row["sales_rank"],
            "sales_12m": row["sales_12m"] or ZERO,
            "quadrant": row["matrix_quadrant"],
        }
        for row in sample.order_by("customer_id").values(
            "customer_id",
            "customer__name",
            "customer__potential",
            "sales_rank",
            "sales_12m",
            "matrix_quadrant",
        )[:max_points]
    ]
    rows = [{"quadrant": q, "count": counts.get(q, 0)} for q in engine.QUADRANTS]
    return {"rows": rows, "points": points, "customers": everyone}


# --- Tier movements since the previous run ----------------------------------------------------


def movements(customers: QuerySet[Customer], filters: DashboardFilters, limit: int = 200) -> dict:
    # The latest two runs in one query: with only one, no tier could have moved yet.
    runs = list(ScoringRun.objects.filter(status=RunStatus.SUCCEEDED).order_by("-finished_at", "-id")[:2])
    if not runs:
        return {"rows": [], "run": None, "first_run": False, "upgrades": 0, "downgrades": 0, "matrix": []}
    run = runs[0]
    changes = TierChange.objects.filter(run=run, customer__in=customers)
    counts = dict(changes.values_list("direction").annotate(n=Count("id")))
    pairs = [
        {"from_tier": a, "to_tier": b, "count": n}
        for a, b, n in changes.values_list("from_tier", "to_tier").annotate(n=Count("id")).order_by("from_tier", "to_tier")
    ]  # fmt: skip
    rows = [
        {"customer": cid, "name": name, "from_tier": a, "to_tier": b, "direction": d}
        for cid, name, a, b, d in changes.order_by("direction", "customer__name").values_list(
            "customer_id", "customer__name", "from_tier", "to_tier", "direction"
        )[:limit]
    ]
    return {
        "rows": rows,
        "run": {"id": run.pk, "as_of": run.as_of, "finished_at": run.finished_at},
        "first_run": len(runs) == 1,
        "upgrades": counts.get(TierChange.Direction.UPGRADE, 0),
        "downgrades": counts.get(TierChange.Direction.DOWNGRADE, 0),
        "matrix": pairs,
    }


# --- Churn risk -------------------------------------------------------------------------------


# The owner's name comes with the rows (same SELECT), shown as `User.display_name` shows it.
OWNER_NAME_FIELDS = tuple(f"owner__{name}" for name in DISPLAY_NAME_FIELDS)


def _owner_name(row: dict) -> str:
    """The display name of a `.values(*OWNER_NAME_FIELDS)` row's owner ("" when it has none)."""
    return user_display_name(**{name: row[f"owner__{name}"] for name in DISPLAY_NAME_FIELDS})


def _last_visit() -> Subquery:
    return Subquery(
        Visit.objects.filter(customer=OuterRef("pk")).order_by("-occurred_at").values("occurred_at")[:1]
    )


def churn(customers: QuerySet[Customer], filters: DashboardFilters, limit: int = 100) -> dict:
    """The customers at churn risk (`rows`, the CSV), each with its credit-risk flag (money open
    more than 30 days past due today, DOMAIN.md "Payment collection"), and the customers at
    credit risk (`credit_risk_rows`, the oldest open due date first) with their churn risk:
    the two risks shown side by side."""
    today = timezone.localdate()
    at_risk = customers.filter(churn_risk=True)
    total = at_risk.count()
    rows = [
        {
            "id": row["id"],
            "name": row["name"],
            "tier": row["tier"],
            "lifecycle_stage": row["lifecycle_stage"],
            "sales_12m": row["sales_12m"] or ZERO,
            "owner__username": row["owner__username"],
            "owner_name": _owner_name(row),
            "last_visit_at": row["last_visit_at"],
            "credit_risk": credit_risk_on(row["oldest_open_due_on"], today),
        }
        for row in at_risk.annotate(last_visit_at=_last_visit())
        .order_by(F("sales_12m").desc(nulls_last=True), "id")
        .values(
            "id",
            "name",
            "tier",
            "lifecycle_stage",
            "sales_12m",
            *OWNER_NAME_FIELDS,
            "last_visit_at",
            "oldest_open_due_on",
        )[:limit]
    ]
    in_credit_risk = customers.filter(credit_risk_q(today))
    credit_rows = [
        {
            "id": row["id"],
            "name": row["name"],
            "tier": row["tier"],
            "owner__username": row["owner__username"],
            "owner_name": _owner_name(row),
            "oldest_open_due_on": row["oldest_open_due_on"],
            "days_overdue": (today - row["oldest_open_due_on"]).days,
            "churn_risk": bool(row["churn_risk"]),
        }
        for row in in_credit_risk.order_by("oldest_open_due_on", "id").values(
            "id", "name", "tier", *OWNER_NAME_FIELDS, "oldest_open_due_on", "churn_risk"
        )[:limit]
    ]
    return {
        "rows": rows,
        "count": total,
        "credit_risk_count": in_credit_risk.count(),
        "credit_risk_rows": credit_rows,
    }


# --- Pipeline funnel --------------------------------------------------------------------------


def funnel(customers: QuerySet[Customer], filters: DashboardFilters) -> dict:
    data = pipeline_selectors.funnel(customers=customers)
    return {"rows": data["stages"], "won": data["won"], "lost": data["lost"]}


# --- Rep activity -----------------------------------------------------------------------------


def activity(customers: QuerySet[Customer], filters: DashboardFilters) -> dict:
    """Visits per rep in the period, with their check-ins farther than KAM_CHECKIN_MAX_METERS
    from the customer's site (counted in SQL, in the same grouped query), and key accounts not
    visited in 30/60/90 days."""
    start, end = filters.period()
    tz = timezone.get_current_timezone()
    since = timezone.datetime.combine(start, timezone.datetime.min.time(), tzinfo=tz)
    until = timezone.datetime.combine(end + timedelta(days=1), timezone.datetime.min.time(), tzinfo=tz)
    per_rep = (
        Visit.objects.filter(customer__in=customers, occurred_at__gte=since, occurred_at__lt=until)
        .values("by_id", *(f"by__{name}" for name in DISPLAY_NAME_FIELDS))
        .annotate(
            visits=Count("id"),
            customers=Count("customer_id", distinct=True),
            far_checkins=Count("id", filter=checkin_far()),
        )
        .order_by("-visits", "by__username")
    )
    rows = [
        {"rep": row["by_id"], "username": row["by__username"],
         "name": user_display_name(**{name: row[f"by__{name}"] for name in DISPLAY_NAME_FIELDS}),
         "visits": row["visits"], "customers": row["customers"], "far_checkins": row["far_checkins"]}
        for row in per_rep
    ]  # fmt: skip
    now = timezone.now()
    # One grouped join of key accounts with their visits, rather than a subquery per account.
    key = customers.filter(is_key_account=True).annotate(last_visit_at=Max("visits__occurred_at"))
    stale = key.aggregate(
        key_accounts=Count("id"),
        **{
            f"not_visited_{days}d": Count(
                "id", filter=Q(last_visit_at__lt=now - timedelta(days=days)) | Q(last_visit_at__isnull=True)
            )
            for days in (30, 60, 90)
        },
    )
    neglected = [
        {
            "id": row["id"],
            "name": row["name"],
            "owner__username": row["owner__username"],
            "owner_name": _owner_name(row),
            "last_visit_at": row["last_visit_at"],
        }
        for row in key.filter(Q(last_visit_at__lt=now - timedelta(days=90)) | Q(last_visit_at__isnull=True))
        .order_by(F("last_visit_at").asc(nulls_first=True), "id")
        .values("id", "name", *OWNER_NAME_FIELDS, "last_visit_at")[:100]
    ]
    return {
        "rows": rows,
        "period": {"start": start, "end": end},
        "key_accounts": stale,
        "neglected": neglected,
    }


# --- Score trend per tier over runs -----------------------------------------------------------


def trend(customers: QuerySet[Customer], filters: DashboardFilters, runs: int = 12) -> dict:
    recent = list(
        ScoringRun.objects.filter(status=RunStatus.SUCCEEDED, history_pruned_at__isnull=True)
        .order_by("-finished_at", "-id")
        .values_list("id", "as_of")[:runs]
    )
    if not recent:
        return {"rows": []}
    as_of = dict(recent)
    snapshots = ScoreSnapshot.objects.filter(run_id__in=list(as_of), customer__in=customers)
    rows = [
        {"run": run_id, "as_of": as_of[run_id], "tier": tier, "customers": n, "avg_score": Decimal(avg).quantize(CENT)}
        for run_id, tier, n, avg in snapshots.values_list("run_id", "tier").annotate(n=Count("id"), avg=Avg("score"))
        .order_by("run_id", "tier")
    ]  # fmt: skip
    rows.sort(key=lambda row: (row["as_of"], row["run"], engine.TIERS.index(row["tier"])))
    return {"rows": rows}


# --- Coverage of the service levels per tier ---------------------------------------------------

COVERAGE_SHOWN = 100  # overdue accounts listed on the page; the CSV has them all


def _coverage_counts(counts: service_coverage.CoverageCounts) -> dict:
    return {
        "customers": counts.customers,
        "on_track": counts.on_track,
        "due": counts.due,
        "overdue": counts.overdue,
        # The share not overdue; none for a group without customers.
        "compliance": _share(counts.customers - counts.overdue, counts.customers)
        if counts.customers
        else None,
    }


def coverage(customers: QuerySet[Customer], filters: DashboardFilters, everything: bool = False) -> dict:
    """Compliance with the service levels today (the share of customers not overdue), per tier
    and per rep (owner, least compliant first), and the overdue accounts, most overdue first
    (`rows`: the first COVERAGE_SHOWN, or every one for the CSV)."""
    today = timezone.localdate()
    policies = service_coverage.policy_table()
    summary = service_coverage.coverage_summary(customers, today=today, policies=policies)
    tiers = [{"tier": tier or None, **_coverage_counts(counts)} for tier, counts in summary.by_tier.items()]
    reps = [
        {
            "owner": owner_id,
            "owner__username": summary.owners[owner_id].username,
            "owner_name": summary.owners[owner_id].name,
            **_coverage_counts(counts),
        }
        for owner_id, counts in summary.by_owner.items()
    ]
    reps.sort(key=lambda rep: (rep["compliance"], -rep["overdue"], rep["owner__username"] or ""))
    limit = None if everything else COVERAGE_SHOWN
    overdue = service_coverage.overdue_accounts(customers, today=today, policies=policies, limit=limit)
    rows = [
        {
            "id": row.id,
            "name": row.name,
            "tier": row.tier or None,
            "owner__username": row.owner_username,
            "owner_name": row.owner_name,
            "requirement": row.driver.requirement,
            "last_on": row.driver.last,
            "next_due_on": row.driver.next_due,
            "days_overdue": row.driver.days_overdue,
        }
        for row in overdue
    ]
    return {
        "as_of": today,
        "total": _coverage_counts(summary.total),
        "tiers": tiers,
        "reps": reps,
        "overdue_count": summary.total.overdue,
        "rows": rows,
    }


# --- Aging of receivables (payment collection) --------------------------------------------------

AGING_SHOWN = 20  # customers listed on the page, most overdue first; the CSV has them all


def _aging_amounts(row: dict) -> dict:
    return {
        **{key: row[key] for key in receivables_selectors.BUCKET_KEYS},
        "open": row["open"],
        "overdue": row["overdue"],
        "credit_risk": row["credit_risk"],
    }


def aging(customers: QuerySet[Customer], filters: DashboardFilters, everything: bool = False) -> dict:
    """Open receivables today by aging bucket (not yet due, 1–30, 31–60, 61–90, over 90 days
    past due): the total, per team and per rep (owner), and per customer, most overdue first
    (`rows`: the first AGING_SHOWN, or every one for the CSV). Five queries."""
    today = timezone.localdate()
    total = receivables_selectors.aging_total(customers=customers, today=today)
    teams = [
        {"team": row["id"], "team_name": row["label"], **_aging_amounts(row)}
        for row in receivables_selectors.aging_rows(customers=customers, today=today, by="team")
    ]
    reps = [
        {"owner": row["id"], "owner_name": row["label"], **_aging_amounts(row)}
        for row in receivables_selectors.aging_rows(customers=customers, today=today, by="owner")
    ]
    limit = None if everything else AGING_SHOWN
    rows = [
        {
            "id": row["id"],
            "name": row["label"],
            "owner": row["owner_id"],
            "owner_name": row["owner_name"],
            **_aging_amounts(row),
        }
        for row in receivables_selectors.aging_rows(
            customers=customers, today=today, by="customer", limit=limit
        )
    ]
    return {
        "as_of": today,
        "total": {
            **{key: getattr(total, key) for key in receivables_selectors.BUCKET_KEYS},
            "open": total.total,
            "overdue": total.overdue,
        },
        "customers_count": receivables_selectors.aging_customers_count(customers=customers),
        "teams": teams,
        "reps": reps,
        "rows": rows,
    }


AGGREGATES = {
    "pyramid": pyramid,
    "pareto": pareto,
    "matrix": matrix,
    "movements": movements,
    "concentration": concentration,
    "churn": churn,
    "funnel": funnel,
    "activity": activity,
    "trend": trend,
    "coverage": coverage,
    "aging": aging,
}


def dashboard(*, name: str, user: User, filters: DashboardFilters) -> dict:
    return AGGREGATES[name](dashboard_customers(user=user, filters=filters), filters)
