"""The pure scoring engine on small hand-worked populations (no database)."""

from decimal import Decimal

import numpy as np
import pytest

from scoring.engine import NEVER, Inputs, Parameters, concentration, score_population


def run(rows, **params):
    return score_population(Inputs.from_rows(rows), Parameters(**params))


def by_id(results, column):
    return dict(zip(results.ids.tolist(), getattr(results, column).tolist(), strict=True))


def scores(results):
    return {i: results.score(k) for k, i in enumerate(results.ids.tolist())}


# Five customers worked by hand (weights 40/30/15/15, n = 5 so PERCENT_RANK divides by 4):
#   id  sales  strictly lower  sales dim  potential demo win   score
#   1   500    4               100        5 (100)   3 (50) 4 (75)  40+30+7.5+11.25 = 88.75
#   2   300    2               50         2 (25)    -      5 (100) 20+7.5+0+15     = 42.50
#   3   300    2               50         -         -      -       20              = 20.00
#   4   0      -               0          5 (100)   5      5       0+30+15+15      = 60.00
#   5   100    1               25         3 (50)    3      3       10+15+7.5+7.5   = 40.00
FIVE = [
    {"id": 1, "sales_12m": 500, "potential": 5, "demonstration": 3, "winnability": 4},
    {"id": 2, "sales_12m": 300, "potential": 2, "winnability": 5},
    {"id": 3, "sales_12m": 300},
    {"id": 4, "sales_12m": 0, "potential": 5, "demonstration": 5, "winnability": 5},
    {"id": 5, "sales_12m": 100, "potential": 3, "demonstration": 3, "winnability": 3},
]


def test_composite_scores_by_hand():
    assert scores(run(FIVE)) == {
        1: Decimal("88.75"),
        2: Decimal("42.50"),
        3: Decimal("20.00"),
        4: Decimal("60.00"),
        5: Decimal("40.00"),
    }


def test_tiers_and_key_accounts_by_score_rank():
    results = run(FIVE)
    # n = 5: platinum ⌈0.25⌉ = 1, gold up to ⌈1⌉ = 1, iron up to ⌈2.5⌉ = 3, then lead.
    assert by_id(results, "tier") == {1: "platinum", 4: "iron", 2: "iron", 5: "lead", 3: "lead"}
    assert by_id(results, "rank") == {1: 1, 4: 2, 2: 3, 5: 4, 3: 5}
    assert by_id(results, "is_key_account") == {1: True, 2: False, 3: False, 4: False, 5: False}


def test_abc_by_revenue_share_of_those_above():
    # Sales order 1 (500), 2 (300), 3 (300; tie → lower id first), 5 (100), 4 (0); total 1,200.
    # Above: 0, 500, 800 (< 960 = 80%) → A; 1,100 (< 1,140 = 95%) → B; no sales → C.
    assert by_id(run(FIVE), "abc_class") == {1: "A", 2: "A", 3: "A", 5: "B", 4: "C"}


def test_abc_boundary_is_strictly_below():
    # The second customer has exactly 80% above it: not A.
    results = run([{"id": 1, "sales_12m": 80}, {"id": 2, "sales_12m": 20}])
    assert by_id(results, "abc_class") == {1: "A", 2: "B"}


def test_matrix_quadrants():
    # High value = sales percent rank ≥ 50 (ids 1, 2, 3); high potential = rating ≥ 4 (ids 1, 4).
    assert by_id(run(FIVE), "matrix_quadrant") == {
        1: "key",
        2: "maintain",
        3: "maintain",
        4: "develop",
        5: "basic",
    }


def test_score_rounds_half_up_not_to_even():
    # n = 9 → percent rank steps of 12.5; weight 33 → 33 × 12.5 / 100 = 4.125 → 4.13
    # (binary float rounding or round-half-even would give 4.12).
    rows = [{"id": i, "sales_12m": i * 10} for i in range(1, 10)]
    results = run(rows, weights={"sales": Decimal(33), "potential": Decimal(67)})
    assert scores(results)[2] == Decimal("4.13")
    assert scores(results)[4] == Decimal("12.38")  # 33 × 37.5 / 100 = 12.375


