"""API shapes of webhook subscriptions and their delivery log."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from web.serializers import ApiModelSerializer
from web.text import NoControlCharacters

from .models import Delivery, DeliveryAttempt, WebhookFormat, WebhookSubscription
from .types import EventType


class WebhookSubscriptionSerializer(ApiModelSerializer):
    """A subscription. `secret` is write-only: a JSON subscription's is generated and returned
    by the create call only; a group bot's (钉钉 加签, 飞书 签名校验) is the one its platform issued,
    optional. `format` is chosen at creation and then stays."""

    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices), allow_empty=False, max_length=20
    )
    secret = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=200,
        validators=[NoControlCharacters()],
        help_text="Only for the 钉钉 / 飞书 bots: the signing secret their platform issued.",
    )
    has_secret = serializers.SerializerMethodField()

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "name",
            "target_url",
            "format",
            "event_types",
            "is_active",
            "secret",
            "has_secret",
            "consecutive_failures",
            "disabled_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["consecutive_failures", "disabled_reason", "created_at", "updated_at"]

    @extend_schema_field(serializers.BooleanField())
    def get_has_secret(self, obj) -> bool:
        return bool(obj.secret)

    def validate_format(self, value):
        return self.unchanged_on_update(value, "format")

    def validate(self, attrs):
        fmt = attrs.get("format", getattr(self.instance, "format", WebhookFormat.JSON))
        if attrs.get("secret") and fmt in (WebhookFormat.JSON, WebhookFormat.WECOM):
            raise serializers.ValidationError(
                {"secret": _("Only the DingTalk and Feishu bots take a secret; a JSON one is generated.")}
            )
        return attrs


class WebhookSubscriptionCreatedSerializer(WebhookSubscriptionSerializer):
    """The creation's answer: the subscription with its secret, shown this once."""

    secret = serializers.CharField(read_only=True, help_text="Shown this once; store it now.")

    class Meta(WebhookSubscriptionSerializer.Meta):
        read_only_fields = WebhookSubscriptionSerializer.Meta.fields


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["number", "at", "response_code", "duration_ms", "error"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    """One event to one subscription: its state and every attempt."""

    event_type = serializers.CharField(source="event.type", read_only=True)
    attempt_log = DeliveryAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "subscription",
            "event",
            "event_type",
            "status",
            "attempts",
            "next_attempt_at",
            "last_response_code",
            "last_duration_ms",
            "last_error",
            "created_at",
            "updated_at",
            "attempt_log",
        ]
        read_only_fields = fields
