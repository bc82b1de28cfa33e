"""Reads of the pipeline: the board, the forecast, win rates and days per stage.

Everything starts from `Opportunity.objects.visible_to(user)`; each read runs a fixed number
of set-based queries whatever the number of opportunities.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Avg, Count, ExpressionWrapper, F, Q, QuerySet, Sum, Value, Window
from django.db.models.functions import Coalesce, RowNumber, TruncMonth
from django.utils import timezone

from users.models import DISPLAY_NAME_FIELDS, Team, User, user_display_name
from web.money import money_output

from .models import FORWARD, OPEN_STAGES, Opportunity, Stage, StageChange

MONEY = money_output()
ZERO = Decimal("0.00")
CENT = Decimal("0.01")

# × 0.01 rather than / 100: SQLite stores whole amounts as integers and would divide them as such.
WEIGHTED = ExpressionWrapper(
    F("expected_amount") * F("probability") * Value(Decimal("0.01")), output_field=MONEY
)


@dataclass(frozen=True)
class OpportunityFilters:
    owner: int | None = None
    team: int | None = None
    region: str = ""
    tier: str = ""  # the customer's tier
    close_month: date | None = None  # first day of the expected close month
    customer: int | None = None
    stage: str = ""
    open: bool | None = None  # True: open stages only; False: won or lost only


def opportunity_list(*, user: User, filters: OpportunityFilters | None = None) -> QuerySet[Opportunity]:
    rows = Opportunity.objects.visible_to(user).select_related("customer", "owner")
    return opportunity_filter(rows, filters=filters or OpportunityFilters())


def opportunity_filter(rows: QuerySet[Opportunity], *, filters: OpportunityFilters) -> QuerySet[Opportunity]:
    """Narrow `rows` (already visible to the caller) by `filters`, in the list's order."""
    if filters.owner:
        rows = rows.filter(owner_id=filters.owner)
    if filters.team:
        rows = rows.filter(
            owner_id__in=Team.members.through.objects.filter(team_id=filters.team).values("user_id")
        )
    if filters.region:
        rows = rows.filter(customer__region=filters.region)
    if filters.tier:
        rows = rows.filter(customer__standing__tier=filters.tier)
    if filters.close_month:
        month = filters.close_month
        rows = rows.filter(expected_close_on__year=month.year, expected_close_on__month=month.month)
    if filters.customer:
        rows = rows.filter(customer_id=filters.customer)
    if filters.stage:
        rows = rows.filter(stage=filters.stage)
    if filters.open is not None:
        rows = rows.filter(stage__in=OPEN_STAGES) if filters.open else rows.exclude(stage__in=OPEN_STAGES)
    return rows.order_by(F("expected_close_on").asc(nulls_last=True), "-expected_amount", "id")


def filter_choices(*, user: User) -> dict[str, list]:
    """What the pages' filters offer: owners, their teams, regions and close months among the
    opportunities `user` can see."""
    visible = Opportunity.objects.visible_to(user)
    owner_ids = visible.values("owner_id")
    return {
        "owners": list(User.objects.filter(pk__in=owner_ids).order_by("username")),
        "teams": list(
            Team.objects.filter(
                pk__in=Team.members.through.objects.filter(user_id__in=owner_ids).values("team_id")
            ).order_by("name")
        ),
        "regions": list(
            visible.exclude(customer__region="")
            .order_by("customer__region")
            .values_list("customer__region", flat=True)
            .distinct()
        ),
        "months": list(visible.filter(expected_close_on__isnull=False).dates("expected_close_on", "month")),
    }


@dataclass
class BoardColumn:
    stage: str
    label: str
    count: int = 0
    amount: Decimal = ZERO
    weighted: Decimal = ZERO
    cards: list[Opportunity] = field(default_factory=list)


def board(
    *, user: User, filters: OpportunityFilters | None = None, cards_per_column: int = 100
) -> list[BoardColumn]:
    """One column per stage (won and lost included) with count, amount and the first cards."""
    rows = opportunity_list(user=user, filters=filters)
    columns = {stage: BoardColumn(stage=stage, label=Stage(stage).label) for stage in (*FORWARD, Stage.LOST)}
    totals = rows.order_by().values("stage").annotate(
        n=Count("id"), amount=Coalesce(Sum("expected_amount"), Value(ZERO), output_field=MONEY),
        weighted=Coalesce(Sum(WEIGHTED), Value(ZERO), output_field=MONEY),
    )  # fmt: skip
    for row in totals:
        column = columns[row["stage"]]
        column.count, column.amount, column.weighted = row["n"], row["amount"], row["weighted"].quantize(CENT)
    # Only the first cards of each column leave the database: won and lost grow without end.
    place = Window(RowNumber(), partition_by=[F("stage")], order_by=list(rows.query.order_by))
    for opportunity in rows.annotate(place=place).filter(place__lte=cards_per_column):
        columns[opportunity.stage].cards.append(opportunity)
    return list(columns.values())


# --- Forecast --------------------------------------------------------------------------------


def _money(value) -> Decimal:
    return (value or ZERO).quantize(CENT)


