"""The API's base serializer and the fields every app's serializers share.

`ApiModelSerializer` reads optional choices as null (not "") and refuses calendar-edge times
with a 400 instead of DRF's overflow; `MoneyField` is the one shape of an amount in CNY;
`WholeRowSerializer` is a row of a nested list that a PATCH still validates whole.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS
from .text import text_validator_for


class BlankAsNullChoiceField(serializers.ChoiceField):
    """An optional choice: stored as "" in the database, null (or "") over the API."""

    def __init__(self, **kwargs):
        kwargs["allow_null"] = True
        if not kwargs.get("read_only"):
            kwargs["allow_blank"] = True
        super().__init__(**kwargs)

    def run_validation(self, data=serializers.empty):
        return super().run_validation("" if data is None else data)

    def to_representation(self, value):
        return None if value in ("", None) else super().to_representation(value)


class DateTimeField(serializers.DateTimeField):
    """DRF's, but a time with no offset at the very edge of the calendar (0001-01-01T00:00)
    is refused as out of range: DRF's own check of it overflows (a 500) instead."""

    def enforce_timezone(self, value):
        try:
            return super().enforce_timezone(value)
        except OverflowError:
            self.fail("overflow")


class KeepCurrentMixin:
    """A related id equal to the instance's current value is accepted as it is, so a client
    can send back what it was given (PUT) even where it could not choose that value itself,
    e.g. a team member repeating the owner, who is not among the users they may assign."""

    def to_internal_value(self, data):
        instance = getattr(self.parent, "instance", None)
        if isinstance(instance, models.Model) and not isinstance(data, bool):
            current = getattr(instance, f"{self.source}_id", None)
            if current is not None and str(data) == str(current):
                return getattr(instance, self.source)
        return super().to_internal_value(data)


def id_or_none(data) -> int | None:
    """The integer id a client sent, read as PrimaryKeyRelatedField reads it (42 or "42")."""
    if isinstance(data, bool) or not isinstance(data, int | str):
        return None
    try:
        return int(data)
    except ValueError:
        return None


class MoneyField(serializers.DecimalField):
    """An amount in CNY (yuan, two decimals), as a string like every decimal in the API."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", MONEY_MAX_DIGITS)
        kwargs.setdefault("decimal_places", MONEY_DECIMAL_PLACES)
        super().__init__(**kwargs)


class ApiModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: DateTimeField,
    }

    # Optional choices (blank CharFields with choices) read and write as null, not "".
    def build_standard_field(self, field_name, model_field):
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        text_validator = text_validator_for(model_field)
        if text_validator is not None and not model_field.choices:
            # Refused here with the field's message, before a service is called (web/text.py).
            field_kwargs["validators"] = [*field_kwargs.get("validators", []), text_validator]
        if model_field.choices and model_field.blank and isinstance(model_field, models.CharField):
            field_class = BlankAsNullChoiceField
            field_kwargs.pop("allow_blank", None)
            field_kwargs.pop("allow_null", None)
        return field_class, field_kwargs

    def unchanged_on_update(self, value, field_name: str):
        """The value of a field that is set at creation and then stays."""
        if self.instance is not None and value != getattr(self.instance, field_name):
            raise serializers.ValidationError(_("This field cannot be changed."))
        return value


class WholeRowSerializer(serializers.ModelSerializer):
    """A row of a list that is written whole: validated as a complete row even inside a PATCH
    (DRF would otherwise skip its required fields, as it does for the parent's own)."""

    def run_validation(self, data=serializers.empty):
        if self.root is not self and getattr(self.root, "partial", False):
            row = type(self)(data=data, context=self.context)
            row.is_valid(raise_exception=True)
            return row.validated_data
        return super().run_validation(data)
