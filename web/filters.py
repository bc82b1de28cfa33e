"""Query-string filters every API list uses: ids and true/false that refuse junk.

A value that is not valid (`owner=abc`, `is_key_account=maybe`, an id beyond a bigint) is a 400
naming the parameter, never silently ignored (django-filter's own BooleanFilter ignores junk,
and an unbounded integer would overflow PostgreSQL's bigint: a 500).
"""

from django import forms
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

BIGINT_MAX = 2**63 - 1


class IdField(forms.IntegerField):
    """A database id: a whole number within the range of a bigint column."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(*args, **kwargs)


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(filters.NumberFilter):
    field_class = IdField


def _is_true(value: str) -> bool:
    return value == "true"


@extend_schema_field(OpenApiTypes.BOOL)
class TrueFalseFilter(filters.TypedChoiceFilter):
    """`true` or `false`, anything else a 400."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", _is_true)
        super().__init__(*args, **kwargs)
