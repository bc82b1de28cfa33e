from django import forms

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
