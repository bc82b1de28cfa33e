"""The JSON shape of account reviews (大客户定期评估) and their agreed actions, and the checks on
what comes in.

Serializers validate and shape; the writes are `servicing.services` calls made by the views in
`servicing/review_api.py`. The customer is looked up among those the caller may see (any other
id "does not exist", 400); whether an action's owner may own it is the service's rule (they
must see the customer).
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import VisibleCustomerField
from pipeline.models import AccountPlan, PlanObjective
from users.models import User
from web.filters import BIGINT_MAX
from web.serializers import ApiModelSerializer, MoneyField, WholeRowSerializer

from .models import AccountReview, ReviewAction
from .selectors import plans_overlapping
from .services import ActionRow


class ReviewActionSerializer(WholeRowSerializer):
    """An action agreed in the review. Send `id` to keep and change one of the review's
    actions (its done time stays); leave it out for a new one; actions left out are deleted."""

    id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=BIGINT_MAX,
        help_text="An action of this review, to keep it; none for a new action.",
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        required=False,
        allow_null=True,
        help_text="A user who sees the customer (its owner, account team, their managers, admins); "
        "an owner the action already has may stay.",
    )
    owner_name = serializers.CharField(source="owner.display_name", read_only=True, allow_null=True)
    due_on = serializers.DateField(
        required=False, allow_null=True, help_text="Optional; not before the review's date."
    )
    done_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When it was ticked off (POST /api/v1/review-actions/{id}/done/).",
    )

    class Meta:
        model = ReviewAction
        fields = ["id", "description", "owner", "owner_name", "due_on", "done_at"]


class PlanObjectiveTargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanObjective
        fields = ["description", "target", "actual", "unit"]
        read_only_fields = fields


class PlanTargetsSerializer(serializers.ModelSerializer):
    """An account plan overlapping the review's period, with its objectives' targets."""

    objectives = PlanObjectiveTargetSerializer(many=True, read_only=True)

    class Meta:
        model = AccountPlan
        fields = ["id", "title", "period_start", "period_end", "objectives"]
        read_only_fields = fields


class AccountReviewSerializer(ApiModelSerializer):
    """A periodic review of a customer (大客户定期评估). `actions`, when sent, become the review's
    actions; left out, they stay as they are. The period's results are computed from the
    customer's transactions, beside the account plans that overlap the period."""

    customer = VisibleCustomerField(help_text="A customer the caller may see; it cannot change later.")
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    actions = ReviewActionSerializer(many=True, required=False)
    period_sales = MoneyField(
        read_only=True, help_text="Σ amount of the customer's transactions dated in the period (both ends)."
    )
    period_margin = MoneyField(read_only=True, help_text="Σ gross margin of those transactions.")
    period_orders = serializers.IntegerField(read_only=True, help_text="How many transactions.")
    open_action_count = serializers.IntegerField(read_only=True, help_text="Actions not done yet.")
    plans = serializers.SerializerMethodField(
        help_text="The customer's account plans overlapping the period, latest first, with their "
        "objectives' targets and actuals."
    )
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    created_by_name = serializers.CharField(source="created_by.display_name", read_only=True, allow_null=True)

    class Meta:
        model = AccountReview
        fields = [
            "id",
            "customer",
            "customer_name",
            "reviewed_on",
            "period_start",
            "period_end",
            "period_sales",
            "period_margin",
            "period_orders",
            "plans",
            "potential",
            "problems",
            "relationship_health",
            "summary",
            "actions",
            "open_action_count",
            "created_by",
            "created_by_name",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            "reviewed_on": {"help_text": "The day of the review; not in the future."},
            "relationship_health": {"help_text": "1–5, or null."},
        }

    @extend_schema_field(PlanTargetsSerializer(many=True))
    def get_plans(self, review: AccountReview) -> list:
        # From the plans the view loaded with the customers (`plans_loaded`): no query per row.
        plans = plans_overlapping(
            review.customer.plans_loaded, start=review.period_start, end=review.period_end
        )
        return PlanTargetsSerializer(plans, many=True).data

    def validate_customer(self, customer):
        return self.unchanged_on_update(customer, "customer")

    def validate(self, attrs):
        start = attrs.get("period_start", getattr(self.instance, "period_start", None))
        end = attrs.get("period_end", getattr(self.instance, "period_end", None))
        if start is not None and end is not None and end < start:
            raise serializers.ValidationError({"period_end": [_("The period cannot end before it starts.")]})
        return attrs

    @staticmethod
    def action_rows(rows: list[dict]) -> list[ActionRow]:
        return [
            ActionRow(
                id=row.get("id"),
                description=row["description"],
                owner=row.get("owner"),
                due_on=row.get("due_on"),
            )
            for row in rows
        ]


class ReviewActionItemSerializer(serializers.ModelSerializer):
    """An agreed action with the review and customer it belongs to (the list of actions)."""

    owner_name = serializers.CharField(source="owner.display_name", read_only=True, allow_null=True)
    customer = serializers.IntegerField(source="review.customer_id", read_only=True)
    customer_name = serializers.CharField(source="review.customer.name", read_only=True)

    class Meta:
        model = ReviewAction
        fields = [
            "id",
            "review",
            "customer",
            "customer_name",
            "description",
            "owner",
            "owner_name",
            "due_on",
            "done_at",
            "created_at",
        ]
        read_only_fields = fields
