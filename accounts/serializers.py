"""The JSON shape of customers, contacts, visits and transactions, and the checks on what comes in.

Serializers validate and shape; the writes themselves are `accounts.services` calls made by
the views in `accounts/api.py`. Every related id a client may send is looked up among the
objects the caller may see (or, for users, assign), so any other id "does not exist" (400).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from users.models import User
from users.services import owner_choices
from web.filters import BIGINT_MAX
from web.serializers import ApiModelSerializer, KeepCurrentMixin, id_or_none
from web.text import NoControlCharacters

from . import selectors, services
from .credit_code import normalise_credit_code, validate_credit_code
from .models import (
    STANDING_FIELDS,
    Contact,
    Customer,
    CustomerStanding,
    FitCriterion,
    IndustryFit,
    Transaction,
    Visit,
)
from .push import PushedRowSerializerMixin

# --- Fields ----------------------------------------------------------------------------------


class VisibleCustomerField(KeepCurrentMixin, serializers.PrimaryKeyRelatedField):
    """A customer id the caller may see.

    A batch can load its customers once and pass them as `visible_customers` in the context
    ({id: customer}); the field then looks ids up there instead of one query per row.
    """

    def get_queryset(self):
        return Customer.objects.visible_to(self.context["request"].user)

    def to_internal_value(self, data):
        preloaded = self.context.get("visible_customers")
        if preloaded is None:
            return super().to_internal_value(data)
        pk = id_or_none(data)
        if pk is None:
            self.fail("incorrect_type", data_type=type(data).__name__)
        if pk not in preloaded:
            self.fail("does_not_exist", pk_value=data)
        return preloaded[pk]


class AssignableOwnerField(KeepCurrentMixin, serializers.PrimaryKeyRelatedField):
    """A user the caller may make a customer's owner (`users.services.owner_choices`)."""

    def get_queryset(self):
        return owner_choices(self.context["request"].user)


class AccountTeamMemberField(serializers.PrimaryKeyRelatedField):
    """Any active user may join an account team (regional or solution sales from other teams);
    whether the caller may change the team is the service's decision."""

    def get_queryset(self):
        return User.objects.filter(is_active=True)


class VisibleContactField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return Contact.objects.visible_to(self.context["request"].user)


class CreditCodeField(serializers.CharField):
    """A unified social credit code: stored without spaces, in capitals; "" for none."""

    def __init__(self, **kwargs):
        super().__init__(allow_blank=True, max_length=40, **kwargs)
        self.validators += [NoControlCharacters(), validate_credit_code]

    def to_internal_value(self, data):
        return normalise_credit_code(super().to_internal_value(data))


class ActiveFitCriterionField(serializers.PrimaryKeyRelatedField):
    """The id of an active item of the customer-fit checklist."""

    default_error_messages = {"inactive": _("Item {pk_value} is not active on the checklist.")}

    def get_queryset(self):
        return FitCriterion.objects.all()

    def to_internal_value(self, data):
        criterion = super().to_internal_value(data)
        if not criterion.is_active:
            self.fail("inactive", pk_value=criterion.pk)
        return criterion


class FitCriteriaField(serializers.ManyRelatedField):
    """The ticked items of the customer-fit checklist: only active ones are shown and written;
    ticks of inactive items are kept as they are."""

    def __init__(self, **kwargs):
        super().__init__(child_relation=ActiveFitCriterionField(), **kwargs)

    def get_attribute(self, instance):
        return [criterion for criterion in instance.fit_criteria.all() if criterion.is_active]


class LocationPairMixin:
    """A serializer with `latitude` and `longitude`: both or neither, as the model's constraint says."""

    def validate(self, attrs):
        latitude = attrs.get("latitude", getattr(self.instance, "latitude", None))
        longitude = attrs.get("longitude", getattr(self.instance, "longitude", None))
        if (latitude is None) != (longitude is None):
            message = _("Send both latitude and longitude, or neither.")
            raise serializers.ValidationError({"latitude": [message], "longitude": [message]})
        return attrs


