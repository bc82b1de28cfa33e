"""The scoring calculation, pure: column arrays in, column arrays out. No Django, no database.

Implements DOMAIN.md "Scoring and tiering" exactly. Money is held as integer cents (int64)
and every threshold comparison and the score's rounding are done in exact integer/rational
arithmetic, so results never depend on binary floating point:

- composite score 综合积分法: weighted mean of dimension scores, stored ×100 as an integer
  and rounded half up;
- sales (and the optional frequency, margin, growth) by percent rank among all n customers;
  a 1–5 rating r as (r−1)×25, a missing rating as 0;
- key accounts, platinum/gold/iron/lead tiers by score rank; ABC by cumulative revenue share;
- size class, value class, value × potential quadrant, lifecycle stage, churn risk;
- fit score of the experience method 经历推算法: the weighted mean of industry fit
  ((need−1)×25 + (capability−1)×25)/2 (0 without an industry in the table) and customer fit
  100 × ticked/total weight of the active checklist items (0 without active items), with
  weights held as integer hundredths and the result ×100 rounded half up like the score; when
  the model gives `fit` a composite weight, that stored (rounded) fit score is a dimension.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import numpy as np

RATING_DIMENSIONS = ("potential", "demonstration", "winnability")
RANK_DIMENSIONS = ("sales", "frequency", "margin", "growth")
DIMENSIONS = ("sales", "potential", "demonstration", "winnability", "frequency", "margin", "growth", "fit")

TIERS = ("platinum", "gold", "iron", "lead")
ABC = ("A", "B", "C")
SIZE_CLASSES = ("small", "medium", "large", "vip")
VALUE_CLASSES = ("MVC", "MGC", "BZC", "regular")
QUADRANTS = ("key", "develop", "maintain", "basic")
LIFECYCLE = ("acquisition", "growth", "maturity", "decline", "churned")

NEVER = np.iinfo(np.int64).max  # days since the last visit of a customer never visited


@dataclass(frozen=True)
class Parameters:
    """Every number of the scoring model. Percentages are given as percent (20 = 20%)."""

    weights: Mapping[str, Decimal] = field(
        default_factory=lambda: {
            "sales": Decimal(40),
            "potential": Decimal(30),
            "demonstration": Decimal(15),
            "winnability": Decimal(15),
        }
    )
    key_account_share: Decimal = Decimal(20)
    abc_a_share: Decimal = Decimal(80)
    abc_b_share: Decimal = Decimal(95)
    tier_platinum_share: Decimal = Decimal(5)
    tier_gold_share: Decimal = Decimal(20)  # cumulative: platinum + gold
    tier_iron_share: Decimal = Decimal(50)  # cumulative: platinum + gold + iron
    size_medium_from: Decimal = Decimal(100_000)  # CNY of sales_12m
    size_large_from: Decimal = Decimal(1_000_000)
    size_vip_from: Decimal = Decimal(5_000_000)
    value_top_share: Decimal = Decimal(20)
    quadrant_value_rank: Decimal = Decimal(50)  # sales percent rank at or above → high value
    quadrant_potential_from: int = 4  # potential rating at or above → high potential
    lifecycle_growth_ratio: Decimal = Decimal("1.2")
    lifecycle_decline_ratio: Decimal = Decimal("0.8")
    churn_no_visit_days: int = 90
    fit_industry_weight: Decimal = Decimal(50)  # experience method: fit = weighted mean of the two
    fit_customer_weight: Decimal = Decimal(50)

    def __post_init__(self):
        unknown = set(self.weights) - set(DIMENSIONS)
        if unknown:
            raise ValueError(f"unknown dimensions: {sorted(unknown)}")
        if any(Decimal(w) < 0 for w in self.weights.values()):
            raise ValueError("weights cannot be negative")
        if sum(Decimal(w) for w in self.weights.values()) <= 0:
            raise ValueError("at least one weight must be positive")
        if self.fit_industry_weight < 0 or self.fit_customer_weight < 0:
            raise ValueError("fit weights cannot be negative")
        if self.fit_industry_weight + self.fit_customer_weight <= 0:
            raise ValueError("the industry and customer fit weights cannot both be zero")
        if not (0 <= self.tier_platinum_share <= self.tier_gold_share <= self.tier_iron_share <= 100):
            raise ValueError("tier shares must rise: platinum ≤ gold ≤ iron ≤ 100")
        if not (0 <= self.abc_a_share <= self.abc_b_share <= 100):
            raise ValueError("ABC shares must rise: A ≤ B ≤ 100")
        if not (0 <= self.size_medium_from <= self.size_large_from <= self.size_vip_from):
            raise ValueError("size thresholds must rise")
        if not (0 <= self.key_account_share <= 100 and 0 <= self.value_top_share <= 100):
            raise ValueError("shares are percentages between 0 and 100")


@dataclass(frozen=True)
class Inputs:
    """One row per customer, as parallel arrays of length n."""

    ids: np.ndarray  # int64, unique
    is_customer: np.ndarray  # bool: status "customer" (a deal was made), else prospect
    sales_12m: np.ndarray  # int64 cents, Σ amount in (D−365, D]
    sales_prev_12m: np.ndarray  # int64 cents, the year before
    margin_12m: np.ndarray  # int64 cents
    orders_12m: np.ndarray  # int64
    ordered_before: np.ndarray  # bool: any order on or before D−365
    has_open_opportunity: np.ndarray  # bool
    days_since_visit: np.ndarray  # int64, NEVER when never visited
    potential: np.ndarray  # int8, 1–5, 0 = not rated
    demonstration: np.ndarray
    winnability: np.ndarray
    # Experience method: the industry fit table's row for the customer's industry, 0 and 0 when
    # the customer has no industry or its industry is not in the table.
    industry_need: np.ndarray  # int8, 1–5
    industry_capability: np.ndarray  # int8, 1–5
    fit_ticked: np.ndarray  # int64: Σ weight of the customer's ticked active checklist items, ×100
    fit_total: int  # Σ weight of all active checklist items ×100, the same for everyone
    # Not an input of the score: each customer's owner (0 = none), passed through to the results,
    # which the standing table keeps beside them for visibility. None where no one needs it.
    owner_ids: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.ids)

    @classmethod
    def from_rows(cls, rows: list[dict], *, fit_total=0) -> Inputs:
        """Build from a list of dicts (tests and small populations); money in CNY as Decimal,
        checklist weights (`fit_ticked` per row, `fit_total` for all) as Decimal."""

        def col(name, dtype, default=0, convert=lambda v: v):
            return np.array([convert(row.get(name, default)) for row in rows], dtype=dtype)

        cents = lambda v: int((Decimal(v) * 100).to_integral_value())  # noqa: E731
        rating = lambda v: int(v or 0)  # noqa: E731
        return cls(
            ids=col("id", np.int64),
            is_customer=col("is_customer", bool, True),
            sales_12m=col("sales_12m", np.int64, 0, cents),
            sales_prev_12m=col("sales_prev_12m", np.int64, 0, cents),
            margin_12m=col("margin_12m", np.int64, 0, cents),
            orders_12m=col("orders_12m", np.int64, 0),
            ordered_before=col("ordered_before", bool, False),
            has_open_opportunity=col("has_open_opportunity", bool, False),
            days_since_visit=col("days_since_visit", np.int64, NEVER, lambda v: NEVER if v is None else v),
            potential=col("potential", np.int8, 0, rating),
            demonstration=col("demonstration", np.int8, 0, rating),
            winnability=col("winnability", np.int8, 0, rating),
            industry_need=col("industry_need", np.int8, 0, rating),
            industry_capability=col("industry_capability", np.int8, 0, rating),
            fit_ticked=col("fit_ticked", np.int64, 0, cents),
            fit_total=cents(fit_total),
        )


@dataclass(frozen=True)
class Results:
    """Parallel to Inputs.ids. Class columns hold the API's plain values ('' = not applicable)."""

    ids: np.ndarray
    sales_12m: np.ndarray  # int64 cents, as in the inputs
    score_centi: np.ndarray  # int64: score × 100, so 7345 means 73.45
    rank: np.ndarray  # int64: 1 = best, by score then sales then id
    tier: np.ndarray  # str
    abc_class: np.ndarray
    is_key_account: np.ndarray  # bool
    size_class: np.ndarray
    value_class: np.ndarray
    matrix_quadrant: np.ndarray
    lifecycle_stage: np.ndarray
    churn_risk: np.ndarray  # bool
    sales_rank_centi: np.ndarray  # int64: the sales percent rank × 100 (5000 = 50.00), half up
    fit_centi: np.ndarray  # int64: fit score × 100 (experience method), half up
    owner_ids: np.ndarray | None = None  # Inputs.owner_ids, as they were

    def score(self, i: int) -> Decimal:
        return Decimal(int(self.score_centi[i])).scaleb(-2)

    def fit(self, i: int) -> Decimal:
        return Decimal(int(self.fit_centi[i])).scaleb(-2)


