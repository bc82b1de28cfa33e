"""Query-string filters of the pipeline API: the opportunity list, the forecast, account plans.

A value that is not valid (`owner=abc`, an unknown stage or tier, `close_month=2026-13`,
`open=maybe`) is a 400 naming the parameter. The filtering itself is the selector's
(`selectors.opportunity_filter`), so the list, the board and the forecast narrow alike; the
filters narrow a queryset that already comes from `visible_to(user)`, they never widen it.
"""

import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field

from accounts.models import Tier
from web.filters import IdFilter, TrueFalseFilter

from .models import AccountPlan, Opportunity, Stage
from .selectors import OpportunityFilters, opportunity_filter

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class MonthField(forms.CharField):
    """`YYYY-MM`, cleaned to the first day of that month."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        match = MONTH.match(value)
        try:
            if match is None:
                raise ValueError(value)
            return date(int(match[1]), int(match[2]), 1)
        except ValueError:
            raise ValidationError(_("Enter a month as YYYY-MM."), code="invalid") from None


@extend_schema_field({"type": "string", "pattern": MONTH.pattern, "example": "2026-12"})
class MonthFilter(filters.Filter):
    field_class = MonthField


class ForecastFilter(filters.FilterSet):
    """The forecast's filters; the opportunity list has these and a few more."""

    owner = IdFilter(field_name="owner_id", help_text="The owner's user id.")
    team = IdFilter(help_text="A team's id: opportunities owned by its members.")
    region = filters.CharFilter(field_name="customer__region", help_text="The customer's region.")
    tier = filters.ChoiceFilter(
        field_name="customer__standing__tier", choices=Tier.choices, help_text="The customer's tier."
    )
    close_month = MonthFilter(
        field_name="expected_close_on", help_text="Expected to close in this month (YYYY-MM)."
    )

    class Meta:
        model = Opportunity
        fields = ["owner", "team", "region", "tier", "close_month"]

    def to_filters(self) -> OpportunityFilters:
        """The valid query string as the selector's filters (call `is_valid()` first)."""
        sent = {name: value for name, value in self.form.cleaned_data.items() if value not in (None, "")}
        return OpportunityFilters(**sent)

    def filter_queryset(self, queryset):
        return opportunity_filter(queryset, filters=self.to_filters())


class OpportunityFilter(ForecastFilter):
    customer = IdFilter(field_name="customer_id", help_text="The customer's id.")
    stage = filters.ChoiceFilter(choices=Stage.choices)
    open = TrueFalseFilter(help_text="true: in one of the five open stages; false: won or lost.")

    class Meta:
        model = Opportunity
        fields = [*ForecastFilter.Meta.fields, "customer", "stage", "open"]


class AccountPlanFilter(filters.FilterSet):
    customer = IdFilter(field_name="customer_id", help_text="The customer's id.")

    class Meta:
        model = AccountPlan
        fields = ["customer"]
