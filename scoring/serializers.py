from datetime import date

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Tier
from web.serializers import MoneyField

from .models import ScoringModel, ScoringRun

# Dates a run or a dashboard period may use: the calculations step a year back and a day on
# from them, which must stay inside Python's calendar (years 1 to 9999).
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)


def within_calendar(value: date) -> None:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        message = _("Enter a date between %(earliest)s and %(latest)s.")
        raise serializers.ValidationError(message % {"earliest": EARLIEST_DATE, "latest": LATEST_DATE})


class ScoringRunSerializer(serializers.ModelSerializer):
    model_version = serializers.IntegerField(source="model.version", read_only=True)
    started_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    started_by_name = serializers.CharField(source="started_by.display_name", read_only=True, allow_null=True)

    class Meta:
        model = ScoringRun
        fields = [
            "id",
            "status",
            "progress",
            "model_version",
            "as_of",
            "customers_scored",
            "tier_changes",
            "started_by",
            "started_by_name",
            "trigger",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
            "error",
        ]
        read_only_fields = fields


class RunRequestSerializer(serializers.Serializer):
    as_of = serializers.DateField(
        required=False, validators=[within_calendar], help_text="Score as of this date (default: today)."
    )


class ScoringModelSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    created_by_name = serializers.CharField(source="created_by.display_name", read_only=True, allow_null=True)

    class Meta:
        model = ScoringModel
        fields = [
            "version",
            "is_active",
            "note",
            "created_by",
            "created_by_name",
            "created_at",
            *ScoringModel.SETTING_FIELDS,
        ]
        read_only_fields = ["version", "is_active", "created_by", "created_at"]


class ScoringSettingsSerializer(serializers.ModelSerializer):
    """Settings for a new version or a preview: every field optional, validated like the model."""

    class Meta:
        model = ScoringModel
        fields = ["note", *ScoringModel.SETTING_FIELDS]
        extra_kwargs = {name: {"required": False} for name in fields}


class PreviewSerializer(serializers.Serializer):
    customers = serializers.IntegerField()
    would_change_tier = serializers.IntegerField()
    upgrades = serializers.IntegerField()
    downgrades = serializers.IntegerField()
    tier_counts = serializers.DictField(child=serializers.IntegerField())
    key_accounts = serializers.IntegerField()


class ShareSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    revenue = MoneyField()
    revenue_share = serializers.DecimalField(max_digits=6, decimal_places=2, help_text="percent")


class TierSharesSerializer(serializers.Serializer):
    platinum = ShareSerializer()
    gold = ShareSerializer()
    iron = ShareSerializer()
    lead = ShareSerializer()


class AbcSharesSerializer(serializers.Serializer):
    A = ShareSerializer()
    B = ShareSerializer()
    C = ShareSerializer()


class ConcentrationSerializer(serializers.Serializer):
    top1_share = serializers.DecimalField(max_digits=6, decimal_places=2)
    top10_share = serializers.DecimalField(max_digits=6, decimal_places=2)
    hhi = serializers.DecimalField(max_digits=8, decimal_places=2)
    warnings = serializers.ListField(child=serializers.ChoiceField(choices=["top1", "top10", "hhi"]))


class SummarySerializer(serializers.Serializer):
    customers = serializers.IntegerField()
    scored = serializers.IntegerField()
    key_accounts = serializers.IntegerField()
    revenue_12m = MoneyField()
    tiers = TierSharesSerializer()
    abc = AbcSharesSerializer()
    concentration = ConcentrationSerializer()


class ScoreHistorySerializer(serializers.Serializer):
    run = serializers.IntegerField()
    as_of = serializers.DateField()
    scored_at = serializers.DateTimeField(allow_null=True)
    score = serializers.DecimalField(max_digits=5, decimal_places=2)
    fit_score = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        help_text="Experience method 经历推算法, 0–100; null for runs made before it existed.",
    )
    rank = serializers.IntegerField()
    tier = serializers.CharField()
    abc_class = serializers.CharField()
    is_key_account = serializers.BooleanField()
    sales_12m = MoneyField()
    tier_move = serializers.CharField(help_text="upgrade, downgrade or empty")


