"""The JSON shape of the service policies."""

from rest_framework import serializers

from web.serializers import ApiModelSerializer

from .models import ServicePolicy

CADENCE_HELP = "Days between two of them; null: not required."


class ServicePolicySerializer(ApiModelSerializer):
    """One tier's service level. A field left out of a PUT keeps its value."""

    updated_by_name = serializers.SerializerMethodField(help_text="Who changed it last, as KAM names people.")

    class Meta:
        model = ServicePolicy
        fields = [
            "tier",
            "visit_days",
            "executive_days",
            "review_days",
            "updated_at",
            "updated_by",
            "updated_by_name",
        ]
        read_only_fields = ["tier", "updated_at", "updated_by"]
        extra_kwargs = {
            "visit_days": {
                "help_text": "In-person visits (visit, site visit, executive meeting). " + CADENCE_HELP
            },
            "executive_days": {"help_text": "Executive meetings (高层拜访). " + CADENCE_HELP},
            "review_days": {"help_text": "Account reviews (定期评估). " + CADENCE_HELP},
        }

    def get_updated_by_name(self, policy: ServicePolicy) -> str | None:
        return policy.updated_by.display_name if policy.updated_by_id else None
