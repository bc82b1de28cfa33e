from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Notification
from .notifications import render


class NotificationSerializer(serializers.ModelSerializer):
    text = serializers.SerializerMethodField(help_text="The notification in the request's language.")
    params = serializers.DictField(
        read_only=True, help_text="The kind's parameters (ids, names, tiers, stages)."
    )
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "text", "params", "url", "event", "created_at", "read_at", "is_read"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_text(self, notification: Notification) -> str:
        return render(notification.kind, notification.params)

    @extend_schema_field(serializers.BooleanField())
    def get_is_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField(read_only=True, help_text="How many notifications were unread.")


class NotificationSettingsSerializer(serializers.Serializer):
    digest_enabled = serializers.BooleanField(help_text="Whether the daily digest e-mail is sent.")
    unread = serializers.IntegerField(read_only=True, help_text="Unread notifications (the bell).")
