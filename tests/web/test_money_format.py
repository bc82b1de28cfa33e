"""The money reading rule (web/money.py) at its boundaries, with no database: hand-worked cases
shared with the JavaScript twin (tests/web/money_cases.json, tests/js/money.test.js); and the
template filters that put it on pages."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation

from web.money import format_figure, format_money

CASES = json.loads((Path(__file__).with_name("money_cases.json")).read_text(encoding="utf-8"))["cases"]


def _id(case) -> str:
    return repr(case["value"])


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_full_form_has_separators_and_cents_only_when_there_are_any(case):
    assert format_money(case["value"], short=False, language="zh-hans") == case["full"]
    assert format_money(case["value"], short=False, language="en") == case["full"]


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_short_form_in_chinese_uses_wan_and_yi_from_10_wan(case):
    assert format_money(case["value"], short=True, language="zh-hans") == case["zh_short"]


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_short_form_in_english_is_whole_yuan_with_separators(case):
    assert format_money(case["value"], short=True, language="en") == case["en_short"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("9999.00"), "¥9,999"),
        (Decimal("10000.00"), "¥10,000"),
        (Decimal("99999.99"), "¥99,999.99"),
        (Decimal("100000.01"), "¥100,000.01"),
        (Decimal("99999999.00"), "¥99,999,999"),
        (Decimal("100000000.00"), "¥100,000,000"),
        (Decimal("-12345.60"), "-¥12,345.60"),
        (12, "¥12"),
    ],
)
def test_decimals_and_ints_read_like_their_strings(value, expected):
    assert format_money(value, short=False, language="zh-hans") == expected


def test_an_amount_from_the_database_in_short_form():
    assert format_money(Decimal("1848160.00"), short=True, language="zh-hans") == "¥184.8万"
    assert format_money(Decimal("-185000.00"), short=True, language="zh-hans") == "-¥18.5万"


def test_anything_else_is_shown_as_given():
    assert format_money("n/a", short=False, language="zh-hans") == "n/a"
    assert format_money(Decimal("NaN"), short=True, language="zh-hans") == "NaN"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("5000000.00"), "5,000,000"),
        (Decimal("98.50"), "98.5"),
        (Decimal("96"), "96"),
        (Decimal("-1234.56"), "-1,234.56"),
        (None, "—"),
    ],
)
def test_a_figure_beside_its_unit_has_separators_and_no_trailing_zeros(value, expected):
    assert format_figure(value) == expected


def _render(source: str, language: str, **context) -> str:
    with translation.override(language):
        return Template("{% load money %}" + source).render(Context(context))


def test_the_filters_follow_the_ui_language():
    amount = Decimal("1848160.00")
    assert _render("{{ a|money }}", "zh-hans", a=amount) == "¥1,848,160"
    assert _render("{{ a|money_short }}", "zh-hans", a=amount) == "¥184.8万"
    assert _render("{{ a|money_short }}", "en", a=amount) == "¥1,848,160"


def test_the_short_figure_carries_the_exact_one_on_hover():
    html = _render("{{ a|money_abbr }}", "zh-hans", a=Decimal("1848160.50"))
    assert html == '<span class="money" title="¥1,848,160.50">¥184.8万</span>'
    # No hover when the short figure is the exact one.
    assert _render("{{ a|money_abbr }}", "zh-hans", a=Decimal("9999")) == '<span class="money">¥9,999</span>'
    assert (
        _render("{{ a|money_abbr }}", "en", a=Decimal("1848160")) == '<span class="money">¥1,848,160</span>'
    )
