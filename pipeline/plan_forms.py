"""The forms of the account-plan pages (联合生意计划): the plan, its objectives and its actions.

They validate input; pipeline.services.account_plan_save writes, replacing the plan's lists
with the rows the formsets hand over. An action's owner is chosen from the customer's account
team (owner and members) and the people the signed-in user may assign, so a tampered form
cannot hand work to anyone else.
"""

from collections.abc import Iterable

from django import forms
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.models import AccountTeamMember, Customer
from users.models import User
from users.services import owner_choices
from web.forms import PageFormMixin

from .models import AccountPlan, PlanAction, PlanObjective


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def action_owner_choices(
    *, customer: Customer, user: User, current: Iterable[int | None] = ()
) -> list[tuple[int, str]]:
    """Who may own a plan action, in one query: the customer's owner and account team, whoever
    `user` may assign, and the owners the plan's actions have already (kept, so saving the
    form does not drop them)."""
    team = AccountTeamMember.objects.filter(customer=customer).values("user_id")
    active = Q(is_active=True) & (
        Q(pk=customer.owner_id) | Q(pk__in=team) | Q(pk__in=owner_choices(user).values("pk"))
    )
    users = User.objects.filter(active | Q(pk__in=[pk for pk in current if pk])).order_by("username")
    return [(person.pk, person.display_name) for person in users]


class AccountPlanForm(PageFormMixin, forms.ModelForm):
    class Meta:
        model = AccountPlan
        fields = ["title", "period_start", "period_end", "step", "summary"]
        widgets = {
            "period_start": _date_input(),
            "period_end": _date_input(),
            "step": forms.RadioSelect(attrs={"class": "chips"}),
            "summary": forms.Textarea(attrs={"rows": 3}),
        }

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end < start:
            # Said here, on the field, rather than as the table constraint's message.
            self.add_error("period_end", _("The plan cannot end before it starts."))
        return cleaned


class PlanObjectiveForm(PageFormMixin, forms.ModelForm):
    class Meta:
        model = PlanObjective
        fields = ["description", "target", "actual", "unit"]
        widgets = {
            "target": forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
            "actual": forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        }

    def service_row(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class PlanActionForm(PageFormMixin, forms.ModelForm):
    # A plain choice of ids: the choices are read once for the whole formset, not once per row.
    owner = forms.TypedChoiceField(
        label=capfirst(PlanAction._meta.get_field("owner").verbose_name),
        coerce=int,
        empty_value=None,
        required=False,
    )
    field_order = ["description", "owner", "due_on", "status"]

    class Meta:
        model = PlanAction
        fields = ["description", "due_on", "status"]
        widgets = {"due_on": _date_input()}

    def __init__(self, *args, owners: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "—"), *owners]

    def service_row(self) -> dict:
        row = {name: self.cleaned_data[name] for name in self._meta.fields}
        return {**row, "owner_id": self.cleaned_data["owner"]}


class PlanRowsFormSet(forms.BaseFormSet):
    """Rows of a plan's list; a row is dropped by ticking "delete" or by leaving a new row empty."""

    def service_rows(self) -> list[dict]:
        return [
            form.service_row()
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


ObjectiveFormSet = forms.formset_factory(
    PlanObjectiveForm, formset=PlanRowsFormSet, extra=2, can_delete=True, max_num=30, validate_max=True
)
ActionFormSet = forms.formset_factory(
    PlanActionForm, formset=PlanRowsFormSet, extra=2, can_delete=True, max_num=30, validate_max=True
)
