"""The service-levels page's form: one per tier, its cadences in days (empty: not required)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from web.forms import PageFormMixin

from .models import ServicePolicy
from .services import POLICY_FIELDS


def _cadence_field(name: str) -> forms.IntegerField:
    field = ServicePolicy._meta.get_field(name)
    return forms.IntegerField(
        label=field.verbose_name,
        required=False,
        min_value=1,
        max_value=3650,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": _("not required")}),
    )


class ServicePolicyForm(PageFormMixin, forms.Form):
    """One tier's row (prefixed with the tier). The tier comes back in a hidden field, so a post
    without the rows is refused rather than read as "nothing required"."""

    tier = forms.CharField(widget=forms.HiddenInput)
    visit_days = _cadence_field("visit_days")
    executive_days = _cadence_field("executive_days")
    review_days = _cadence_field("review_days")

    def __init__(self, data=None, *, policy: ServicePolicy, **kwargs):
        initial = {"tier": policy.tier, **{name: getattr(policy, name) for name in POLICY_FIELDS}}
        super().__init__(data, prefix=policy.tier, initial=initial, **kwargs)
        self.policy = policy

    def clean_tier(self) -> str:
        if self.cleaned_data["tier"] != self.policy.tier:
            raise ValidationError(_("The form does not match this tier; reload the page."))
        return self.cleaned_data["tier"]

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in POLICY_FIELDS}
