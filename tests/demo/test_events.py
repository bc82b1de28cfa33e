"""Demo events: an inactive webhook subscription to a local receiver and the demo reps' first
notifications (overdue installments, follow-ups due today), loaded idempotently."""

import pytest
from django.utils import timezone

from demo.dataset import demo_dataset
from demo.load import demo_load, demo_pipeline_load, demo_receivables_load
from demo.loaders.events import DEMO_RECEIVER_URL, events_load
from demo.loaders.logins import logins_load
from events.models import Event, Notification, NotificationKind, WebhookSubscription
from events.types import EventType
from users.models import User

pytestmark = pytest.mark.django_db


def test_the_demo_rep_gets_notifications_and_a_second_load_adds_nothing():
    dataset = demo_dataset()
    logins_load()
    demo_load(dataset=dataset)
    demo_pipeline_load(dataset=dataset)
    demo_receivables_load(dataset=dataset)
    today = timezone.localdate()

    first = events_load(today=today)

    subscription = WebhookSubscription.objects.get()
    assert (subscription.target_url, subscription.is_active) == (DEMO_RECEIVER_URL, False)
    assert sorted(subscription.event_types) == sorted(EventType.values)
    assert first.subscriptions == 1
    assert first.announced >= 1
    rep1 = User.objects.get(username="rep1")
    kinds = set(Notification.objects.filter(user=rep1).values_list("kind", flat=True))
    assert {NotificationKind.INSTALLMENT_OVERDUE, NotificationKind.FOLLOW_UP_DUE} <= kinds
    assert first.notifications == Notification.objects.count()
    assert not Event.objects.filter(dispatched_at__isnull=True).exists()

    again = events_load(today=today)

    assert (again.subscriptions, again.announced, again.notifications) == (0, 0, 0)
    assert WebhookSubscription.objects.count() == 1