class DashboardFilterSerializer(serializers.Serializer):
    """Query parameters shared by every dashboard endpoint."""

    team = serializers.IntegerField(
        required=False, min_value=1, help_text="only customers owned by this team's members"
    )
    region = serializers.CharField(required=False, allow_blank=True, max_length=50)
    industry = serializers.CharField(required=False, allow_blank=True, max_length=50)
    start = serializers.DateField(
        required=False,
        validators=[within_calendar],
        help_text="period start (activity); default 30 days before end",
    )
    end = serializers.DateField(
        required=False, validators=[within_calendar], help_text="period end; default today"
    )
    download = serializers.ChoiceField(
        choices=["csv"], required=False, help_text="csv: the chart's table as CSV"
    )

    def validate(self, data):
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise serializers.ValidationError({"end": ["The period must end on or after its start."]})
        return data


# --- The dashboard's coverage panel (GET /api/v1/dashboard/coverage/) ------------------------


class CoverageCountsSerializer(serializers.Serializer):
    customers = serializers.IntegerField()
    on_track = serializers.IntegerField()
    due = serializers.IntegerField()
    overdue = serializers.IntegerField()
    compliance = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        help_text="Percent not overdue; null with no customers.",
    )


class CoverageTierSerializer(CoverageCountsSerializer):
    tier = serializers.ChoiceField(
        Tier.choices, allow_null=True, help_text="null: customers not tiered yet (they follow lead)."
    )


class CoverageRepSerializer(CoverageCountsSerializer):
    owner = serializers.IntegerField(allow_null=True, help_text="The owner's user id; null: no owner.")
    owner__username = serializers.CharField(allow_null=True)
    owner_name = serializers.CharField()


class OverdueAccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    tier = serializers.ChoiceField(
        Tier.choices, allow_null=True, help_text="null: not tiered yet (follows lead)."
    )
    owner__username = serializers.CharField(allow_null=True)
    owner_name = serializers.CharField()
    requirement = serializers.ChoiceField(
        ["visit", "executive", "review"], help_text="The requirement that drives it (the one due first)."
    )
    last_on = serializers.DateField(allow_null=True, help_text="The last one; null: never.")
    next_due_on = serializers.DateField(allow_null=True, help_text="When it fell due; null: never done.")
    days_overdue = serializers.IntegerField(allow_null=True, help_text="null: never done.")


class CoveragePanelSerializer(serializers.Serializer):
    """Compliance (the share of customers not overdue) per tier and per rep, and the overdue
    accounts, most overdue first (`rows`, also the CSV; the JSON lists the first 100)."""

    as_of = serializers.DateField()
    total = CoverageCountsSerializer()
    tiers = CoverageTierSerializer(many=True)
    reps = CoverageRepSerializer(many=True)
    overdue_count = serializers.IntegerField()
    rows = OverdueAccountSerializer(many=True)


# --- The dashboard's aging panel (GET /api/v1/dashboard/aging/) ------------------------------


class AgingAmountsSerializer(serializers.Serializer):
    """Open amounts (CNY) by days past due today."""

    not_due = MoneyField(help_text="Not yet due.")
    days_1_30 = MoneyField(help_text="1–30 days past due.")
    days_31_60 = MoneyField(help_text="31–60 days past due.")
    days_61_90 = MoneyField(help_text="61–90 days past due.")
    over_90 = MoneyField(help_text="More than 90 days past due.")
    open = MoneyField(help_text="Everything open.")
    overdue = MoneyField(help_text="Everything open past its due date.")


class AgingGroupSerializer(AgingAmountsSerializer):
    credit_risk = serializers.BooleanField(help_text="Money open more than 30 days past due.")


class AgingTeamSerializer(AgingGroupSerializer):
    team = serializers.IntegerField(
        allow_null=True,
        help_text="The team's id; null: owners in no team. An owner in two teams counts in both.",
    )
    team_name = serializers.CharField()


class AgingRepSerializer(AgingGroupSerializer):
    owner = serializers.IntegerField(allow_null=True, help_text="The owner's user id; null: no owner.")
    owner_name = serializers.CharField()


class AgingCustomerSerializer(AgingGroupSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    owner = serializers.IntegerField(allow_null=True)
    owner_name = serializers.CharField()


class AgingPanelSerializer(serializers.Serializer):
    """Open receivables by aging bucket: the total, per team, per rep and per customer (`rows`,
    most overdue first; the JSON lists the first 20, the CSV every one)."""

    as_of = serializers.DateField()
    total = AgingAmountsSerializer()
    customers_count = serializers.IntegerField(help_text="Customers with money open.")
    teams = AgingTeamSerializer(many=True)
    reps = AgingRepSerializer(many=True)
    rows = AgingCustomerSerializer(many=True)