def test_single_customer_with_sales_is_everything():
    results = run([{"id": 7, "sales_12m": 100}])
    assert scores(results) == {7: Decimal("40.00")}  # percent rank 100 when n = 1
    assert by_id(results, "tier") == {7: "platinum"}
    assert by_id(results, "abc_class") == {7: "A"}
    assert by_id(results, "is_key_account") == {7: True}


def test_single_customer_without_sales():
    results = run([{"id": 7, "sales_12m": 0}])
    assert scores(results) == {7: Decimal("0.00")}
    assert by_id(results, "abc_class") == {7: "C"}
    assert by_id(results, "tier") == {7: "platinum"}


def test_all_equal_ties_break_by_lower_id():
    results = run([{"id": i, "sales_12m": 100} for i in (4, 2, 3, 1)])
    assert set(scores(results).values()) == {Decimal("0.00")}  # nobody has strictly lower sales
    # n = 4: platinum ⌈0.2⌉ = 1, gold up to ⌈0.8⌉ = 1, iron up to ⌈2⌉ = 2.
    assert by_id(results, "tier") == {1: "platinum", 2: "iron", 3: "lead", 4: "lead"}
    # 0, 100, 200, 300 of 400 above: all below 80%.
    assert set(by_id(results, "abc_class").values()) == {"A"}


def test_equal_scores_rank_by_higher_sales_then_lower_id():
    rows = [
        {"id": 1, "sales_12m": 0, "potential": 5},  # 30
        {"id": 2, "sales_12m": 0, "potential": 5},  # 30
        {"id": 3, "sales_12m": 50},  # rank 2/3 → 40 × 66.67 = 26.67
        {"id": 4, "sales_12m": 60},  # 40
    ]
    results = run(rows)
    assert scores(results)[3] == Decimal("26.67")
    assert by_id(results, "rank") == {4: 1, 1: 2, 2: 3, 3: 4}


def test_missing_ratings_give_zero_not_minus_25():
    results = run([{"id": 1, "sales_12m": 0}, {"id": 2, "sales_12m": 0, "potential": 1}])
    assert scores(results) == {1: Decimal("0.00"), 2: Decimal("0.00")}


def test_negative_sales_count_as_no_sales():
    results = run([{"id": 1, "sales_12m": -50}, {"id": 2, "sales_12m": 10}])
    assert scores(results) == {1: Decimal("0.00"), 2: Decimal("40.00")}
    assert by_id(results, "abc_class") == {1: "C", 2: "A"}


def test_optional_dimensions_use_percent_rank():
    rows = [
        {"id": 1, "sales_12m": 100, "orders_12m": 2, "margin_12m": 10, "sales_prev_12m": 50},
        {"id": 2, "sales_12m": 200, "orders_12m": 8, "margin_12m": -5, "sales_prev_12m": 300},
    ]
    weights = {"sales": Decimal(1), "frequency": Decimal(1), "margin": Decimal(1), "growth": Decimal(1)}
    # id 1: sales 0, frequency 0, margin 100 (the other is negative), growth +50 → 100 → 50.00
    # id 2: sales 100, frequency 100, margin 0 (negative), growth −100 → 0 → 50.00
    assert scores(run(rows, weights=weights)) == {1: Decimal("50.00"), 2: Decimal("50.00")}


def test_size_classes_for_customers_only():
    rows = [
        {"id": 1, "sales_12m": Decimal("99999.99")},
        {"id": 2, "sales_12m": 100_000},
        {"id": 3, "sales_12m": 1_000_000},
        {"id": 4, "sales_12m": 5_000_000},
        {"id": 5, "sales_12m": 5_000_000, "is_customer": False},
    ]
    assert by_id(run(rows), "size_class") == {1: "small", 2: "medium", 3: "large", 4: "vip", 5: ""}