# --- Customers -------------------------------------------------------------------------------


def _standing_field(name: str, **options) -> serializers.Field:
    """A read-only serializer field for one of the last run's results, built from the standing's
    model field as a ModelSerializer would build it for a column (type, choices, label, nulls)."""
    kind, kwargs = ApiModelSerializer().build_standard_field(name, CustomerStanding._meta.get_field(name))
    kwargs = {k: v for k, v in kwargs.items() if k not in ("validators", "required")}
    return kind(**{**kwargs, "read_only": True, **options})


# The last run's results on a customer (accounts.CustomerStanding, annotated on every customer
# query): typed and labelled as the standing's fields are; the score as a number, as it always was.
StandingResults = type(
    "StandingResults",
    (serializers.Serializer,),
    {
        name: _standing_field(name, **({"coerce_to_string": False} if name == "score" else {}))
        for name in Customer.SCORING_FIELDS
        if name in STANDING_FIELDS
    },
)


class CustomerSerializer(LocationPairMixin, StandingResults, ApiModelSerializer):
    """A customer, with the scoring results (read-only, null until the first scoring run)."""

    parent = VisibleCustomerField(required=False, allow_null=True)
    referred_by = VisibleCustomerField(required=False, allow_null=True)
    owner = AssignableOwnerField(
        required=False,
        help_text="The user responsible; defaults to the caller. A rep may only assign themselves, "
        "a manager the members of their teams.",
    )
    owner_name = serializers.CharField(source="owner.display_name", read_only=True, allow_null=True)
    account_team = AccountTeamMemberField(many=True, required=False)
    fit_criteria = FitCriteriaField(
        required=False,
        help_text="Customer fit (经历推算法): the ids of the active checklist items ticked for this "
        "customer (`/api/v1/fit-criteria/`). Sending a list ticks exactly those; an unknown or "
        "inactive id is a 400.",
    )
    last_visit_at = serializers.DateTimeField(read_only=True, allow_null=True)
    credit_risk = serializers.BooleanField(
        read_only=True,
        help_text="Credit risk (风险: credit) today: money open more than 30 days past its due date "
        "(payment collection).",
    )
    credit_code = CreditCodeField(
        required=False,
        help_text="Unified social credit code (统一社会信用代码, 18 characters, GB 32100-2015); "
        "spaces and lower case are accepted and removed. Empty for none. One customer per code.",
    )
    latitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=-90,
        max_value=90,
        required=False,
        allow_null=True,
        help_text="The customer's site (WGS-84, as a phone reports it); latitude and longitude are "
        "sent together, or both null to clear the site.",
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False, allow_null=True
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "credit_code",
            "industry",
            "region",
            "latitude",
            "longitude",
            "parent",
            "source",
            "referred_by",
            "status",
            "owner",
            "owner_name",
            "account_team",
            "potential",
            "demonstration",
            "winnability",
            "fit_criteria",
            "notes",
            "created_at",
            "updated_at",
            *Customer.SCORING_FIELDS,
            "last_visit_at",
            "credit_risk",
        ]
        read_only_fields = ["created_at", "updated_at", *Customer.SCORING_FIELDS]


class PossibleDuplicatesQuerySerializer(serializers.Serializer):
    name = serializers.CharField(
        max_length=200,
        validators=[NoControlCharacters()],
        help_text="The name of the company about to be entered.",
    )


class PossibleDuplicateSerializer(serializers.Serializer):
    """A customer whose name is close to the one asked about; one the caller cannot see is
    named with its owner (as a refused duplicate is), without its id."""

    id = serializers.IntegerField(allow_null=True, help_text="null: a customer the caller cannot see.")
    name = serializers.CharField()
    owner_name = serializers.CharField(allow_null=True)
    same_company = serializers.BooleanField(
        help_text="The same company once legal forms, brackets, regions' place and spaces are "
        "ignored: creating a customer with this name would be refused (撞单)."
    )

    def to_representation(self, match):
        return {
            "id": match.pk if match.visible else None,
            "name": match.name,
            "owner_name": match.owner_name,
            "same_company": match.same_company,
        }


