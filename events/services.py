"""Writes of webhook subscriptions and deliveries (admins only: the callers check).

A JSON subscription's secret is generated here and returned once, by `subscription_create`; the
group bots' secrets are the ones their platform issued (钉钉 加签 "SEC…", 飞书 签名校验), entered by
the admin, and optional (a bot may be secured by keyword or IP list instead).
"""

from __future__ import annotations

import logging
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Delivery, DeliveryStatus, WebhookFormat, WebhookSubscription

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def subscription_create(
    *,
    name: str,
    target_url: str,
    event_types: list[str],
    format: str = WebhookFormat.JSON,
    secret: str = "",
    is_active: bool = True,
    by=None,
) -> WebhookSubscription:
    """The new subscription; its `secret` is in the returned object (show it this once)."""
    if format == WebhookFormat.JSON or not secret:
        secret = new_secret() if format == WebhookFormat.JSON else ""
    return WebhookSubscription.objects.create(
        name=name,
        target_url=target_url,
        event_types=sorted(set(event_types)),
        format=format,
        secret=secret,
        is_active=is_active,
        created_by=by if getattr(by, "pk", None) else None,
    )


def subscription_update(*, subscription: WebhookSubscription, by=None, **changes) -> WebhookSubscription:
    """Change name, target, event types, the active flag, or a bot's secret. Activating a
    disabled subscription clears why it was disabled and its failure count."""
    secret = changes.pop("secret", None)
    if secret is not None and subscription.format != WebhookFormat.JSON:
        subscription.secret = secret
    if "event_types" in changes:
        changes["event_types"] = sorted(set(changes["event_types"]))
    for name, value in changes.items():
        setattr(subscription, name, value)
    if changes.get("is_active"):
        subscription.disabled_reason = ""
        subscription.consecutive_failures = 0
    subscription.save()
    return subscription


def delivery_replay(*, delivery: Delivery, by=None) -> Delivery:
    """Send the delivery again now (whatever its status): one more attempt, and more retries
    only if its schedule has any left. The subscription must be active."""
    from .tasks import queue_send  # noqa: PLC0415 - tasks import Celery

    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(), updated_at=timezone.now()
        )
        pk = delivery.pk
        transaction.on_commit(lambda: queue_send(pk))
    delivery.refresh_from_db()
    return delivery


def tell_admins_disabled(subscription: WebhookSubscription) -> int:
    """E-mail the active admins that the subscription was disabled; how many were written to."""
    from users.models import Role  # noqa: PLC0415

    recipients = list(
        get_user_model()
        .objects.filter(is_active=True, role=Role.ADMIN)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not recipients:
        return 0
    subject = _("KAM: webhook “%(name)s” was disabled") % {"name": subscription.name}
    body = _(
        "The webhook subscription “%(name)s” (%(url)s) was disabled: %(reason)s\n\n"
        "Fix the receiver, then activate the subscription again in the admin; deliveries that "
        "failed meanwhile can be replayed from its delivery log."
    ) % {"name": subscription.name, "url": subscription.target_url, "reason": subscription.disabled_reason}
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except Exception:  # noqa: BLE001 - a mail outage must not undo the disabling
        logger.exception("could not e-mail admins about disabled webhook %s", subscription.pk)
        return 0
    return len(recipients)
