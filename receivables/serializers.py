"""The JSON shape of payment plans, payments and a customer's receivables, and the checks on
what comes in.

Serializers validate and shape; the writes are `receivables.services` calls made by the views in
`receivables/api.py`. Opportunity and customer ids are looked up among those the caller may
see, so any other id "does not exist" (400). Amounts are strings with two decimals (MoneyField);
an amount written is at most 12 digits before the point, as the columns hold.
"""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.push import PushedRowSerializerMixin
from accounts.serializers import VisibleCustomerField
from pipeline.models import Opportunity
from web.serializers import ApiModelSerializer, MoneyField, WholeRowSerializer

from . import services
from .models import Installment, Payment, PaymentPlan, PaymentSource
from .selectors import BUCKETS

COLUMN_DIGITS = 14  # the amount columns: DecimalField(max_digits=14, decimal_places=2)
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def amount_field(**kwargs) -> MoneyField:
    """An amount a client writes: above zero, within the column."""
    return MoneyField(max_digits=COLUMN_DIGITS, min_value=CENT, **kwargs)


@extend_schema_field({"type": "string", "enum": PaymentSource.values}, component_name="PaymentSourceEnum")
class PaymentSourceField(serializers.ChoiceField):
    """Where a payment came from. Its own schema component: a customer's `source` is another
    choice set of the same name."""

    def __init__(self, **kwargs):
        super().__init__(choices=PaymentSource.choices, **kwargs)


class VisibleOpportunityField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return Opportunity.objects.visible_to(self.context["request"].user).select_related("customer")


# --- Payment plans ---------------------------------------------------------------------------


class InstallmentSerializer(WholeRowSerializer):
    """One agreed payment. `applied` is what the allocation put on it, `open` what is left."""

    amount = amount_field()
    applied = MoneyField(read_only=True, help_text="Paid towards it so far (oldest due first).")
    open = MoneyField(source="open_amount", read_only=True, help_text="amount − applied.")

    class Meta:
        model = Installment
        fields = ["id", "due_on", "amount", "applied", "open"]
        read_only_fields = ["id"]