# --- Contacts --------------------------------------------------------------------------------


class ContactListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        # Who may see which profiles is worked out once for the whole page, not once per row.
        contacts = list(data.all() if isinstance(data, models.Manager) else data)
        self.context["profile_customer_ids"] = services.personal_profile_customer_ids(
            self.context["request"].user, {contact.customer_id for contact in contacts}
        )
        return super().to_representation(contacts)


class ContactSerializer(ApiModelSerializer):
    """A contact; the personal-profile fields appear only for the account team, the owner's
    manager and admins (`services.can_see_personal_profile`)."""

    customer = VisibleCustomerField()

    class Meta:
        model = Contact
        list_serializer_class = ContactListSerializer
        fields = [
            "id",
            "customer",
            *Contact.BUSINESS_FIELDS,
            *Contact.PROFILE_FIELDS,
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            name: {"help_text": "Personal profile: present only for the account team."}
            for name in Contact.PROFILE_FIELDS
        }

    def validate_customer(self, customer):
        return self.unchanged_on_update(customer, "customer")

    def validate(self, attrs):
        sent = [name for name in Contact.PROFILE_FIELDS if name in attrs]
        customer = attrs.get("customer") or getattr(self.instance, "customer", None)
        if sent and not services.can_see_personal_profile(self.context["request"].user, customer):
            message = _("Only the account team can write a contact's personal profile.")
            raise serializers.ValidationError(dict.fromkeys(sent, [message]))
        return attrs

    def to_representation(self, contact):
        data = super().to_representation(contact)
        allowed = self.context.get("profile_customer_ids")
        if allowed is None:
            may_see = services.can_see_personal_profile(self.context["request"].user, contact.customer)
        else:
            may_see = contact.customer_id in allowed
        if not may_see:
            for name in Contact.PROFILE_FIELDS:
                data.pop(name, None)
        return data


# --- Visits ----------------------------------------------------------------------------------


class VisitSerializer(LocationPairMixin, ApiModelSerializer):
    """A visit, call or meeting, logged by the caller (`by`)."""

    customer = VisibleCustomerField()
    contacts = VisibleContactField(
        many=True, required=False, help_text="Contacts present; each must be a contact of the customer."
    )
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False, allow_null=True
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False, allow_null=True
    )
    location_accuracy_m = serializers.FloatField(min_value=0, required=False, allow_null=True)
    by_name = serializers.CharField(source="by.display_name", read_only=True, allow_null=True)
    distance_m = serializers.IntegerField(
        source="checkin_distance_m",
        read_only=True,
        allow_null=True,
        help_text="Metres from the check-in to the customer's site; null without either.",
    )
    checkin_far = serializers.BooleanField(
        read_only=True,
        allow_null=True,
        help_text="The check-in is farther from the customer's site than the allowed distance "
        "(KAM_CHECKIN_MAX_METERS, 1,000 m unless configured); null without a distance.",
    )

    class Meta:
        model = Visit
        fields = [
            "id",
            "kind",
            "occurred_at",
            "customer",
            "contacts",
            "summary",
            "needs",
            "objections",
            "next_step",
            "follow_up_on",
            "follow_up_done_at",
            "by",
            "by_name",
            "latitude",
            "longitude",
            "location_accuracy_m",
            "distance_m",
            "checkin_far",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["follow_up_done_at", "by", "created_at", "updated_at"]

    def validate_customer(self, customer):
        return self.unchanged_on_update(customer, "customer")


# --- Transactions ----------------------------------------------------------------------------


class TransactionSerializer(PushedRowSerializerMixin, ApiModelSerializer):
    """An order or invoice line in CNY; amount and margin may be negative (credit notes)."""

    customer = VisibleCustomerField()

    class Meta:
        model = Transaction
        fields = [
            "id",
            "customer",
            "reference",
            "occurred_on",
            "amount",
            "margin",
            "description",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # A known reference is an update (upsert), not a uniqueness error.
        extra_kwargs = {"reference": {"validators": []}}

    row_fields = ("customer", "reference", "occurred_on", "amount", "margin", "description")

    def to_row(self) -> services.TransactionRow:
        """The validated data, merged over the instance on update, as the service's input."""
        data = self.merged_data()
        return services.TransactionRow(
            customer_id=data["customer"].pk,
            reference=data["reference"],
            occurred_on=data["occurred_on"],
            amount=data["amount"],
            margin=data.get("margin"),
            description=data.get("description", ""),
        )


class TransactionBatchResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Rows with a new reference.")
    updated = serializers.IntegerField(help_text="Rows whose reference was known and is now updated.")


class TransactionRowErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the row in the array sent, from 0.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), help_text="Field → messages."
    )


