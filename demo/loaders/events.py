"""Demo events for people and other systems: a webhook subscription to a local receiver, and the
demo reps' first notifications, made the way production makes them.

The subscription (JSON, every event type) points at a receiver on this machine and is left
inactive, so `make run` needs no receiver and builds up no failing deliveries: start one (see
docs/webhooks.md), allow loopback targets (`KAM_WEBHOOK_ALLOW_PRIVATE=1`) and tick "active" in
the admin. The notifications come from the daily jobs: follow-ups due today, and the
overdue-installment announcement, whose events are dispatched here at once instead of waiting
for a worker (dispatching twice does nothing, so the worker finds them done).
"""

from dataclasses import dataclass
from datetime import date

from accounts.notifications import notify_follow_ups_due
from events.dispatch import dispatch
from events.models import Event, Notification, WebhookSubscription
from events.services import subscription_create
from events.types import EventType
from receivables.services import installments_announce_overdue

DEMO_RECEIVER_NAME = "本地接收器（演示）"
DEMO_RECEIVER_URL = "http://127.0.0.1:8765/kam-webhook"


@dataclass(frozen=True)
class EventsLoaded:
    subscriptions: int
    announced: int
    notifications: int


def events_load(*, today: date) -> EventsLoaded:
    """Idempotent: the subscription is keyed by its name; the jobs announce and notify once."""
    subscriptions = 0
    if not WebhookSubscription.objects.filter(name=DEMO_RECEIVER_NAME).exists():
        subscription_create(
            name=DEMO_RECEIVER_NAME,
            target_url=DEMO_RECEIVER_URL,
            event_types=list(EventType.values),
            is_active=False,
        )
        subscriptions = 1
    before = Notification.objects.count()
    notify_follow_ups_due(day=today)
    announced = installments_announce_overdue(today=today)
    dispatch(event_ids=Event.objects.filter(dispatched_at__isnull=True).values_list("pk", flat=True))
    return EventsLoaded(
        subscriptions=subscriptions,
        announced=announced,
        notifications=Notification.objects.count() - before,
    )
