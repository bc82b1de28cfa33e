"""Forms of the experience method's pages (经历推算法): the industry fit table, the checklist's
items, the ticks on a customer's page and the new-market shortlist's filters. They validate
input; the writes go through accounts.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from web.forms import PageFormMixin

from .forms import fit_criteria_field
from .models import FitCriterion, IndustryFit
from .selectors import ShortlistFilters

SCALE = [(n, str(n)) for n in range(1, 6)]


def scale_field(label, help_text) -> forms.TypedChoiceField:
    """A required 1–5 as a row of big radio buttons."""
    return forms.TypedChoiceField(
        label=label,
        choices=SCALE,
        coerce=int,
        help_text=help_text,
        widget=forms.RadioSelect(attrs={"class": "chips"}),
    )


class IndustryFitForm(PageFormMixin, forms.ModelForm):
    """A row of the industry fit table. The industry is typed, or picked from those KAM's
    customers already have (`industries`, offered as suggestions)."""

    need = scale_field(_("Need"), _("How much the industry needs what we sell: 1 = little, 5 = very much."))
    capability = scale_field(
        _("Our capability"), _("How well our strengths serve that need: 1 = poorly, 5 = very well.")
    )

    class Meta:
        model = IndustryFit
        fields = ["industry", "need", "capability", "notes"]
        labels = {"industry": _("Industry"), "notes": _("Notes")}
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, industries: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.industries = industries
        self.fields["industry"].widget.attrs.update({"list": "industries-in-use", "autocomplete": "off"})
        self.fields["industry"].help_text = _("Pick one your customers already have, or type a new one.")

    def validate_unique(self):
        pass  # the service says which industry is taken, in words of its own

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class FitCriterionForm(PageFormMixin, forms.ModelForm):
    """An item of the customer-fit checklist and its weight."""

    class Meta:
        model = FitCriterion
        fields = ["label", "weight", "is_active", "position"]
        labels = {
            "label": _("Item"),
            "weight": _("Weight"),
            "is_active": _("Active"),
            "position": _("Position"),
        }
        help_texts = {
            "weight": _("0–1000. Customer fit = ticked items' weights ÷ all active items' weights × 100."),
            "is_active": _("An inactive item no longer counts for anyone; its ticks are kept."),
            "position": _("Items are listed by position, smallest first."),
        }
        widgets = {"weight": forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"})}

    def validate_unique(self):
        pass  # the service's check also covers labels that differ only in case or spacing

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class CustomerFitForm(PageFormMixin, forms.Form):
    """The ticks of one customer's checklist, from its page."""

    fit_criteria = fit_criteria_field()


class ShortlistFilterForm(PageFormMixin, forms.Form):
    """The shortlist's filters (GET). An invalid value is reported and ignored."""

    industry = forms.ChoiceField(label=_("Industry"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    owner = forms.TypedChoiceField(label=_("Owner"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, choices: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["industry"].choices = [("", _("All")), *((i, i) for i in choices["industries"])]
        self.fields["region"].choices = [("", _("All")), *((r, r) for r in choices["regions"])]
        self.fields["owner"].choices = [("", _("All")), *((u.pk, u.display_name) for u in choices["owners"])]

    def filters(self) -> ShortlistFilters:
        if not self.is_bound:
            return ShortlistFilters()
        self.is_valid()  # invalid fields are left out of cleaned_data, and shown
        values = {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
        return ShortlistFilters(**values)
