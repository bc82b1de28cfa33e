"""The experience method's fit score in the pure engine, on hand-worked cases (no database).

industry_fit = ((need − 1) × 25 + (capability − 1) × 25) / 2, 0 without an industry in the table;
customer_fit = 100 × ticked / total weight of the active checklist items, 0 without any;
fit = (w_i × industry_fit + w_c × customer_fit) / (w_i + w_c), stored rounded half up.
"""

from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import pytest

from scoring.engine import Inputs, Parameters, fit_centi, score_population

# The default checklist (DOMAIN.md): need confirmed 30, budget 20, bought similar 20,
# criteria match 20, decision process known 10 — 100 in all.
DEFAULT_TOTAL = Decimal(100)


def fits(rows, *, fit_total=DEFAULT_TOTAL, **params):
    results = score_population(Inputs.from_rows(rows, fit_total=fit_total), Parameters(**params))
    return {i: results.fit(k) for k, i in enumerate(results.ids.tolist())}


def fit_of(row, **kwargs):
    return fits([{"id": 1, **row}], **kwargs)[1]


def scores(results):
    return {i: results.score(k) for k, i in enumerate(results.ids.tolist())}


def test_no_industry_and_nothing_ticked_is_zero():
    assert fit_of({}) == Decimal("0.00")


def test_industry_not_in_the_table_counts_as_zero_but_the_checklist_still_counts():
    # The run gives need = capability = 0 for an industry missing from the table.
    # Ticked need confirmed (30) + budget (20) of 100: customer fit 50 → (0 + 50) / 2 = 25.
    assert fit_of({"industry_need": 0, "industry_capability": 0, "fit_ticked": 50}) == Decimal("25.00")


def test_industry_in_the_table_with_no_items_ticked():
    # need 5, capability 4: ((5−1)×25 + (4−1)×25) / 2 = (100 + 75) / 2 = 87.5; customer fit 0.
    # fit = (50 × 87.5 + 50 × 0) / 100 = 43.75
    assert fit_of({"industry_need": 5, "industry_capability": 4}) == Decimal("43.75")


def test_all_items_ticked():
    # need 3, capability 2: (50 + 25) / 2 = 37.5; all ticked → customer fit 100.
    # fit = (37.5 + 100) / 2 = 68.75
    row = {"industry_need": 3, "industry_capability": 2, "fit_ticked": 100}
    assert fit_of(row) == Decimal("68.75")


def test_top_and_bottom_of_the_scale():
    assert fit_of({"industry_need": 5, "industry_capability": 5, "fit_ticked": 100}) == Decimal("100.00")
    # need 1, capability 1 is in the table but fits 0.
    assert fit_of({"industry_need": 1, "industry_capability": 1}) == Decimal("0.00")


def test_inactive_items_do_not_count():
    # Budget confirmed (20) is made inactive: the active total is 80. The customer ticked need
    # confirmed (30) and budget (20): only 30 counts → customer fit 100 × 30 / 80 = 37.5
    # → fit = (0 + 37.5) / 2 = 18.75.
    assert fit_of({"fit_ticked": 30}, fit_total=Decimal(80)) == Decimal("18.75")


def test_no_active_items_gives_customer_fit_zero():
    # need 5, capability 5 → industry fit 100; no active items → customer fit 0 → 50.
    row = {"industry_need": 5, "industry_capability": 5}
    assert fit_of(row, fit_total=0) == Decimal("50.00")


def test_active_items_all_weighing_zero_give_customer_fit_zero():
    assert fit_of({"industry_need": 2, "industry_capability": 2}, fit_total=Decimal("0.00")) == Decimal(
        "12.50"
    )


def test_custom_fit_weights_and_item_weights():
    # w_i = 30, w_c = 70; need 4, capability 4 → industry fit 75; ticked 12.5 of 40 → 31.25.
    # fit = (30 × 75 + 70 × 31.25) / 100 = (2,250 + 2,187.5) / 100 = 44.375 → 44.38
    row = {"industry_need": 4, "industry_capability": 4, "fit_ticked": Decimal("12.5")}
    result = fit_of(
        row,
        fit_total=Decimal(40),
        fit_industry_weight=Decimal(30),
        fit_customer_weight=Decimal(70),
    )
    assert result == Decimal("44.38")


