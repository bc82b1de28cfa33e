"""The forms of the rep's pages: they validate input; the writes go through accounts.services.

Every choice that names a customer or a user is limited to what the signed-in user may see
or assign, so a tampered form cannot reach another rep's data.
"""

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from users.forms import UserChoiceField
from users.models import User
from users.services import owner_choices
from web.forms import PageFormMixin

from . import services
from .credit_code import normalise_credit_code, validate_credit_code
from .models import AbcClass, Contact, Customer, CustomerStatus, FitCriterion, Tier, Visit
from .selectors import CUSTOMER_ORDERINGS, CustomerFilters

RATING_CHOICES = [("", "–"), *((n, str(n)) for n in range(1, 6))]


def rating_field(model, name: str) -> forms.TypedChoiceField:
    """A 1–5 rating as a row of big radio buttons: easy to tap, and nothing else can be sent."""
    return forms.TypedChoiceField(
        label=capfirst(model._meta.get_field(name).verbose_name),
        choices=RATING_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect(attrs={"class": "chips"}),
    )


# --- Customer list ---------------------------------------------------------------------------


class CustomerFilterForm(PageFormMixin, forms.Form):
    """The list's search, filters and sorting (GET). An invalid value is reported and ignored."""

    ORDERING_LABELS = {
        "name": _("Name A–Z"),
        "-name": _("Name Z–A"),
        "-score": _("Score, highest first"),
        "score": _("Score, lowest first"),
        "-fit_score": _("Fit score, highest first"),
        "fit_score": _("Fit score, lowest first"),
        "-sales_12m": _("Sales (12 months), highest first"),
        "sales_12m": _("Sales (12 months), lowest first"),
        "-last_visit_at": _("Last visit, latest first"),
        "last_visit_at": _("Last visit, oldest first"),
        "-updated_at": _("Recently updated"),
        "updated_at": _("Least recently updated"),
    }

    search = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Customer or contact name, or its pinyin"),
                "autocomplete": "off",
            }
        ),
    )
    tier = forms.ChoiceField(label=_("Tier"), required=False, choices=[("", _("All")), *Tier.choices])
    abc_class = forms.ChoiceField(
        label=_("ABC class"), required=False, choices=[("", _("All")), *AbcClass.choices]
    )
    region = forms.ChoiceField(label=_("Region"), required=False)
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *CustomerStatus.choices]
    )
    owner = forms.TypedChoiceField(label=_("Owner"), required=False, coerce=int, empty_value=None)
    is_key_account = forms.TypedChoiceField(
        label=_("Key account"),
        required=False,
        choices=[("", _("All")), ("yes", _("Key accounts")), ("no", _("Not key accounts"))],
        coerce=lambda value: value == "yes",
        empty_value=None,
    )
    credit_risk = forms.TypedChoiceField(
        label=_("Credit risk"),
        required=False,
        choices=[
            ("", _("All")),
            ("yes", _("Credit risk: over 30 days past due")),
            ("no", _("No credit risk")),
        ],
        coerce=lambda value: value == "yes",
        empty_value=None,
    )
    fit_score_min = forms.DecimalField(
        label=_("Fit score at least"),
        required=False,
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal", "placeholder": "0–100"}),
    )
    ordering = forms.ChoiceField(label=_("Sort by"), required=False)

    FILTER_FIELDS = (
        "tier",
        "abc_class",
        "region",
        "industry",
        "status",
        "owner",
        "is_key_account",
        "credit_risk",
        "fit_score_min",
    )

    def __init__(self, *args, choices: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", _("All")), *((r, r) for r in choices["regions"])]
        self.fields["industry"].choices = [("", _("All")), *((i, i) for i in choices["industries"])]
        self.fields["owner"].choices = [("", _("All")), *((u.pk, u.display_name) for u in choices["owners"])]
        self.fields["ordering"].choices = [
            (key, label) for key, label in self.ORDERING_LABELS.items() if key in CUSTOMER_ORDERINGS
        ]

    def filters(self) -> CustomerFilters:
        if not self.is_bound:
            return CustomerFilters()
        # After validation cleaned_data holds only the fields that validated: invalid ones are
        # dropped (and reported by the form), so a stale or tampered link never fails the page.
        self.is_valid()
        values = {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
        return CustomerFilters(**values)

    def has_active_filters(self) -> bool:
        return self.active_filter_count() > 0

    def active_filter_count(self) -> int:
        filters = self.filters()
        return sum(getattr(filters, name) not in (None, "") for name in self.FILTER_FIELDS)


# --- Customers -------------------------------------------------------------------------------


class CreditCodeField(forms.CharField):
    """The unified social credit code as a person copies it from a licence: spaces, full-width
    characters and lower case are fine; a wrong code gets a message naming what is wrong."""

    def __init__(self, **kwargs):
        kwargs["max_length"] = None  # the length is the validator's to report, after spaces go
        super().__init__(**kwargs)
        self.validators.append(validate_credit_code)

    def to_python(self, value):
        return normalise_credit_code(super().to_python(value))

    def widget_attrs(self, widget):
        return {
            **super().widget_attrs(widget),
            "maxlength": "40",
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
        }


def fit_criteria_field() -> forms.ModelMultipleChoiceField:
    """The customer-fit checklist (经历推算法) as checkboxes of its active items."""
    return forms.ModelMultipleChoiceField(
        label=_("Customer fit"),
        queryset=FitCriterion.objects.filter(is_active=True).order_by("position", "id"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick what is true of this customer."),
    )


class CustomerForm(PageFormMixin, forms.ModelForm):
    """Create or edit a customer. Saved by services.customer_create / customer_update."""

    potential = rating_field(Customer, "potential")
    demonstration = rating_field(Customer, "demonstration")
    winnability = rating_field(Customer, "winnability")
    fit_criteria = fit_criteria_field()

    class Meta:
        model = Customer
        fields = [
            "name",
            "credit_code",
            "status",
            "industry",
            "region",
            "source",
            "referred_by",
            "parent",
            "owner",
            "potential",
            "demonstration",
            "winnability",
            "notes",
            "latitude",
            "longitude",
        ]
        field_classes = {"owner": UserChoiceField, "credit_code": CreditCodeField}
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
            **{
                name: forms.NumberInput(attrs={"step": "any", "inputmode": "decimal", "autocomplete": "off"})
                for name in ("latitude", "longitude")
            },
        }

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        customer = self.instance
        visible = Customer.objects.visible_to(user)
        # Keep the current link even when it points outside the user's view, so saving
        # the form does not silently drop it; everything offered besides is visible.
        for name in ("parent", "referred_by"):
            current = getattr(customer, f"{name}_id")
            queryset = Customer.objects.filter(Q(pk__in=visible.values("pk")) | Q(pk=current))
            if customer.pk:
                queryset = queryset.exclude(pk=customer.pk)
            self.fields[name].queryset = queryset.order_by("name_pinyin", "id")
        if self._may_assign_owner(user):
            owner = self.fields["owner"]
            owner.queryset = User.objects.filter(
                Q(pk__in=owner_choices(user).values("pk")) | Q(pk=customer.owner_id)
            ).order_by("username")
            owner.required = True
            if not customer.pk:
                owner.initial = user.pk
        else:
            del self.fields["owner"]
        self.fields["name"].widget.attrs.update({"autocomplete": "off", "autofocus": not customer.pk})
        if customer.pk:  # the ticks of inactive items are not offered, and saving keeps them
            self.initial["fit_criteria"] = list(
                customer.fit_criteria.filter(is_active=True).values_list("pk", flat=True)
            )
        # The table's check constraints, said as field errors rather than a constraint's name.
        for name, limit in (("latitude", 90), ("longitude", 180)):
            self.fields[name].validators += [MinValueValidator(-limit), MaxValueValidator(limit)]

    def clean(self):
        cleaned = super().clean()
        latitude, longitude = cleaned.get("latitude"), cleaned.get("longitude")
        if (latitude is None) != (longitude is None) and not self.has_error("latitude"):
            if not self.has_error("longitude"):
                missing = "latitude" if latitude is None else "longitude"
                self.add_error(missing, _("Enter both latitude and longitude, or leave both empty."))
        return cleaned

    def _get_validation_exclusions(self):
        # The code is checked by its field; whose code it already is, by the service, whose
        # message names the customer and owner, not the unique constraint's generic one.
        return {*super()._get_validation_exclusions(), "credit_code"}

    def _may_assign_owner(self, user: User) -> bool:
        if not user.can_manage:
            return False
        return not self.instance.pk or services.can_manage_customer(user, self.instance)

    def service_fields(self) -> dict:
        fields = {name: self.cleaned_data[name] for name in services.CUSTOMER_EDITABLE if name in self.fields}
        return {**fields, "fit_criteria": self.cleaned_data["fit_criteria"]}


# --- Contacts --------------------------------------------------------------------------------


class ContactForm(PageFormMixin, forms.ModelForm):
    """A contact and their place in the buying committee; the personal profile only for those
    allowed to see it (the form drops those fields otherwise, and the row keeps its values)."""

    influence = rating_field(Contact, "influence")
    relationship_strength = rating_field(Contact, "relationship_strength")

    class Meta:
        model = Contact
        fields = [
            *Contact.BUSINESS_FIELDS,
            *Contact.PROFILE_FIELDS,
        ]
        widgets = {
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "birthday": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
            **{
                name: forms.Textarea(attrs={"rows": 2})
                for name in ("interests", "authority", "personality", "working_style", "family")
            },
        }
        labels = {"name": _("Full name")}  # a person: 姓名, not the 名称 of a company

    def __init__(self, *args, show_profile: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.show_profile = show_profile
        if not show_profile:
            for name in Contact.PROFILE_FIELDS:
                del self.fields[name]

    def profile_fields(self):
        return [self[name] for name in self.fields if name in Contact.PROFILE_FIELDS]


# --- Visits ----------------------------------------------------------------------------------


class ContactCheckboxes(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Contact) -> str:
        return " · ".join(part for part in (obj.name, obj.title) if part)


class VisitForm(PageFormMixin, forms.ModelForm):
    """Everything about a visit in one form; saved by services.visit_log.

    The location fields stay empty unless the rep presses "use my location"."""

    class Meta:
        model = Visit
        fields = [
            "kind",
            "occurred_at",
            "contacts",
            "summary",
            "needs",
            "objections",
            "next_step",
            "follow_up_on",
            "latitude",
            "longitude",
            "location_accuracy_m",
        ]
        field_classes = {"contacts": ContactCheckboxes}
        widgets = {
            "kind": forms.RadioSelect(attrs={"class": "chips"}),
            "occurred_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "contacts": forms.CheckboxSelectMultiple,
            "summary": forms.Textarea(attrs={"rows": 3}),
            "needs": forms.Textarea(attrs={"rows": 2}),
            "objections": forms.Textarea(attrs={"rows": 2}),
            "next_step": forms.Textarea(attrs={"rows": 2}),
            "follow_up_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "latitude": forms.HiddenInput(attrs={"data-location-field": "latitude"}),
            "longitude": forms.HiddenInput(attrs={"data-location-field": "longitude"}),
            "location_accuracy_m": forms.HiddenInput(attrs={"data-location-field": "accuracy"}),
        }

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contacts"].queryset = customer.contacts.order_by("name_pinyin", "id")
        self.fields["occurred_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        # The table's check constraints, said as a field error rather than a constraint's name.
        for name, limit in (("latitude", 90), ("longitude", 180)):
            self.fields[name].validators += [MinValueValidator(-limit), MaxValueValidator(limit)]
        self.fields["location_accuracy_m"].validators.append(MinValueValidator(0))

    def clean(self):
        cleaned = super().clean()
        latitude, longitude = cleaned.get("latitude"), cleaned.get("longitude")
        if (latitude is None) != (longitude is None):
            self.add_error(None, _("The location is incomplete; capture it again or clear it."))
            latitude = cleaned["latitude"] = cleaned["longitude"] = None
        if latitude is None:
            cleaned["location_accuracy_m"] = None
        return cleaned

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class CustomerPickForm(PageFormMixin, forms.Form):
    """Find the customer to log a visit for."""

    search = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Customer or contact name, or its pinyin"),
                "autocomplete": "off",
            }
        ),
    )
