"""The one definition of a money amount: CNY, two decimals, room for any total KAM computes.

Stored amounts keep their own column sizes (migrations); what is computed from them (sums,
weighted pipelines, revenues) is typed with `money_output()` in the ORM and `MoneyField` in the API
(web/serializers.py), so every total has the same size and the same two decimals.
"""

from django.db.models import DecimalField

MONEY_MAX_DIGITS = 20
MONEY_DECIMAL_PLACES = 2


def money_output() -> DecimalField:
    """The `output_field` of a computed amount (Sum, Coalesce, an expression over amounts)."""
    return DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)
