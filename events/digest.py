"""The daily digest e-mail: each user with the switch on and unread notifications from the last
day gets one plain-text (and simple HTML) message listing them, in the site's language (a user
has no language of their own yet). A notification is mailed once: `emailed_at` marks it, so a
second run the same day sends nothing new."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import Notification
from .notifications import render

logger = logging.getLogger(__name__)
MAX_LISTED = 50


def send_digests(*, now: datetime | None = None) -> int:
    """Send the digests due at `now`; returns how many e-mails went out."""
    now = now or timezone.now()
    since = now - timedelta(days=1)
    pending = Notification.objects.filter(
        read_at__isnull=True, emailed_at__isnull=True, created_at__gte=since, created_at__lte=now
    )
    users = (
        get_user_model()
        .objects.filter(is_active=True, digest_enabled=True, pk__in=pending.values("user_id"))
        .exclude(email="")
        .order_by("pk")
    )
    sent = 0
    for user in users:
        try:
            sent += _send_one(user, pending.filter(user=user), now=now)
        except Exception:  # noqa: BLE001 - one bad address must not stop everyone else's digest
            logger.warning("digest: could not send to user %s", user.pk, exc_info=True)
    return sent


def _send_one(user, notifications, *, now: datetime) -> int:
    with transaction.atomic():
        rows = list(notifications.select_for_update(skip_locked=True).order_by("-created_at", "-id"))
        if not rows:
            return 0
        with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
            items = [
                {"text": render(row.kind, row.params), "url": _absolute(row.url), "at": row.created_at}
                for row in rows[:MAX_LISTED]
            ]
            context = {
                "user": user,
                "items": items,
                "more": max(0, len(rows) - MAX_LISTED),
                "count": len(rows),
                "list_url": _absolute("/notifications/"),
            }
            subject = _("KAM: %(count)s new notifications") % {"count": len(rows)}
            text = render_to_string("events/digest_email.txt", context)
            html = render_to_string("events/digest_email.html", context)
        message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email])
        message.attach_alternative(html, "text/html")
        message.send()
        Notification.objects.filter(pk__in=[row.pk for row in rows]).update(emailed_at=now)
    return 1


def _absolute(path: str) -> str:
    base = getattr(settings, "KAM_SITE_URL", "").rstrip("/")
    return f"{base}{path}" if path and base else path
