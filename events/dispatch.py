"""Fan-out of committed events, and the sweep that finds what was left behind.

`dispatch(event_ids=...)` (run by the Celery task `events.dispatch_events` after the commit that
recorded the events) locks the events not yet dispatched (skipping any another worker holds),
creates one Delivery per active webhook subscription whose event types include the event's,
runs every registered fan-out handler, marks the events dispatched — all in one transaction — and
after its commit queues a send per delivery. Running it twice creates nothing twice.

Fan-out handlers: other consumers of events (people's notifications) register a function taking
the list of Event rows being dispatched; it runs inside the dispatch transaction, so what it
writes commits with the dispatched mark or not at all (and is retried by the sweep):

    from events.dispatch import register_fanout

    @register_fanout
    def notify_people(events: list[Event]) -> None: ...

Register from an AppConfig.ready() (or a module it imports), so workers have it too.

`sweep()` (the periodic task `events.sweep`, every minute) dispatches events still undispatched
a minute after they were recorded (the worker died after the commit, or the broker was down) and
re-queues deliveries that are due: retries whose time has come, and deliveries never attempted
(or whose attempt's lease ran out) a minute after they were created.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .models import Delivery, DeliveryStatus, Event, WebhookSubscription

logger = logging.getLogger(__name__)

FanoutHandler = Callable[[list[Event]], None]
_fanout_handlers: list[FanoutHandler] = []

CHUNK = 500
# What the immediate path gets before the sweep steps in (seconds).
GRACE = 60


def register_fanout(handler: FanoutHandler) -> FanoutHandler:
    """Add a fan-out handler (idempotent: registering the same function twice adds it once)."""
    if handler not in _fanout_handlers:
        _fanout_handlers.append(handler)
    return handler


def fanout_handlers() -> tuple[FanoutHandler, ...]:
    return tuple(_fanout_handlers)


def dispatch(*, event_ids: Iterable) -> int:
    """Dispatch the given events that are still undispatched; the number dispatched."""
    ids = [str(pk) for pk in event_ids]
    done = 0
    for start in range(0, len(ids), CHUNK):
        done += _dispatch_chunk(ids[start : start + CHUNK])
    return done


def _subscriptions_by_type() -> dict[str, list[WebhookSubscription]]:
    by_type: dict[str, list[WebhookSubscription]] = {}
    for subscription in WebhookSubscription.objects.filter(is_active=True).only("pk", "event_types"):
        for event_type in subscription.event_types or ():
            by_type.setdefault(event_type, []).append(subscription)
    return by_type


def _dispatch_chunk(ids: list[str]) -> int:
    from .tasks import queue_send  # noqa: PLC0415 - tasks import this module

    now = timezone.now()
    with transaction.atomic():
        events = list(
            Event.objects.select_for_update(skip_locked=True)
            .filter(pk__in=ids, dispatched_at__isnull=True)
            .order_by("created_at")
        )
        if not events:
            return 0
        by_type = _subscriptions_by_type()
        deliveries = [
            Delivery(
                subscription_id=subscription.pk,
                event_id=event.pk,
                status=DeliveryStatus.PENDING,
                next_attempt_at=now + timedelta(seconds=GRACE),
            )
            for event in events
            for subscription in by_type.get(event.type, ())
        ]
        Delivery.objects.bulk_create(deliveries, batch_size=1000, ignore_conflicts=True)
        for handler in _fanout_handlers:
            handler(events)
        Event.objects.filter(pk__in=[event.pk for event in events]).update(dispatched_at=now)
        delivery_ids = [delivery.pk for delivery in deliveries]
        transaction.on_commit(lambda: [queue_send(pk) for pk in delivery_ids])
    return len(events)


def sweep(*, now=None) -> dict[str, int]:
    """Dispatch stale undispatched events and re-queue due deliveries; counts of each."""
    from .tasks import queue_send  # noqa: PLC0415

    now = now or timezone.now()
    stale = list(
        Event.objects.filter(dispatched_at__isnull=True, created_at__lte=now - timedelta(seconds=GRACE))
        .order_by("created_at")
        .values_list("pk", flat=True)[:10_000]
    )
    dispatched = dispatch(event_ids=stale) if stale else 0
    due = list(
        Delivery.objects.filter(
            status__in=(DeliveryStatus.PENDING, DeliveryStatus.RETRYING),
            next_attempt_at__lte=now,
            subscription__is_active=True,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:10_000]
    )
    for pk in due:
        queue_send(pk)
    if dispatched or due:
        logger.info("events sweep: %s events dispatched, %s deliveries re-queued", dispatched, len(due))
    return {"dispatched": dispatched, "requeued": len(due)}
