from dataclasses import replace
from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from .dashboard import DashboardFilters
from .models import ScoringModel


class ScoringModelForm(forms.ModelForm):
    """All settings of the model; saving creates a new version (see services.scoring_model_save)."""

    class Meta:
        model = ScoringModel
        fields = ["note", *ScoringModel.SETTING_FIELDS]
        widgets = {
            name: forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"})
            for name in ScoringModel.SETTING_FIELDS
        }

    GROUPS = {
        "weights": list(ScoringModel.WEIGHT_FIELDS.values()),
        "experience": ["fit_industry_weight", "fit_customer_weight"],
        "classes": [
            "key_account_share",
            "tier_platinum_share",
            "tier_gold_share",
            "tier_iron_share",
            "abc_a_share",
            "abc_b_share",
        ],
        "segments": [
            "size_medium_from",
            "size_large_from",
            "size_vip_from",
            "value_top_share",
            "quadrant_value_rank",
            "quadrant_potential_from",
        ],
        "risk": [
            "lifecycle_growth_ratio",
            "lifecycle_decline_ratio",
            "churn_no_visit_days",
            "concentration_top1_limit",
            "concentration_top10_limit",
            "concentration_hhi_limit",
        ],
    }

    def groups(self):
        return {name: [self[field] for field in fields] for name, fields in self.GROUPS.items()}


class RunForm(forms.Form):
    as_of = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


class DashboardFilterForm(forms.Form):
    """The dashboard's filters (GET), the same parameters as the dashboard API. An invalid or
    stale value is dropped rather than failing the page."""

    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    region = forms.ChoiceField(label=_("Region"), required=False)
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, teams, regions: list[str], industries: list[str], **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", _("All my teams")), *((team.pk, team.name) for team in teams)]
        self.fields["region"].choices = [("", _("All")), *((region, region) for region in regions)]
        self.fields["industry"].choices = [("", _("All")), *((name, name) for name in industries)]

    def filters(self) -> DashboardFilters:
        """The valid values, with the period filled in (the last 30 days by default)."""
        self.is_valid()
        values = {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
        filters = DashboardFilters(**values)
        start, end = filters.period()
        if start > end:  # a period the other way round: keep its end, default its length
            start = end - timedelta(days=29)
        return replace(filters, start=start, end=end)