def test_custom_weights_with_a_repeating_fraction():
    # w_i = 1, w_c = 2; need 2, capability 1 → industry fit 12.5; nothing ticked.
    # fit = 12.5 / 3 = 4.1666… → 4.17
    row = {"industry_need": 2, "industry_capability": 1}
    assert fit_of(row, fit_industry_weight=Decimal(1), fit_customer_weight=Decimal(2)) == Decimal("4.17")
    # w_i = 2, w_c = 1: 25 / 3 = 8.333… → 8.33
    assert fit_of(row, fit_industry_weight=Decimal(2), fit_customer_weight=Decimal(1)) == Decimal("8.33")


def test_one_side_weighing_zero():
    row = {"industry_need": 5, "industry_capability": 3, "fit_ticked": 20}
    # Only the checklist: 100 × 20 / 100 = 20.
    assert fit_of(row, fit_industry_weight=Decimal(0), fit_customer_weight=Decimal(1)) == Decimal("20.00")
    # Only the industry: (100 + 50) / 2 = 75.
    assert fit_of(row, fit_industry_weight=Decimal("0.01"), fit_customer_weight=Decimal(0)) == Decimal(
        "75.00"
    )


def test_fit_rounds_half_up_where_binary_floats_and_half_even_do_not():
    # No industry; ticked 2.01 of 100 → customer fit 2.01 → fit = 2.01 / 2 = 1.005 exactly → 1.01.
    assert fit_of({"fit_ticked": Decimal("2.01")}) == Decimal("1.01")
    # The same sum in binary floats lands just below 1.005, and half-even rounds it down.
    assert round((50 * 0 + 50 * (100 * 2.01 / 100)) / (50 + 50), 2) == 1.0
    assert Decimal("1.005").quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN) == Decimal("1.00")


def test_fit_rounds_half_up_with_fractional_fit_weights():
    # w_i = 0.5, w_c = 1.5; need 2, capability 2 → industry fit 25; ticked 0.1 of 0.3 → 33.33…;
    # fit = (0.5 × 25 + 1.5 × 100/3) / 2 = (12.5 + 50) / 2 = 31.25, exactly despite the thirds.
    row = {"industry_need": 2, "industry_capability": 2, "fit_ticked": Decimal("0.1")}
    result = fit_of(
        row,
        fit_total=Decimal("0.3"),
        fit_industry_weight=Decimal("0.5"),
        fit_customer_weight=Decimal("1.5"),
    )
    assert result == Decimal("31.25")


def test_every_customer_gets_a_fit_score_independently():
    rows = [
        {"id": 1},
        {"id": 2, "industry_need": 5, "industry_capability": 4},
        {"id": 3, "industry_need": 3, "industry_capability": 2, "fit_ticked": 100},
        {"id": 4, "fit_ticked": Decimal("2.01")},
    ]
    assert fits(rows) == {
        1: Decimal("0.00"),
        2: Decimal("43.75"),
        3: Decimal("68.75"),
        4: Decimal("1.01"),
    }


def test_large_weights_stay_exact():
    # Totals big enough that int64 would overflow take the exact Python-integer path.
    total = Decimal("9999999999999.99")
    row = {"industry_need": 2, "industry_capability": 3, "fit_ticked": Decimal("3333333333333.33")}
    # industry fit 37.5; customer fit 100 × 3333333333333.33 / 9999999999999.99 = 33.3333…;
    # fit = (1000 × 37.5 + 999.99 × 33.3333…) / 1999.99 = 35.41667… → 35.42
    result = fit_of(
        row, fit_total=total, fit_industry_weight=Decimal(1000), fit_customer_weight=Decimal("999.99")
    )
    assert result == Decimal("35.42")


@pytest.mark.parametrize(
    ("industry", "customer"),
    [(Decimal(0), Decimal(0)), (Decimal(-1), Decimal(2)), (Decimal(1), Decimal(-1))],
)
def test_fit_weights_must_not_be_negative_nor_both_zero(industry, customer):
    with pytest.raises(ValueError, match="fit weights"):
        Parameters(fit_industry_weight=industry, fit_customer_weight=customer)


def test_ticked_weight_above_the_total_is_refused():
    inputs = Inputs.from_rows([{"id": 1, "fit_ticked": 101}], fit_total=100)
    with pytest.raises(ValueError, match="ticked fit weights"):
        fit_centi(inputs, Parameters())