def test_value_classes():
    rows = [
        {"id": 1, "sales_12m": 10, "margin_12m": 500},  # top margin → MVC
        {"id": 2, "sales_12m": 900, "sales_prev_12m": 100, "margin_12m": 10},  # top growth → MGC
        {"id": 3, "sales_12m": 10, "margin_12m": -1},  # negative margin → BZC
        {"id": 4, "sales_12m": 10, "margin_12m": 5},
        {"id": 5, "sales_12m": 10, "margin_12m": 5},
    ]
    assert by_id(run(rows), "value_class") == {1: "MVC", 2: "MGC", 3: "BZC", 4: "regular", 5: "regular"}


@pytest.mark.parametrize(
    ("row", "stage"),
    [
        ({"orders_12m": 1, "sales_12m": 10}, "acquisition"),  # first order within 12 months
        ({"is_customer": False, "has_open_opportunity": True}, "acquisition"),
        ({"ordered_before": True, "orders_12m": 0, "sales_prev_12m": 50}, "churned"),
        ({"ordered_before": True, "orders_12m": 3, "sales_12m": 120, "sales_prev_12m": 100}, "growth"),
        (
            {"ordered_before": True, "orders_12m": 3, "sales_12m": Decimal("119.99"), "sales_prev_12m": 100},
            "maturity",
        ),
        ({"ordered_before": True, "orders_12m": 3, "sales_12m": 80, "sales_prev_12m": 100}, "maturity"),
        (
            {"ordered_before": True, "orders_12m": 3, "sales_12m": Decimal("79.99"), "sales_prev_12m": 100},
            "decline",
        ),
        ({"is_customer": False}, ""),
    ],
)
def test_lifecycle_stages(row, stage):
    assert run([{"id": 1, **row}]).lifecycle_stage.tolist() == [stage]


def test_churn_risk_for_decline_or_a_key_account_not_visited_for_90_days():
    rows = [
        {"id": 1, "sales_12m": 100, "days_since_visit": 90},  # key account (top 20%), 90 days → risk
        {"id": 2, "sales_12m": 10, "days_since_visit": None},  # never visited but not key
        {"id": 3, "sales_12m": 5, "ordered_before": True, "orders_12m": 1, "sales_prev_12m": 100},  # decline
        {"id": 4, "sales_12m": 1},
        {"id": 5, "sales_12m": 2},
    ]
    results = run(rows)
    assert by_id(results, "churn_risk") == {1: True, 2: False, 3: True, 4: False, 5: False}
    assert run([{**rows[0], "days_since_visit": 89}]).churn_risk.tolist() == [False]


def test_thresholds_are_parameters():
    results = run(
        FIVE,
        tier_platinum_share=Decimal(40),
        tier_gold_share=Decimal(60),
        tier_iron_share=Decimal(80),
        key_account_share=Decimal(60),
    )
    assert by_id(results, "tier") == {1: "platinum", 4: "platinum", 2: "gold", 5: "iron", 3: "lead"}
    assert sum(results.is_key_account) == 3


def test_empty_population():
    results = run([])
    assert len(results.ids) == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"weights": {"sales": Decimal(0)}},
        {"weights": {"sales": Decimal(-1), "potential": Decimal(2)}},
        {"weights": {"charm": Decimal(1)}},
        {"tier_platinum_share": Decimal(30), "tier_gold_share": Decimal(20)},
        {"abc_a_share": Decimal(96)},
    ],
)
def test_invalid_parameters_are_refused(bad):
    with pytest.raises(ValueError, match=r"."):
        Parameters(**bad)


def test_concentration():
    result = concentration(np.array([5000, 3000, 2000, -100], dtype=np.int64))
    assert result.top1_share == Decimal("50.00")
    assert result.top10_share == Decimal("100.00")
    assert result.hhi == Decimal("3800.00")  # 50² + 30² + 20²


def test_concentration_without_revenue():
    assert concentration(np.array([0, -5], dtype=np.int64)).hhi == Decimal("0")


def test_never_visited_constant_is_far_away():
    assert NEVER > 10**9
