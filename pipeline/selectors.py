"""Reads of the pipeline: the board, the forecast, win rates and days per stage.

Everything starts from `Opportunity.objects.visible_to(user)`; each read runs a fixed number
of set-based queries whatever the number of opportunities.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Avg, Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth

from users.models import Team, User

from .models import FORWARD, OPEN_STAGES, Opportunity, Stage, StageChange

MONEY = DecimalField(max_digits=18, decimal_places=2)
ZERO = Decimal("0.00")
CENT = Decimal("0.01")

WEIGHTED = ExpressionWrapper(
    F("expected_amount") * F("probability") / Value(Decimal(100)), output_field=MONEY
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


def opportunity_list(*, user: User, filters: OpportunityFilters | None = None) -> QuerySet[Opportunity]:
    filters = filters or OpportunityFilters()
    rows = Opportunity.objects.visible_to(user).select_related("customer", "owner")
    if filters.owner:
        rows = rows.filter(owner_id=filters.owner)
    if filters.team:
        rows = rows.filter(
            owner_id__in=Team.members.through.objects.filter(team_id=filters.team).values("user_id")
        )
    if filters.region:
        rows = rows.filter(customer__region=filters.region)
    if filters.tier:
        rows = rows.filter(customer__tier=filters.tier)
    if filters.close_month:
        month = filters.close_month
        rows = rows.filter(expected_close_on__year=month.year, expected_close_on__month=month.month)
    if filters.customer:
        rows = rows.filter(customer_id=filters.customer)
    if filters.stage:
        rows = rows.filter(stage=filters.stage)
    return rows.order_by("expected_close_on", "-expected_amount", "id")


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
    for opportunity in rows:
        column = columns[opportunity.stage]
        if len(column.cards) < cards_per_column:
            column.cards.append(opportunity)
    return list(columns.values())


# --- Forecast --------------------------------------------------------------------------------


def _money(value) -> Decimal:
    return (value or ZERO).quantize(CENT)


def forecast(*, user: User, filters: OpportunityFilters | None = None) -> dict:
    """Weighted pipeline (Σ amount × probability) of the open opportunities by month of expected
    close, by owner and by team; win rate and average days per stage from the history."""
    rows = opportunity_list(user=user, filters=filters).order_by()
    open_rows = rows.filter(stage__in=OPEN_STAGES)
    sums = {"count": Count("id"), "amount": Sum("expected_amount"), "weighted": Sum(WEIGHTED)}

    by_month = [
        {"month": row["month"], "count": row["count"], "amount": _money(row["amount"]), "weighted": _money(row["weighted"])}
        for row in open_rows.annotate(month=TruncMonth("expected_close_on")).values("month").annotate(**sums).order_by(
            F("month").asc(nulls_last=True)
        )
    ]  # fmt: skip
    by_owner = [
        {"owner": row["owner_id"], "username": row["owner__username"], "count": row["count"],
         "amount": _money(row["amount"]), "weighted": _money(row["weighted"])}
        for row in open_rows.values("owner_id", "owner__username").annotate(**sums).order_by("-weighted", "owner_id")
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
    totals = open_rows.aggregate(**sums)
    return {
        "open": {"count": totals["count"], "amount": _money(totals["amount"]), "weighted": _money(totals["weighted"])},
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
