from rest_framework import serializers

from .models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    changes = serializers.JSONField(
        help_text="Field → [old, new]; a to-many field → {added: [...], removed: [...]}; "
        "a foreign key's value is {id, label}."
    )

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor",
            "actor_name",
            "source",
            "origin",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "customer_id",
            "changes",
        ]
        read_only_fields = fields
