"""Money in KAM: the one size of a computed amount, and the one way a person reads an amount.

Stored amounts keep their own column sizes (migrations); what is computed from them (sums,
weighted pipelines, revenues) is typed with `money_output()` in the ORM and `MoneyField` in the API
(web/serializers.py), so every total has the same size and the same two decimals.

`format_money` is the reading rule, for every page, card, tile and chart (the template filters in
`web/templatetags/money.py`; its twin for charts is `static/kam/js/money.js`, tested on the same
cases). Exports (CSV, xlsx) keep plain numbers and never come here. The rule:

- An amount is first rounded to the cent (half away from zero); everything below reads that.
- Full form: yuan sign, thousands separators, cents only when there are any:
  ¥1,848,160 · ¥1,234.50 · -¥12,345 (a credit note keeps its sign, before the ¥).
- Short form, where space is short (board cards and columns, chart labels, axes and tooltips,
  summary tiles): never cents. In the Chinese UI an amount of 10万 (100,000) or more is shown in 万
  with one decimal, from 1亿 (100,000,000) in 亿 with two, a trailing zero dropped (¥10万, ¥184.8万,
  ¥1亿, ¥1.23亿, -¥18.5万); below 10万 it is whole yuan with separators (¥99,999). The English UI
  uses separators everywhere (no K/M): short form is whole yuan with separators. A short figure is
  shown with the full one on hover (`money_abbr`) or in the table beside it.
- No amount (None, ""): "—". Anything that is not a number is shown as given.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db.models import DecimalField

MONEY_MAX_DIGITS = 20
MONEY_DECIMAL_PLACES = 2

NO_AMOUNT = "—"
WAN = 10_000  # 万
YI = 100_000_000  # 亿
SHORT_FROM = 10 * WAN  # the Chinese short form starts at 10万


def money_output() -> DecimalField:
    """The `output_field` of a computed amount (Sum, Coalesce, an expression over amounts)."""
    return DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)


def _cents(value) -> int | None:
    """The amount in whole cents, rounded half away from zero; None when it is not a number."""
    if isinstance(value, bool):
        return None
    try:
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None
    if not amount.is_finite():
        return None
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _divide(cents: int, unit: int) -> int:
    """`cents / unit` rounded half away from zero (cents is not negative)."""
    whole, rest = divmod(cents, unit)
    return whole + (1 if 2 * rest >= unit else 0)


def _decimals(count: int, places: int) -> str:
    """`count` hundredths (places=2) or tenths (places=1) as digits, trailing zeros dropped."""
    whole, fraction = divmod(count, 10**places)
    digits = f"{fraction:0{places}d}".rstrip("0")
    return f"{whole:,}" + (f".{digits}" if digits else "")


def format_money(value, *, short: bool, language: str) -> str:
    """`value` (Decimal, int, float or a numeric string) as a person reads it; see the module."""
    if value is None or value == "":
        return NO_AMOUNT
    cents = _cents(value)
    if cents is None:
        return str(value)
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    if not short:
        yuan, fen = divmod(cents, 100)
        return f"{sign}¥{yuan:,}" + (f".{fen:02d}" if fen else "")
    yuan = _divide(cents, 100)
    if yuan == 0:
        return "¥0"
    if not (language or "").lower().startswith("zh") or yuan < SHORT_FROM:
        return f"{sign}¥{yuan:,}"
    tenths_of_wan = _divide(cents, WAN * 100 // 10)
    if tenths_of_wan < YI // WAN * 10:  # below 10000.0万, once rounded
        return f"{sign}¥{_decimals(tenths_of_wan, 1)}万"
    return f"{sign}¥{_decimals(_divide(cents, YI * 100 // 100), 2)}亿"


def format_figure(value) -> str:
    """A plain number a person reads beside its own unit (a plan objective: 5,000,000 元, 98.5 %):
    separators, at most two decimals, trailing zeros dropped; "—" when there is none."""
    if value is None or value == "":
        return NO_AMOUNT
    cents = _cents(value)
    if cents is None:
        return str(value)
    return ("-" if cents < 0 else "") + _decimals(abs(cents), 2)