def forecast(*, user: User, filters: OpportunityFilters | None = None, today: date | None = None) -> dict:
    """Weighted pipeline (Σ amount × probability) of the open opportunities by month of expected
    close, by owner and by team; win rate and average days per stage from the history.

    Open opportunities whose expected close date is before `today` (default: today in the site's
    time zone) are counted apart as `overdue`, in no month: `open` = `overdue` + Σ `by_month`,
    whose row with no month holds those without an expected close date.
    """
    today = today or timezone.localdate()
    rows = opportunity_list(user=user, filters=filters).order_by()
    open_rows = rows.filter(stage__in=OPEN_STAGES)
    overdue = Q(expected_close_on__lt=today)
    sums = {"count": Count("id"), "amount": Sum("expected_amount"), "weighted": Sum(WEIGHTED)}

    by_month = [
        {"month": row["month"], "count": row["count"], "amount": _money(row["amount"]), "weighted": _money(row["weighted"])}
        for row in open_rows.exclude(overdue).annotate(month=TruncMonth("expected_close_on")).values("month").annotate(**sums).order_by(
            F("month").asc(nulls_last=True)
        )
    ]  # fmt: skip
    owner_fields = [f"owner__{name}" for name in DISPLAY_NAME_FIELDS]
    by_owner = [
        {"owner": row["owner_id"], "username": row["owner__username"],
         "owner_name": user_display_name(**{name: row[f"owner__{name}"] for name in DISPLAY_NAME_FIELDS}),
         "count": row["count"], "amount": _money(row["amount"]), "weighted": _money(row["weighted"])}
        for row in open_rows.values("owner_id", *owner_fields).annotate(**sums).order_by("-weighted", "owner_id")
    ]  # fmt: skip
    memberships = Team.members.through.objects.filter(user_id__in=open_rows.values("owner_id"))
    team_of = {}
    for team_id, team_name, user_id in memberships.values_list("team_id", "team__name", "user_id"):
        team_of.setdefault(user_id, []).append((team_id, team_name))
    teams: dict[int, dict] = {}
    for row in by_owner:
        for team_id, team_name in team_of.get(row["owner"], []):
            team = teams.setdefault(
                team_id, {"team": team_id, "name": team_name, "count": 0, "amount": ZERO, "weighted": ZERO}
            )
            team["count"] += row["count"]
            team["amount"] += row["amount"]
            team["weighted"] += row["weighted"]

    closed = rows.aggregate(
        won=Count("id", filter=Q(stage=Stage.WON)), lost=Count("id", filter=Q(stage=Stage.LOST))
    )
    decided = closed["won"] + closed["lost"]
    win_rate = (Decimal(closed["won"]) * 100 / decided).quantize(CENT) if decided else None
    days = dict(
        StageChange.objects.filter(
            opportunity__in=rows, from_stage__in=OPEN_STAGES, days_in_stage__isnull=False
        )
        .values("from_stage")
        .annotate(avg=Avg("days_in_stage"))
        .values_list("from_stage", "avg")
    )
    totals = open_rows.aggregate(
        **sums, overdue_count=Count("id", filter=overdue), overdue_amount=Sum("expected_amount", filter=overdue),
        overdue_weighted=Sum(WEIGHTED, filter=overdue),
    )  # fmt: skip
    return {
        "open": {"count": totals["count"], "amount": _money(totals["amount"]), "weighted": _money(totals["weighted"])},
        "overdue": {"count": totals["overdue_count"], "amount": _money(totals["overdue_amount"]),
                    "weighted": _money(totals["overdue_weighted"])},
        "by_month": by_month,
        "by_owner": by_owner,
        "by_team": sorted(teams.values(), key=lambda team: (-team["weighted"], team["team"])),
        "won": closed["won"],
        "lost": closed["lost"],
        "win_rate": win_rate,
        "avg_days_in_stage": {stage: (Decimal(days[stage]).quantize(Decimal("0.1")) if stage in days else None)
                              for stage in OPEN_STAGES},
    }  # fmt: skip


def customers_with_open_opportunities(customer_ids=None) -> set[int]:
    """Ids of customers with at least one open opportunity (scoring's lifecycle input)."""
    rows = Opportunity.objects.filter(stage__in=OPEN_STAGES)
    if customer_ids is not None:
        rows = rows.filter(customer_id__in=customer_ids)
    return set(rows.values_list("customer_id", flat=True).distinct())


def funnel(*, customers) -> dict:
    """The pipeline funnel over these customers' opportunities: per stage the opportunities in
    it now (count, amount), how many ever reached it, the conversion to the next stage and the
    average days spent in it. Three queries."""
    rows = Opportunity.objects.filter(customer__in=customers)
    now = {
        row["stage"]: row
        for row in rows.order_by()
        .values("stage")
        .annotate(n=Count("id"), amount=Coalesce(Sum("expected_amount"), Value(ZERO), output_field=MONEY))
    }
    changes = StageChange.objects.filter(opportunity__customer__in=customers)
    reached = dict(
        changes.order_by()
        .values("to_stage")
        .annotate(n=Count("opportunity_id", distinct=True))
        .values_list("to_stage", "n")
    )
    reached[Stage.TARGET] = sum(row["n"] for row in now.values())  # every opportunity starts at target
    days = dict(
        changes.filter(days_in_stage__isnull=False).order_by().values("from_stage").annotate(avg=Avg("days_in_stage"))
        .values_list("from_stage", "avg")
    )  # fmt: skip
    stages = []
    for position, stage in enumerate(FORWARD):
        following = FORWARD[position + 1] if position + 1 < len(FORWARD) else None
        here = reached.get(stage, 0)
        stages.append(
            {
                "stage": stage,
                "count": now.get(stage, {}).get("n", 0),
                "amount": _money(now.get(stage, {}).get("amount")),
                "reached": here,
                "conversion_to_next": (
                    (Decimal(reached.get(following, 0)) * 100 / here).quantize(CENT)
                    if following and here
                    else None
                ),
                "avg_days": Decimal(days[stage]).quantize(Decimal("0.1")) if stage in days else None,
            }
        )
    lost = now.get(Stage.LOST, {})
    return {
        "stages": stages,
        "won": now.get(Stage.WON, {}).get("n", 0),
        "lost": {"count": lost.get("n", 0), "amount": _money(lost.get("amount"))},
    }