def test_empty_population():
    results = score_population(Inputs.from_rows([]), Parameters())
    assert results.fit_centi.tolist() == []


# --- fit as a composite dimension ---------------------------------------------------------

# test_engine.py's five customers (composite 88.75, 42.50, 20.00, 60.00, 40.00 with the
# default weights 40/30/15/15), each with a fit worked by hand (50/50, checklist total 100):
#   id  need cap  industry fit  ticked  customer fit  fit
#   1   5    5    100           100     100           100.00
#   2   –    –    0             2.01    2.01          1.005 → 1.01
#   3   –    –    0             0       0             0.00
#   4   3    3    50            0       0             25.00
#   5   1    1    0             50      50            25.00
FIVE = [
    {
        "id": 1,
        "sales_12m": 500,
        "potential": 5,
        "demonstration": 3,
        "winnability": 4,
        "industry_need": 5,
        "industry_capability": 5,
        "fit_ticked": 100,
    },
    {"id": 2, "sales_12m": 300, "potential": 2, "winnability": 5, "fit_ticked": Decimal("2.01")},
    {"id": 3, "sales_12m": 300},
    {
        "id": 4,
        "sales_12m": 0,
        "potential": 5,
        "demonstration": 5,
        "winnability": 5,
        "industry_need": 3,
        "industry_capability": 3,
    },
    {
        "id": 5,
        "sales_12m": 100,
        "potential": 3,
        "demonstration": 3,
        "winnability": 3,
        "industry_need": 1,
        "industry_capability": 1,
        "fit_ticked": 50,
    },
]
DEFAULT_WEIGHTS = {
    "sales": Decimal(40),
    "potential": Decimal(30),
    "demonstration": Decimal(15),
    "winnability": Decimal(15),
}


def run_five(**weights):
    inputs = Inputs.from_rows(FIVE, fit_total=DEFAULT_TOTAL)
    return score_population(inputs, Parameters(weights={**DEFAULT_WEIGHTS, **weights}))


def test_fits_of_the_five():
    results = run_five()
    assert {i: results.fit(k) for k, i in enumerate(results.ids.tolist())} == {
        1: Decimal("100.00"),
        2: Decimal("1.01"),
        3: Decimal("0.00"),
        4: Decimal("25.00"),
        5: Decimal("25.00"),
    }


def test_fit_weight_zero_leaves_the_composite_score_unchanged():
    expected = {
        1: Decimal("88.75"),
        2: Decimal("42.50"),
        3: Decimal("20.00"),
        4: Decimal("60.00"),
        5: Decimal("40.00"),
    }
    assert scores(run_five()) == expected
    assert scores(run_five(fit=Decimal(0))) == expected


def test_fit_as_a_composite_dimension():
    # Weights 40/30/15/15 + fit 100 (sum 200): score = (100 × old score + 100 × fit) / 200.
    #   1: (8,875 + 10,000) / 200 = 94.375 → 94.38
    #   2: (4,250 + 101) / 200 = 21.755 → 21.76 (the stored fit 1.01; unrounded 1.005 would give 21.75)
    #   3: (2,000 + 0) / 200 = 10.00
    #   4: (6,000 + 2,500) / 200 = 42.50
    #   5: (4,000 + 2,500) / 200 = 32.50
    results = run_five(fit=Decimal(100))
    assert scores(results) == {
        1: Decimal("94.38"),
        2: Decimal("21.76"),
        3: Decimal("10.00"),
        4: Decimal("42.50"),
        5: Decimal("32.50"),
    }
    # The fit itself does not depend on its composite weight.
    assert results.fit_centi.tolist() == run_five().fit_centi.tolist()


def test_fit_alone_ranks_by_fit():
    results = score_population(
        Inputs.from_rows(FIVE, fit_total=DEFAULT_TOTAL), Parameters(weights={"fit": Decimal(1)})
    )
    assert scores(results) == {
        1: Decimal("100.00"),
        2: Decimal("1.01"),
        3: Decimal("0.00"),
        4: Decimal("25.00"),
        5: Decimal("25.00"),
    }
    # Equal fits (4 and 5) rank by higher sales: 5 (100) before 4 (0).
    ranks = dict(zip(results.ids.tolist(), results.rank.tolist(), strict=True))
    assert ranks == {1: 1, 5: 2, 4: 3, 2: 4, 3: 5}
    assert np.array_equal(results.score_centi, results.fit_centi)