class TransactionBatchErrorSerializer(serializers.Serializer):
    """400 of a push: one entry per bad row of an array; other refusals are field → messages."""

    errors = TransactionRowErrorSerializer(many=True, required=False)


# --- The experience method (经历推算法) -------------------------------------------------------


class IndustryFitSerializer(ApiModelSerializer):
    """A row of the industry fit table: how much the industry needs what we sell (`need`, 1–5)
    and how well we serve it (`capability`, 1–5)."""

    industry_fit = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        coerce_to_string=False,
        read_only=True,
        help_text="((need − 1) × 25 + (capability − 1) × 25) / 2, 0–100.",
    )

    class Meta:
        model = IndustryFit
        fields = ["id", "industry", "need", "capability", "industry_fit", "notes", "updated_at"]
        read_only_fields = ["updated_at"]
        # One row per industry: the service refuses a second one with a message of its own.
        extra_kwargs = {
            "industry": {
                "validators": [NoControlCharacters()],
                "help_text": "As the customers' industry reads.",
            }
        }


class FitCriterionSerializer(ApiModelSerializer):
    """An item of the customer-fit checklist. Customer fit = 100 × (weights of the ticked
    items) / (weights of all active items); an inactive item counts for no one, its ticks kept."""

    class Meta:
        model = FitCriterion
        fields = ["id", "label", "weight", "is_active", "position"]
        # The label is unique; the service refuses a taken one (case and spacing aside).
        extra_kwargs = {"label": {"validators": [NoControlCharacters()]}}


class ShortlistQuerySerializer(serializers.Serializer):
    industry = serializers.CharField(
        required=False, allow_blank=True, max_length=50, validators=[NoControlCharacters()]
    )
    region = serializers.CharField(
        required=False, allow_blank=True, max_length=50, validators=[NoControlCharacters()]
    )
    owner = serializers.IntegerField(
        required=False, min_value=1, max_value=BIGINT_MAX, help_text="The owner's user id."
    )


class ShortlistSerializer(serializers.ModelSerializer):
    """A prospect on the new-market shortlist, with what its fit score is made of."""

    owner_name = serializers.CharField(source="owner.display_name", read_only=True, allow_null=True)
    fit_score = serializers.DecimalField(
        max_digits=5, decimal_places=2, coerce_to_string=False, read_only=True, allow_null=True
    )
    industry_fit = serializers.SerializerMethodField(
        help_text="The customer's industry in the industry fit table, 0–100; 0 when it is not there."
    )
    customer_fit_ticked = serializers.IntegerField(
        source="fit_ticked", read_only=True, help_text="Active checklist items ticked for the customer."
    )
    customer_fit_items = serializers.SerializerMethodField(help_text="Active checklist items in all.")

    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "industry",
            "region",
            "owner",
            "owner_name",
            "fit_score",
            "industry_fit",
            "customer_fit_ticked",
            "customer_fit_items",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=False))
    def get_industry_fit(self, customer):
        return selectors.industry_fit_value(customer.industry_need, customer.industry_capability)

    def get_customer_fit_items(self, customer) -> int:
        return self.context["fit_items"]
