"""The JSON shape of opportunities, their gates and history, the forecast and account plans,
and the checks on what comes in.

Serializers validate and shape; the writes are `pipeline.services` calls made by the views in
`pipeline/api.py`. Customer ids are looked up among the customers the caller may see and
owners among the users they may assign, so any other id "does not exist" (400). Text fields
refuse NUL characters (DRF's CharField does), which PostgreSQL cannot store.
"""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import AccountTeamMemberField, AssignableOwnerField, VisibleCustomerField
from web.serializers import ApiModelSerializer, BlankAsNullChoiceField, MoneyField, WholeRowSerializer

from .models import (
    AccountPlan,
    ActionStatus,
    GateRule,
    Opportunity,
    PlanAction,
    PlanObjective,
    Stage,
    StageChange,
    StageGateItem,
)

# --- Fields ----------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "enum": Stage.values}, component_name="StageEnum")
class StageField(serializers.ChoiceField):
    """A stage. One schema component whatever the field is called (stage, to, from_stage…):
    drf-spectacular would otherwise name the same choice set once per field name."""

    def __init__(self, **kwargs):
        super().__init__(choices=Stage.choices, **kwargs)

    def to_representation(self, value):
        return None if value in ("", None) else super().to_representation(value)


@extend_schema_field({"type": "string", "enum": ActionStatus.values}, component_name="ActionStatusEnum")
class ActionStatusField(serializers.ChoiceField):
    """An action's status, named apart from the other choice sets called "status" (customers, runs)."""

    def __init__(self, **kwargs):
        super().__init__(choices=ActionStatus.choices, **kwargs)


# --- Opportunities ---------------------------------------------------------------------------

STAGE_NOT_WRITABLE = _(
    "The stage changes only by a move: POST /api/v1/opportunities/{id}/move/ (or …/lose/)."
)


class OpportunitySerializer(ApiModelSerializer):
    """An opportunity (开发项目/商机). Its stage is read-only here: it moves through the gates
    with POST …/move/ and …/lose/."""

    customer = VisibleCustomerField(help_text="A customer the caller may see; it cannot change later.")
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    owner = AssignableOwnerField(
        required=False,
        help_text="Defaults to the caller. A rep may only assign themselves, a manager the members "
        "of their teams.",
    )
    owner_name = serializers.CharField(source="owner.display_name", read_only=True, allow_null=True)
    stage = StageField(
        read_only=True,
        help_text="Read-only: sending a stage other than the current one is a 400; use …/move/.",
    )
    probability = serializers.IntegerField(
        min_value=0,
        max_value=100,
        required=False,
        allow_null=True,
        help_text="Win probability in percent. A number sets it by hand (it then stays through "
        "moves until won or lost); null follows the stage's default again. Sending back the "
        "stage default it already follows changes nothing.",
    )
    weighted_amount = MoneyField(read_only=True, help_text="expected_amount × probability / 100.")
    is_overdue = serializers.BooleanField(
        read_only=True,
        help_text="Open, and its expected close date is before today (the site's time zone).",
    )

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "customer",
            "customer_name",
            "title",
            "expected_amount",
            "stage",
            "probability",
            "probability_overridden",
            "weighted_amount",
            "expected_close_on",
            "is_overdue",
            "owner",
            "owner_name",
            "obstacles",
            "expected_cost",
            "development_plan",
            "lost_reason",
            "stage_entered_at",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "probability_overridden",
            "lost_reason",
            "stage_entered_at",
            "closed_at",
            "created_at",
            "updated_at",
        ]

    def to_internal_value(self, data):
        # The stage is read-only, but a client that sends one expects it applied: refuse a
        # different value instead of silently ignoring it (the current one may be sent back).
        errors = {}
        try:
            attrs = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if not isinstance(error.detail, Mapping):
                raise
            errors = dict(error.detail)
        if isinstance(data, Mapping) and "stage" in data:
            current = self.instance.stage if isinstance(self.instance, Opportunity) else Stage.TARGET
            if data["stage"] != current:
                errors["stage"] = [STAGE_NOT_WRITABLE]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def validate_customer(self, customer):
        return self.unchanged_on_update(customer, "customer")

    def validate(self, attrs):
        opportunity = self.instance
        if (
            opportunity is not None
            and not opportunity.probability_overridden
            and attrs.get("probability") == opportunity.probability
        ):
            # What GET gave, sent back (a PUT): not a probability set by hand.
            del attrs["probability"]
        return attrs


class MoveSerializer(serializers.Serializer):
    to = StageField(
        help_text="The next stage (won only from closing), or lost from any open stage.",
    )
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Managers and admins: why the unmet gate is skipped (recorded with the move).",
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="Required when `to` is lost."
    )


class LoseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why the opportunity was lost (无则终止…).")


class GateItemSerializer(serializers.Serializer):
    """One item of a stage's gate checklist (`services.GateItemStatus`)."""

    id = serializers.IntegerField(source="item_id")
    label = serializers.CharField()
    rule = BlankAsNullChoiceField(
        choices=GateRule.choices,
        read_only=True,
        help_text="What meets the item from the data; null: ticked by hand (POST …/gate/).",
    )
    met = serializers.BooleanField()
    checked = serializers.BooleanField(help_text="Ticked by hand.")


class GateSerializer(serializers.Serializer):
    """The gate of the opportunity's current stage: what must be met to move on."""

    stage = StageField()
    next_stage = StageField(allow_null=True, help_text="Where …/move/ can take it (null once closed).")
    met = serializers.BooleanField(help_text="Every item is met: a move needs no override.")
    items = GateItemSerializer(many=True)


