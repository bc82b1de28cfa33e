"""The forms of the account-review pages (大客户定期评估): the review and its agreed actions.

They validate input; `servicing.services.review_create` / `review_update` write, given the
rows the action formset hands over. An action's owner is chosen among the users who see the
customer, so a tampered form cannot hand work to someone who could not even see it.
"""

from collections.abc import Iterable

from django import forms
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.forms import rating_field
from accounts.models import Customer
from accounts.selectors import users_who_see
from users.models import User
from web.forms import PageFormMixin

from .models import AccountReview, ReviewAction
from .services import ActionRow


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def action_owner_choices(*, customer: Customer, current: Iterable[int | None] = ()) -> list[tuple[int, str]]:
    """Who may own an agreed action, in one query: the users who see the customer, and the
    owners the review's actions have already (kept, so saving the form does not drop them)."""
    sees = Q(pk__in=users_who_see(customer=customer).values("pk"))
    users = User.objects.filter(sees | Q(pk__in=[pk for pk in current if pk])).order_by("username")
    return [(person.pk, person.display_name) for person in users]


class ReviewForm(PageFormMixin, forms.ModelForm):
    relationship_health = rating_field(AccountReview, "relationship_health")

    class Meta:
        model = AccountReview
        fields = [
            "reviewed_on",
            "period_start",
            "period_end",
            "relationship_health",
            "potential",
            "problems",
            "summary",
        ]
        widgets = {
            "reviewed_on": _date_input(),
            "period_start": _date_input(),
            "period_end": _date_input(),
            "potential": forms.Textarea(attrs={"rows": 3}),
            "problems": forms.Textarea(attrs={"rows": 3}),
            "summary": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "potential": _("Where the account can grow: needs, projects, share of wallet."),
            "problems": _("What holds the account back: complaints, risks, competitors."),
        }

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end < start:
            # Said here, on the field, rather than as the table constraint's message.
            self.add_error("period_end", _("The period cannot end before it starts."))
        return cleaned

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class ReviewActionForm(PageFormMixin, forms.Form):
    # The action being edited; empty for a new one. The service refuses an id of another review.
    id = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    description = forms.CharField(
        label=capfirst(ReviewAction._meta.get_field("description").verbose_name), max_length=300
    )
    # A plain choice of ids: the choices are read once for the whole formset, not once per row.
    owner = forms.TypedChoiceField(
        label=capfirst(ReviewAction._meta.get_field("owner").verbose_name),
        coerce=int,
        empty_value=None,
        required=False,
    )
    due_on = forms.DateField(
        label=capfirst(ReviewAction._meta.get_field("due_on").verbose_name),
        required=False,
        widget=_date_input(),
    )

    def __init__(self, *args, owners: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "—"), *owners]

    @property
    def is_done(self) -> bool:
        return bool(self.initial.get("done_at"))

    def service_row(self, owners: dict[int, User]) -> ActionRow:
        data = self.cleaned_data
        owner = data["owner"]
        return ActionRow(
            id=data["id"],
            description=data["description"],
            owner=owners.get(owner) if owner is not None else None,
            due_on=data["due_on"],
        )


class ReviewActionFormSet(forms.BaseFormSet):
    """The agreed actions; a row is dropped by ticking "delete" or by leaving a new row empty."""

    def kept_forms(self) -> list[ReviewActionForm]:
        return [form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]

    def service_rows(self) -> list[ActionRow]:
        """The rows for the service, in the order of `kept_forms()`; their owners in one query."""
        forms_ = self.kept_forms()
        wanted = {form.cleaned_data["owner"] for form in forms_} - {None}
        owners = {user.pk: user for user in User.objects.filter(pk__in=wanted)} if wanted else {}
        return [form.service_row(owners) for form in forms_]


ActionFormSet = forms.formset_factory(
    ReviewActionForm, formset=ReviewActionFormSet, extra=2, can_delete=True, max_num=30, validate_max=True
)
