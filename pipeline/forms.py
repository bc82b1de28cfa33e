"""The forms of the pipeline pages: they validate input; the writes go through pipeline.services.

Choices that name a user, a gate item or a stage are limited to what the signed-in user may
pick, so a tampered form is an error, never someone else's data.
"""

from datetime import date

from django import forms
from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts.models import Tier
from users.forms import UserChoiceField
from users.models import User
from users.services import owner_choices
from web.forms import PageFormMixin

from . import services
from .models import DEFAULT_PROBABILITY, Opportunity, Stage, StageGateItem
from .selectors import OpportunityFilters

# --- Filters ---------------------------------------------------------------------------------


def _month(value: str) -> date:
    year, month = value.split("-")
    return date(int(year), int(month), 1)


class OpportunityFilterForm(PageFormMixin, forms.Form):
    """The board's, list's and forecast's filters (GET). An invalid value is reported and ignored."""

    owner = forms.TypedChoiceField(label=_("Owner"), required=False, coerce=int, empty_value=None)
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    region = forms.ChoiceField(label=_("Region"), required=False)
    tier = forms.ChoiceField(
        label=_("Customer tier"), required=False, choices=[("", _("All")), *Tier.choices]
    )
    close_month = forms.TypedChoiceField(
        label=_("Expected close month"), required=False, coerce=_month, empty_value=None
    )
    stage = forms.ChoiceField(label=_("Stage"), required=False, choices=[("", _("All")), *Stage.choices])

    def __init__(self, *args, choices: dict, with_stage: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        all_ = ("", _("All"))
        self.fields["owner"].choices = [all_, *((u.pk, u.display_name) for u in choices["owners"])]
        self.fields["team"].choices = [all_, *((t.pk, t.name) for t in choices["teams"])]
        self.fields["region"].choices = [all_, *((r, r) for r in choices["regions"])]
        self.fields["close_month"].choices = [
            all_,
            *(
                (month.strftime("%Y-%m"), date_format(month, "YEAR_MONTH_FORMAT"))
                for month in choices["months"]
            ),
        ]
        if not with_stage:
            del self.fields["stage"]

    def filters(self) -> OpportunityFilters:
        if not self.is_bound:
            return OpportunityFilters()
        # Fields that did not validate are left out of cleaned_data (and reported by the form),
        # so a stale or tampered link narrows by what it can and never fails the page.
        self.is_valid()
        values = {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
        return OpportunityFilters(**values)

    def has_active_filters(self) -> bool:
        filters = self.filters()
        return any(getattr(filters, name) not in (None, "") for name in self.fields)


# --- Opportunities ---------------------------------------------------------------------------


class OpportunityForm(PageFormMixin, forms.ModelForm):
    """Create or edit an opportunity (never its stage: that moves through the gates).

    A blank probability means the stage's default; the owner can be picked only by managers
    and admins, among the people they may assign."""

    probability = forms.IntegerField(label=_("Probability (%)"), required=False, min_value=0, max_value=100)

    class Meta:
        model = Opportunity
        fields = [
            "title",
            "expected_amount",
            "expected_close_on",
            "owner",
            "obstacles",
            "expected_cost",
            "development_plan",
        ]
        field_classes = {"owner": UserChoiceField}
        widgets = {
            "expected_amount": forms.NumberInput(attrs={"min": "0", "step": "0.01", "inputmode": "decimal"}),
            "expected_cost": forms.NumberInput(attrs={"min": "0", "step": "0.01", "inputmode": "decimal"}),
            "expected_close_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "obstacles": forms.Textarea(attrs={"rows": 2}),
            "development_plan": forms.Textarea(attrs={"rows": 3}),
        }

    field_order = ["title", "expected_amount", "probability", "expected_close_on", "owner"]

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        opportunity = self.instance
        default = DEFAULT_PROBABILITY[opportunity.stage]
        probability = self.fields["probability"]
        probability.widget.attrs.update({"placeholder": f"{default}", "inputmode": "numeric"})
        probability.help_text = _("Leave blank for the stage's default (%(default)s%%).") % {
            "default": default
        }
        if opportunity.pk and opportunity.probability_overridden:
            probability.initial = opportunity.probability
        if user.can_manage:
            owner = self.fields["owner"]
            # The current owner stays selectable, so saving other changes keeps them.
            owner.queryset = User.objects.filter(
                Q(pk__in=owner_choices(user).values("pk")) | Q(pk=opportunity.owner_id)
            ).order_by("username")
            owner.required = True
            if not opportunity.pk:
                owner.initial = user.pk
        else:
            del self.fields["owner"]
        self.fields["title"].widget.attrs.update({"autocomplete": "off", "autofocus": not opportunity.pk})

    def service_fields(self) -> dict:
        return {
            name: self.cleaned_data[name] for name in services.OPPORTUNITY_EDITABLE if name in self.fields
        }


# --- Moves and gates -------------------------------------------------------------------------


class MoveForm(forms.Form):
    """One step forward (`to` = the next stage), or to lost with a reason; a manager may
    override an unmet gate with a reason. The service decides what is allowed."""

    to = forms.ChoiceField(choices=Stage.choices)
    override_reason = forms.CharField(required=False, max_length=2000)
    reason = forms.CharField(required=False, max_length=2000)


class ItemChoices(forms.ModelMultipleChoiceField):
    """Gate items by id; an id no database could hold is invalid input (SQLite would overflow)."""

    def _check_values(self, value):
        for pk in value:
            if not str(pk).isdigit() or len(str(pk)) > 18:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


class GateCheckForm(forms.Form):
    """Tick or untick hand-checked items of the opportunity's current stage.

    `items` are the items the form showed, `checked` those ticked among them: a whole
    checklist saves at once, and a single tick posts just its one item."""

    items = ItemChoices(queryset=StageGateItem.objects.none())
    checked = ItemChoices(queryset=StageGateItem.objects.none(), required=False)

    def __init__(self, *args, opportunity: Opportunity, **kwargs):
        super().__init__(*args, **kwargs)
        manual = StageGateItem.objects.filter(stage=opportunity.stage, is_active=True, rule="")
        self.fields["items"].queryset = manual
        self.fields["checked"].queryset = manual

    def clean(self):
        cleaned = super().clean()
        if set(cleaned.get("checked") or ()) - set(cleaned.get("items") or ()):
            raise forms.ValidationError(_("A ticked item must be one of the items shown."))
        return cleaned