class PaymentPlanSerializer(ApiModelSerializer):
    """The contract of a won opportunity and its installments, which add up exactly to
    `contract_amount`. `installments`, when sent, replaces the schedule; it can change (as can
    `contract_amount`) until money is applied to the plan, the other fields always."""

    opportunity = VisibleOpportunityField(
        help_text="A won opportunity the caller may see, without a plan yet; it cannot change later."
    )
    opportunity_title = serializers.CharField(source="opportunity.title", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    contract_amount = MoneyField(max_digits=COLUMN_DIGITS, min_value=Decimal(0))
    installments = InstallmentSerializer(
        many=True, help_text="Due date and amount of each payment, adding up to the contract amount."
    )
    applied = serializers.SerializerMethodField(help_text="Σ applied over the installments.")
    open = serializers.SerializerMethodField(help_text="Σ open over the installments.")
    editable = serializers.SerializerMethodField(
        help_text="No money applied yet: its amounts and due dates may still change."
    )
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    created_by_name = serializers.CharField(source="created_by.display_name", read_only=True, allow_null=True)

    class Meta:
        model = PaymentPlan
        fields = [
            "id",
            "opportunity",
            "opportunity_title",
            "customer",
            "customer_name",
            "contract_number",
            "contract_amount",
            "signed_on",
            "notes",
            "installments",
            "applied",
            "open",
            "editable",
            "created_by",
            "created_by_name",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["customer", "created_at", "updated_at"]

    def validate_opportunity(self, opportunity):
        return self.unchanged_on_update(opportunity, "opportunity")

    # From the installments the views prefetch: no query per plan.
    @extend_schema_field(MoneyField)
    def get_applied(self, plan: PaymentPlan) -> str:
        return MoneyField().to_representation(sum((row.applied for row in plan.installments.all()), ZERO))

    @extend_schema_field(MoneyField)
    def get_open(self, plan: PaymentPlan) -> str:
        return MoneyField().to_representation(sum((row.open_amount for row in plan.installments.all()), ZERO))

    def get_editable(self, plan: PaymentPlan) -> bool:
        return all(row.applied == 0 for row in plan.installments.all())

    def service_fields(self) -> dict:
        """The validated data as `plan_create` / `plan_update` take it."""
        fields = dict(self.validated_data)
        fields.pop("opportunity", None)
        if "installments" in fields:
            fields["installments"] = [(row["due_on"], row["amount"]) for row in fields["installments"]]
        return fields


# --- Payments --------------------------------------------------------------------------------


class PaymentSerializer(PushedRowSerializerMixin, ApiModelSerializer):
    """Money received from a customer, keyed by its external reference (the ERP's, or one made
    up when entered by hand)."""

    customer = VisibleCustomerField()
    amount = amount_field()
    source = PaymentSourceField(default=PaymentSource.MANUAL)
    applied = MoneyField(
        source="applied_amount", read_only=True, help_text="Applied to installments; the rest is credit."
    )

    class Meta:
        model = Payment
        fields = [
            "id",
            "customer",
            "reference",
            "received_on",
            "amount",
            "source",
            "notes",
            "applied",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # A known reference is an update (upsert), not a uniqueness error.
        extra_kwargs = {"reference": {"validators": []}}

    row_fields = ("customer", "reference", "received_on", "amount", "source", "notes")

    def to_row(self) -> services.PaymentRow:
        """The validated data, merged over the instance on update, as the service's input."""
        data = self.merged_data()
        return services.PaymentRow(
            customer_id=data["customer"].pk,
            reference=data["reference"],
            received_on=data["received_on"],
            amount=data["amount"],
            source=data.get("source", PaymentSource.MANUAL),
            notes=data.get("notes", ""),
        )


class PaymentBatchResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Rows with a new reference.")
    updated = serializers.IntegerField(help_text="Rows whose reference was known, now changed.")
    unchanged = serializers.IntegerField(help_text="Rows whose reference was known, sent again as they were.")


class PaymentRowErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the row in the array sent, from 0.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), help_text="Field → messages."
    )


class PaymentBatchErrorSerializer(serializers.Serializer):
    """400 of a push: one entry per bad row of an array; other refusals are field → messages."""

    errors = PaymentRowErrorSerializer(many=True, required=False)


# --- A customer's receivables ----------------------------------------------------------------


class AgingSerializer(serializers.Serializer):
    """Open amounts by days past due d (today − due date)."""

    not_due = MoneyField(help_text="d ≤ 0.")
    days_1_30 = MoneyField(help_text="1 ≤ d ≤ 30.")
    days_31_60 = MoneyField(help_text="31 ≤ d ≤ 60.")
    days_61_90 = MoneyField(help_text="61 ≤ d ≤ 90.")
    over_90 = MoneyField(help_text="d > 90.")

    def to_representation(self, instance):
        return {
            bucket.key: MoneyField().to_representation(getattr(instance, bucket.key)) for bucket in BUCKETS
        }


class InstallmentLineSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="installment.pk")
    due_on = serializers.DateField(source="installment.due_on")
    amount = MoneyField(source="installment.amount")
    applied = MoneyField(source="installment.applied")
    open = MoneyField()
    overdue = serializers.BooleanField(help_text="Past its due date with money open.")
    days_past_due = serializers.IntegerField(help_text="today − due date; negative before it is due.")


class PlanLineSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="plan.pk")
    opportunity = serializers.IntegerField(source="plan.opportunity_id")
    opportunity_title = serializers.CharField(source="plan.opportunity.title")
    contract_number = serializers.CharField(source="plan.contract_number")
    contract_amount = MoneyField(source="contracted")
    signed_on = serializers.DateField(source="plan.signed_on", allow_null=True)
    applied = MoneyField()
    open = MoneyField()
    overdue = MoneyField()
    editable = serializers.BooleanField()
    installments = InstallmentLineSerializer(many=True)


class PaymentLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    received_on = serializers.DateField()
    amount = MoneyField()
    source = PaymentSourceField()
    applied = MoneyField(source="applied_amount")
    unapplied = MoneyField(source="unapplied_amount", help_text="Not applied to any installment: credit.")


class ReceivablesSerializer(serializers.Serializer):
    """What a customer was to pay, what came in and what is late, today."""

    customer = serializers.IntegerField(source="customer.pk")
    today = serializers.DateField(help_text="The day overdue and aging are counted for.")
    contracted = MoneyField(help_text="Σ contract amounts of the customer's plans.")
    received = MoneyField(help_text="Σ payments.")
    applied = MoneyField(help_text="Σ applied to installments.")
    open = MoneyField(help_text="Σ open over the installments.")
    overdue = MoneyField(help_text="Open and past due.")
    credit = MoneyField(help_text="received − applied: paid ahead, for the next installment that falls due.")
    credit_risk = serializers.BooleanField(help_text="Money open more than 30 days past due (风险: credit).")
    oldest_open_due_on = serializers.DateField(allow_null=True)
    aging = AgingSerializer()
    plans = PlanLineSerializer(many=True)
    payments = PaymentLineSerializer(many=True)


REFERENCE_TAKEN = _("A payment with this reference already exists.")