# --- exact helpers -----------------------------------------------------------------------


def _fraction(value) -> Fraction:
    return Fraction(Decimal(value)) if not isinstance(value, Fraction) else value


def _ceil_share(share_percent, n: int) -> int:
    """⌈share%·n⌉ exactly."""
    value = _fraction(share_percent) * n / 100
    return -((-value.numerator) // value.denominator)


def _cents(value) -> int:
    return int((Decimal(value) * 100).to_integral_value())


def _lower_counts(values: np.ndarray) -> np.ndarray:
    """For each value, how many values are strictly lower (the numerator of PERCENT_RANK)."""
    return np.searchsorted(np.sort(values, kind="stable"), values, side="left").astype(np.int64)


def _percent_rank_numerators(values: np.ndarray, n: int) -> tuple[np.ndarray, int]:
    """PERCENT_RANK as (numerator k, denominator m), so rank% = 100·k/m: k = count strictly
    lower, m = n − 1; with n = 1 the one customer gets 100% (k = m = 1); values ≤ 0 get 0."""
    if n == 1:
        k = np.ones(1, dtype=np.int64)
        m = 1
    else:
        k = _lower_counts(values)
        m = n - 1
    return np.where(values > 0, k, 0), m


def _scaled_weights(weights: Mapping[str, Decimal]) -> dict[str, int]:
    """Weights as integers with a common scale (weights with up to 4 decimals)."""
    decimals = [Decimal(w) for w in weights.values()]
    scale = max((max(0, -d.normalize().as_tuple().exponent) for d in decimals), default=0)
    if scale > 4:
        raise ValueError("weights may have at most 4 decimal places")
    return {name: int(Decimal(w).scaleb(scale)) for name, w in weights.items() if Decimal(w) > 0}


def fit_centi(inputs: Inputs, params: Parameters) -> np.ndarray:
    """The experience method's fit score ×100 per customer, rounded half up, exactly.

    With integer weights w_i, w_c (a common scale), industry fit ×2 = 25·(need + capability − 2)
    and customer fit = 100·t/T (t, T in hundredths of weight):
        fit × 100 = (w_i·50·(2·industry fit)·T + w_c·10,000·t) / ((w_i + w_c)·T),
    computed as one integer division; Python integers take over if int64 could overflow."""
    n = inputs.n
    total = int(inputs.fit_total)
    ticked = np.asarray(inputs.fit_ticked, dtype=np.int64)
    if total < 0 or (n and (int(ticked.min()) < 0 or int(ticked.max()) > total)):
        raise ValueError("ticked fit weights must lie between 0 and the total of the active items")
    scaled = _scaled_weights({"industry": params.fit_industry_weight, "customer": params.fit_customer_weight})
    w_i, w_c = scaled.get("industry", 0), scaled.get("customer", 0)
    divisor = math.gcd(w_i, w_c)
    w_i, w_c = w_i // divisor, w_c // divisor
    if total == 0:  # no active items (or all weigh 0): customer fit is 0 for everyone
        total, ticked = 1, np.zeros(n, dtype=np.int64)
    need = inputs.industry_need.astype(np.int64)
    capability = inputs.industry_capability.astype(np.int64)
    industry_double = np.where((need > 0) & (capability > 0), 25 * (need + capability - 2), 0)
    denominator = (w_i + w_c) * total
    if 2 * (10_000 * (w_i + w_c) * total) + denominator >= 2**63:  # past int64: exact Python ints
        industry_double, ticked = industry_double.astype(object), ticked.astype(object)
    numerator = w_i * 50 * total * industry_double + w_c * 10_000 * ticked
    return ((2 * numerator + denominator) // (2 * denominator)).astype(np.int64)


def _order(*keys_last_primary: np.ndarray) -> np.ndarray:
    return np.lexsort(keys_last_primary)


# --- the calculation ---------------------------------------------------------------------


def score_population(inputs: Inputs, params: Parameters | None = None) -> Results:
    params = params or Parameters()
    n = inputs.n
    if n == 0:
        z, text, flag = np.array([], dtype=np.int64), np.array([], dtype="<U11"), np.array([], dtype=bool)
        return Results(z, z, z, z, text, text, flag, text, text, text, text, flag, z, z, inputs.owner_ids)

    # 1. Dimension scores and the composite score, exactly: score×100 = N / D, rounded half up.
    growth = inputs.sales_12m - inputs.sales_prev_12m
    rank_values = {
        "sales": inputs.sales_12m,
        "frequency": inputs.orders_12m,
        "margin": inputs.margin_12m,
        "growth": growth,
    }
    weights = _scaled_weights(params.weights)
    sales_k, m = _percent_rank_numerators(inputs.sales_12m, n)
    fit = fit_centi(inputs, params)
    numerator = np.zeros(n, dtype=np.int64)
    for name, weight in weights.items():
        if name in RANK_DIMENSIONS:
            k = sales_k if name == "sales" else _percent_rank_numerators(rank_values[name], n)[0]
            numerator += weight * 10_000 * k  # 100 (percent) × 100 (centi-points) × k / m
        elif name == "fit":
            numerator += m * weight * fit  # the stored (rounded) fit score, already ×100
        else:
            rating = getattr(inputs, name).astype(np.int64)
            numerator += m * weight * 2_500 * np.where(rating > 0, rating - 1, 0)  # (r−1)×25 ×100
    denominator = m * sum(weights.values())
    score_centi = (2 * numerator + denominator) // (2 * denominator)

    # 2. Rank by score, ties by higher sales, then lower id: key accounts and tiers.
    by_score = _order(inputs.ids, -inputs.sales_12m, -score_centi)
    position = np.empty(n, dtype=np.int64)
    position[by_score] = np.arange(n)
    tier = np.full(n, "lead", dtype="<U8")
    tier[position < _ceil_share(params.tier_iron_share, n)] = "iron"
    tier[position < _ceil_share(params.tier_gold_share, n)] = "gold"
    tier[position < _ceil_share(params.tier_platinum_share, n)] = "platinum"
    is_key_account = position < _ceil_share(params.key_account_share, n)

    # 3. ABC: by sales descending (ties lower id first), by the revenue share of those above.
    by_sales = _order(inputs.ids, -inputs.sales_12m)
    positive = np.maximum(inputs.sales_12m, 0)
    sorted_positive = positive[by_sales]
    above = np.cumsum(sorted_positive) - sorted_positive
    total = int(positive.sum())
    abc_sorted = np.full(n, "C", dtype="<U1")
    if total > 0:
        a_bound = _ceil_share(params.abc_a_share, total)  # above < a%·total ⇔ above < ⌈a%·total⌉
        b_bound = _ceil_share(params.abc_b_share, total)
        abc_sorted[above < b_bound] = "B"
        abc_sorted[above < a_bound] = "A"
    abc_class = np.empty(n, dtype="<U1")
    abc_class[by_sales] = abc_sorted
    abc_class[inputs.sales_12m <= 0] = "C"

    # 4. Size class (customers only), by sales_12m.
    size = np.full(n, "small", dtype="<U6")
    size[inputs.sales_12m >= _cents(params.size_medium_from)] = "medium"
    size[inputs.sales_12m >= _cents(params.size_large_from)] = "large"
    size[inputs.sales_12m >= _cents(params.size_vip_from)] = "vip"
    size[~inputs.is_customer] = ""

    # 5. Value class: BZC below zero margin, else MVC in the top x% by margin, else MGC in the
    #    top x% by growth, else regular.
    top = _ceil_share(params.value_top_share, n)
    margin_position = np.empty(n, dtype=np.int64)
    margin_position[_order(inputs.ids, -inputs.margin_12m)] = np.arange(n)
    growth_position = np.empty(n, dtype=np.int64)
    growth_position[_order(inputs.ids, -growth)] = np.arange(n)
    value = np.full(n, "regular", dtype="<U7")
    value[(growth_position < top) & (growth > 0)] = "MGC"
    value[(margin_position < top) & (inputs.margin_12m > 0)] = "MVC"
    value[inputs.margin_12m < 0] = "BZC"

    # 6. Value × potential matrix: high value = sales percent rank ≥ x; high potential = rating ≥ y.
    threshold = _fraction(params.quadrant_value_rank)
    high_value = 100 * threshold.denominator * sales_k >= threshold.numerator * m
    high_potential = inputs.potential >= params.quadrant_potential_from
    quadrant = np.where(
        high_value,
        np.where(high_potential, "key", "maintain"),
        np.where(high_potential, "develop", "basic"),
    ).astype("<U8")

    # 7. Lifecycle stage.
    ordered_now = inputs.orders_12m > 0
    up = _fraction(params.lifecycle_growth_ratio)
    down = _fraction(params.lifecycle_decline_ratio)
    sales, prev = inputs.sales_12m, inputs.sales_prev_12m
    # Exact: sales ≥ ratio·prev ⇔ sales·q ≥ p·prev for ratio = p/q (cents × small ints fit int64).
    grows = sales * up.denominator >= prev * up.numerator
    declines = sales * down.denominator < prev * down.numerator
    lifecycle = np.full(n, "", dtype="<U11")
    established = ordered_now & inputs.ordered_before
    lifecycle[established] = "maturity"
    lifecycle[established & grows] = "growth"
    lifecycle[established & declines] = "decline"
    lifecycle[inputs.ordered_before & ~ordered_now] = "churned"
    first_order_recent = ordered_now & ~inputs.ordered_before
    lifecycle[first_order_recent | (~inputs.is_customer & inputs.has_open_opportunity)] = "acquisition"

    # 8. Churn risk: declining, or a key account not visited for the configured number of days.
    churn = (lifecycle == "decline") | (
        is_key_account & (inputs.days_since_visit >= params.churn_no_visit_days)
    )

    return Results(
        ids=inputs.ids,
        sales_12m=inputs.sales_12m,
        score_centi=score_centi,
        rank=position + 1,
        tier=tier,
        abc_class=abc_class,
        is_key_account=is_key_account,
        size_class=size,
        value_class=value,
        matrix_quadrant=quadrant,
        lifecycle_stage=lifecycle,
        churn_risk=churn,
        sales_rank_centi=(2 * 10_000 * sales_k + m) // (2 * m),
        fit_centi=fit,
        owner_ids=inputs.owner_ids,
    )


# --- concentration -------------------------------------------------------------------------


@dataclass(frozen=True)
class Concentration:
    top1_share: Decimal  # percent of positive revenue
    top10_share: Decimal
    hhi: Decimal  # Herfindahl–Hirschman index on percent shares: 0–10,000


def concentration(sales_cents: np.ndarray) -> Concentration:
    """Revenue concentration over positive sales (seed 000's pitfall: over-reliance on a few)."""
    positive = np.sort(np.maximum(np.asarray(sales_cents, dtype=np.int64), 0))[::-1]
    total = int(positive.sum())
    if total == 0:
        return Concentration(Decimal(0), Decimal(0), Decimal(0))
    quantum = Decimal("0.01")
    top1 = Fraction(int(positive[:1].sum()) * 100, total)
    top10 = Fraction(int(positive[:10].sum()) * 100, total)
    # Σ (100·s_i/T)² = 10,000 · Σ s_i² / T², with Python ints to stay exact.
    squares = sum(int(s) * int(s) for s in positive[positive > 0])
    hhi = Fraction(10_000 * squares, total * total)

    def dec(fraction: Fraction) -> Decimal:
        return (Decimal(fraction.numerator) / Decimal(fraction.denominator)).quantize(quantum)

    return Concentration(dec(top1), dec(top10), dec(hhi))
