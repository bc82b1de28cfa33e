"""The transactional outbox and where its events go.

An Event row is written by `events.outbox.emit` inside the transaction of the change it
announces, so nothing is announced that did not happen and nothing that happened is lost if a
process dies after the commit. After the commit a Celery task fans it out into one Delivery per
matching active WebhookSubscription and sends them; a periodic sweep picks up what was never
dispatched or is due for a retry. Each delivery is made at least once: receivers de-duplicate by
the event's id.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from audit.models import Audited
from web.text import CleanText

from .ssrf import validate_target_url
from .types import EventType


class Event(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(_("type"), max_length=40, choices=EventType.choices)
    # Only the primary key and the partial "undispatched" index (the sweep's): nothing reads
    # events by customer or type, and every index costs a scoring run's tier-change insert
    # (docs/benchmarks.md). Add one with the read that needs it.
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # The ids and changed values (never a contact's personal profile): the envelope's `data`.
    data = models.JSONField(_("data"), default=dict)
    # Plain ids, not foreign keys: events sit below the apps that emit them, and outlive rows.
    customer_id = models.BigIntegerField(null=True, blank=True)
    # Users the event concerns (e.g. the customer's owner), for notifications.
    audience = models.JSONField(default=list, blank=True)
    # Set once the event has been fanned out into deliveries (and notifications).
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(dispatched_at__isnull=True), name="event_undispatched"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class WebhookFormat(models.TextChoices):
    JSON = "json", _("JSON (signed)")
    WECOM = "wecom", _("WeCom group bot (企业微信)")
    DINGTALK = "dingtalk", _("DingTalk custom robot (钉钉)")
    FEISHU = "feishu", _("Feishu / Lark custom bot (飞书)")


class WebhookSubscription(CleanText, Audited, models.Model):
    name = models.CharField(_("name"), max_length=100)
    target_url = models.URLField(
        _("target URL"), max_length=500, validators=[validate_target_url], help_text=_("http or https.")
    )
    event_types = models.JSONField(_("event types"), default=list)
    format = models.CharField(
        _("format"), max_length=10, choices=WebhookFormat.choices, default=WebhookFormat.JSON
    )
    # Signs JSON deliveries (HMAC-SHA256, generated, shown once) and the DingTalk / Feishu bots'
    # requests (issued by the bot's platform, optional).
    secret = models.CharField(_("secret"), max_length=200, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    disabled_reason = models.CharField(_("why disabled"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        unknown = sorted(set(self.event_types or ()) - set(EventType.values))
        if not isinstance(self.event_types, list) or unknown:
            raise ValidationError(
                {"event_types": _("Unknown event types: %s") % ", ".join(map(str, unknown))}
            )


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RETRYING = "retrying", _("Retrying")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One event to one subscription, attempted until it succeeds or runs out of retries."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    last_error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="delivery_one_per_event")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "retrying"]),
                name="delivery_due",
            ),
            models.Index(fields=["subscription", "-created_at"], name="delivery_subscription_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.subscription_id} ({self.status})"


class DeliveryAttempt(models.Model):
    """The delivery log: one row per attempt."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField(_("attempt"))
    at = models.DateTimeField(_("at"), auto_now_add=True)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"


class NotificationKind(models.TextChoices):
    TIER_CHANGED = "tier_changed", _("Account tier changed")
    GATE_OVERRIDE = "gate_override", _("Stage gate overridden")
    INSTALLMENT_OVERDUE = "installment_overdue", _("Installment overdue")
    FOLLOW_UP_DUE = "follow_up_due", _("Follow-up due")


class NotificationQuerySet(models.QuerySet):
    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """Something one person should know: a row per user, made from an event for its audience
    (`event` set) or by a daily check (follow-ups falling due: `event` empty, `object_key` and
    `day` make it once a day). Stored as a kind and its parameters and rendered in the reader's
    language (events.notifications.render)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    # What it is about ("customer:12", "visit:34") and the local day it was made for.
    object_key = models.CharField(max_length=60, blank=True)
    day = models.DateField()
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # Set once a daily digest e-mail has carried it: no notification is mailed twice.
    emailed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event"], condition=Q(event__isnull=False), name="notification_once_per_event"
            ),
            models.UniqueConstraint(
                fields=["user", "kind", "object_key", "day"],
                condition=Q(event__isnull=True),
                name="notification_once_per_day",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="notification_list"),
            # The bell's COUNT: an index of the unread rows only.
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id}"
