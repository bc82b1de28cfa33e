"""Notifications for people, made from the same events other systems are told about.

`notifications_from_events(events)` is the dispatcher's fan-out to people: one Notification per
event and user of its `audience`, for the kinds people are told of (an account's tier moving, a
stage gate overridden on their opportunity, an installment falling overdue). `notify(...)` makes
the time-based ones (follow-ups falling due), once per user, kind, object and day. Both are
idempotent: the unique constraints drop a repeat, so a re-dispatched event notifies nobody twice.

A notification stores its kind and parameters; `render` turns them into text in the reader's
language at read time. Codes in the parameters (tiers, stages) are shown with the labels the
apps that own them register (`register_labels`, from kam.apps), or as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import TextChoices
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from web.money import format_money

from .models import Event, Notification, NotificationKind
from .types import EventType

# name → {code: label}: filled by the apps above events (kam.apps.KamConfig.ready).
_LABELS: dict[str, type[TextChoices]] = {}


def register_labels(**choices: type[TextChoices]) -> None:
    """`register_labels(tier=Tier, stage=Stage)`: show those codes with their (translated) labels."""
    _LABELS.update(choices)


def label(name: str, code) -> str:
    choices = _LABELS.get(name)
    if choices is None or code in (None, ""):
        return str(code or "—")
    try:
        return str(choices(code).label)
    except ValueError:
        return str(code)


def render(kind: str, params: Mapping) -> str:
    """The notification's text in the active language."""
    p = dict(params)
    customer = p.get("customer_name") or ""
    if kind == NotificationKind.TIER_CHANGED:
        text = _("%(customer)s moved from %(from_tier)s to %(to_tier)s") % {
            "customer": customer,
            "from_tier": label("tier", p.get("from_tier")),
            "to_tier": label("tier", p.get("to_tier")),
        }
        if p.get("score") not in (None, ""):
            text += _(" (score %(score)s)") % {"score": p["score"]}
        return text
    if kind == NotificationKind.GATE_OVERRIDE:
        return _("Stage gate overridden on “%(title)s” (%(customer)s): %(from_stage)s → %(to_stage)s") % {
            "title": p.get("title") or "",
            "customer": customer,
            "from_stage": label("stage", p.get("from_stage")),
            "to_stage": label("stage", p.get("to_stage")),
        }
    if kind == NotificationKind.INSTALLMENT_OVERDUE:
        return _("%(customer)s: the installment due on %(due_on)s is overdue (%(amount)s open)") % {
            "customer": customer,
            "due_on": p.get("due_on") or "",
            "amount": format_money(p.get("open_amount"), short=False, language=get_language() or ""),
        }
    if kind == NotificationKind.FOLLOW_UP_DUE:
        return _("Follow-up due today: %(customer)s") % {"customer": customer}
    return str(kind)


def _url(name: str, pk) -> str:
    if pk in (None, ""):
        return ""
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return ""


def _customer_url(data: Mapping) -> str:
    return _url("accounts:customer-detail", data.get("customer_id"))


def _from_event(event: Event) -> tuple[str, dict, str] | None:
    """(kind, params, url) of what people are told about this event, or None."""
    data = event.data or {}
    if event.type == EventType.CUSTOMER_TIER_CHANGED:
        keys = ("customer_id", "customer_name", "from_tier", "to_tier", "score")
        return NotificationKind.TIER_CHANGED, {k: data.get(k) for k in keys}, _customer_url(data)
    # Only stage_changed: a move to won or lost emits opportunity.won / .lost too, with the same data.
    if event.type == EventType.OPPORTUNITY_STAGE_CHANGED and data.get("override"):
        keys = (
            "opportunity_id",
            "title",
            "customer_id",
            "customer_name",
            "from_stage",
            "to_stage",
            "by_name",
        )
        url = _url("pipeline:opportunity-detail", data.get("opportunity_id")) or _customer_url(data)
        return NotificationKind.GATE_OVERRIDE, {k: data.get(k) for k in keys}, url
    if event.type == EventType.INSTALLMENT_OVERDUE:
        keys = ("installment_id", "opportunity_id", "customer_id", "customer_name", "due_on", "open_amount")
        params = {k: data.get(k) for k in keys}
        return NotificationKind.INSTALLMENT_OVERDUE, params, _customer_url(data)
    return None


def _active_users(user_ids: Iterable) -> set[int]:
    ids = {int(pk) for pk in user_ids if pk not in (None, "")}
    if not ids:
        return set()
    return set(get_user_model().objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))


def notifications_from_events(events: Iterable[Event]) -> int:
    """Make the notifications of these events for their audience; returns how many rows were
    offered (repeats of an event already notified are dropped by the database)."""
    today = timezone.localdate()
    made = []
    for event in events:
        what = _from_event(event)
        if what is None or not event.audience:
            continue
        made.append((event, what))
    if not made:
        return 0
    active = _active_users(pk for event, _what in made for pk in event.audience)
    rows = []
    for event, (kind, params, url) in made:
        object_key = f"customer:{event.customer_id}" if event.customer_id else ""
        actor = (event.data or {}).get("by_id")  # nobody is told of what they did themselves
        for user_id in dict.fromkeys(int(pk) for pk in event.audience):
            if user_id in active and user_id != actor:
                rows.append(
                    Notification(
                        user_id=user_id,
                        event=event,
                        kind=kind,
                        params=params,
                        url=url,
                        object_key=object_key,
                        day=today,
                    )  # fmt: skip
                )
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    return len(rows)


def notify(
    user_ids: Iterable[int],
    *,
    kind: str,
    params: Mapping,
    url: str = "",
    object_key: str,
    day: date | None = None,
) -> int:
    """Time-based notifications (no event): once per user, kind, object and day."""
    day = day or timezone.localdate()
    rows = [
        Notification(user_id=pk, kind=kind, params=dict(params), url=url, object_key=object_key, day=day)
        for pk in _active_users(user_ids)
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


# --- Reads and the reader's writes ---------------------------------------------------------


def unread_count(*, user) -> int:
    """The bell: one COUNT on the partial index of unread rows."""
    return Notification.objects.filter(user=user).unread().count()


def notifications_of(*, user):
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def mark_all_read(*, user) -> int:
    return Notification.objects.filter(user=user).unread().update(read_at=timezone.now())


def set_digest(*, user, enabled: bool) -> None:
    if user.digest_enabled != enabled:
        user.digest_enabled = enabled
        user.save(update_fields=["digest_enabled"])