class GateCheckSerializer(serializers.Serializer):
    item = serializers.PrimaryKeyRelatedField(
        queryset=StageGateItem.objects.filter(is_active=True),
        help_text="The id of a hand-checked item of the current stage's gate.",
    )
    checked = serializers.BooleanField(help_text="true ticks the item, false unticks it.")


class MoveRefusedSerializer(serializers.Serializer):
    """400 of a move: field → messages, as everywhere; when the gate is not met, also its unmet
    items (only then are `unmet_items` and `unmet_gate_items` present)."""

    to = serializers.ListField(child=serializers.CharField(), required=False)
    unmet_items = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Labels of the unmet items."
    )
    unmet_gate_items = GateItemSerializer(
        many=True, required=False, help_text="The unmet items with their ids, to tick."
    )


class StageChangeSerializer(serializers.ModelSerializer):
    from_stage = StageField(read_only=True, allow_null=True, help_text="null: the opportunity was created.")
    to_stage = StageField(read_only=True)
    by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    by_name = serializers.CharField(source="by.display_name", read_only=True, allow_null=True)
    unmet_items = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="The gate items an override skipped."
    )

    class Meta:
        model = StageChange
        fields = [
            "from_stage",
            "to_stage",
            "by",
            "by_name",
            "at",
            "override_reason",
            "unmet_items",
            "days_in_stage",
        ]
        read_only_fields = fields


# --- Forecast --------------------------------------------------------------------------------


class PipelineTotalsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    amount = MoneyField(help_text="Σ expected amount (CNY).")
    weighted = MoneyField(help_text="Σ expected amount × probability (CNY).")


class ForecastMonthSerializer(PipelineTotalsSerializer):
    month = serializers.DateField(
        allow_null=True, help_text="First day of the expected close month; null: no date."
    )


class ForecastOwnerSerializer(PipelineTotalsSerializer):
    owner = serializers.IntegerField(allow_null=True, help_text="The owner's user id.")
    username = serializers.CharField(allow_null=True)
    owner_name = serializers.CharField(help_text='The owner\'s name as people know it; "": no owner.')


class ForecastTeamSerializer(PipelineTotalsSerializer):
    team = serializers.IntegerField()
    name = serializers.CharField()


def days(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True, **kwargs)


class DaysInStageSerializer(serializers.Serializer):
    """One key per open stage; null: nothing has left that stage yet."""

    target = days()
    information = days()
    evaluation = days()
    relationship = days()
    closing = days()


class ForecastSerializer(serializers.Serializer):
    """The weighted pipeline of the open opportunities the caller may see, and how deals end.

    Every open opportunity is counted in exactly one of `overdue` and the rows of `by_month`,
    so `open` = `overdue` + Σ `by_month` (count, amount and weighted alike)."""

    open = PipelineTotalsSerializer(help_text="The open opportunities.")
    overdue = PipelineTotalsSerializer(
        help_text="The open opportunities whose expected close date is before today; not in by_month."
    )
    by_month = ForecastMonthSerializer(
        many=True,
        help_text="The other open opportunities by month of expected close, from this month on; "
        "the row with a null month: no expected close date.",
    )
    by_owner = ForecastOwnerSerializer(many=True)
    by_team = ForecastTeamSerializer(
        many=True, help_text="By the owner's teams (an owner in two teams counts in both)."
    )
    won = serializers.IntegerField()
    lost = serializers.IntegerField()
    win_rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, allow_null=True, help_text="won / (won + lost) in percent."
    )
    avg_days_in_stage = DaysInStageSerializer(help_text="Average days spent in each open stage.")


# --- Account plans ---------------------------------------------------------------------------


class PlanObjectiveSerializer(WholeRowSerializer):
    class Meta:
        model = PlanObjective
        fields = ["description", "target", "actual", "unit"]


class PlanActionSerializer(WholeRowSerializer):
    owner = AccountTeamMemberField(required=False, allow_null=True, help_text="An active user's id.")
    owner_name = serializers.CharField(source="owner.display_name", read_only=True, allow_null=True)
    status = ActionStatusField(required=False)

    class Meta:
        model = PlanAction
        fields = ["description", "owner", "owner_name", "due_on", "status"]


class AccountPlanSerializer(ApiModelSerializer):
    """A joint business plan (联合生意计划). `objectives` and `actions`, when sent, replace the
    plan's lists; left out, they stay as they are."""

    customer = VisibleCustomerField(help_text="A customer the caller may see; it cannot change later.")
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    created_by_name = serializers.CharField(source="created_by.display_name", read_only=True, allow_null=True)
    objectives = PlanObjectiveSerializer(many=True, required=False)
    actions = PlanActionSerializer(many=True, required=False)

    class Meta:
        model = AccountPlan
        fields = [
            "id",
            "customer",
            "customer_name",
            "title",
            "period_start",
            "period_end",
            "step",
            "summary",
            "objectives",
            "actions",
            "created_by",
            "created_by_name",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate_customer(self, customer):
        return self.unchanged_on_update(customer, "customer")

    def validate(self, attrs):
        start = attrs.get("period_start", getattr(self.instance, "period_start", None))
        end = attrs.get("period_end", getattr(self.instance, "period_end", None))
        if start is not None and end is not None and end < start:
            raise serializers.ValidationError({"period_end": [_("The period cannot end before it starts.")]})
        return attrs
