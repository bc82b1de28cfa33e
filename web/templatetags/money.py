"""Money in templates, in the UI language: `{% load money %}`, then

- `{{ amount|money }}` — the exact figure: ¥1,848,160, ¥1,234.50, -¥12,345;
- `{{ amount|money_short }}` — where space is short: ¥184.8万 in Chinese, ¥1,848,160 in English;
- `{{ amount|money_abbr }}` — the short figure with the exact one on hover:
  <span class="money" title="¥1,848,160">¥184.8万</span>;
- `{{ number|figure }}` — a number beside its own unit (plan objectives): 5,000,000.

The rule itself is `web.money.format_money`.
"""

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.translation import get_language

from web.money import format_figure, format_money

register = template.Library()


def _language() -> str:
    return get_language() or settings.LANGUAGE_CODE


@register.filter
def money(value) -> str:
    return format_money(value, short=False, language=_language())


@register.filter
def money_short(value) -> str:
    return format_money(value, short=True, language=_language())


@register.filter
def money_abbr(value) -> str:
    language = _language()
    full = format_money(value, short=False, language=language)
    short = format_money(value, short=True, language=language)
    if short == full:
        return format_html('<span class="money">{}</span>', full)
    return format_html('<span class="money" title="{}">{}</span>', full, short)


@register.filter
def figure(value) -> str:
    return format_figure(value)
