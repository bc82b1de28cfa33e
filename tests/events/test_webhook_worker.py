"""Webhooks through a real Celery worker, the real Redis broker and PostgreSQL, delivered to a
real local HTTP receiver that verifies each request's signature as docs/webhooks.md tells.

The worker runs in its own process against the test database on a private queue (its
KAM_EVENTS_QUEUE, so the tasks it queues itself stay on it), with loopback allowed, retries
after about a second and a one-second read timeout. The data is committed (transactional tests).
"""

import os
import signal
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from celery import Celery
from django.db import transaction
from django.utils import timezone

from events.models import Delivery, Event, WebhookSubscription
from events.outbox import emit
from events.services import subscription_create
from events.types import EventType
from tests.events.receiver import Receiver
from tests.events.test_webhooks import TIER_DATA, docs_verifier
from tests.scoring.test_worker import database_url, wait_for

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(postgres, redis_url, settings):
    """`celery -A kam worker` on a private queue; yields a client that sends to it."""
    queue = f"kam-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "DEBUG": "1",
        "CONN_MAX_AGE": "0",
        "KAM_EVENTS_QUEUE": queue,
        "KAM_WEBHOOK_ALLOW_PRIVATE": "1",
        "KAM_WEBHOOK_RETRY_SCHEDULE": "1,1",
        "KAM_WEBHOOK_READ_TIMEOUT": "1",
        "KAM_WEBHOOK_CONNECT_TIMEOUT": "1",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    settings.KAM_WEBHOOK_ALLOW_PRIVATE = True  # saving loopback targets in this process
    log = open(ROOT / "var" / f"worker-{queue}.log", "w")  # noqa: SIM115 — closed in teardown
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "kam", "worker", "--pool=prefork", "--concurrency=1",
         "-Q", queue, "--loglevel=INFO", "-n", f"{queue}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    client = Celery("kam-test-client", broker=redis_url, backend=redis_url)
    client.conf.update(task_serializer="json", accept_content=["json"], result_serializer="json")

    class Handle:
        @staticmethod
        def send(name: str, *args):
            return client.send_task(name, args=list(args), queue=queue)

    try:
        yield Handle
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        client.close()


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


def emit_committed(worker, monkeypatch, **data) -> Event:
    """An event committed in its own transaction; its after-commit dispatch goes to the worker."""
    monkeypatch.setattr(
        "events.tasks.queue_dispatch",
        lambda ids: worker.send("events.dispatch_events", [str(pk) for pk in ids]),
    )
    with transaction.atomic():
        return emit(EventType.CUSTOMER_TIER_CHANGED, data={**TIER_DATA, **data}, customer_id=42)


def delivery_of(event, subscription) -> Delivery | None:
    return Delivery.objects.filter(event=event, subscription=subscription).first()


def test_a_worker_delivers_a_signed_event_the_receiver_verifies(worker, receiver, monkeypatch):
    subscription = subscription_create(
        name="ERP", target_url=receiver.url, event_types=[EventType.CUSTOMER_TIER_CHANGED]
    )

    event = emit_committed(worker, monkeypatch)

    delivered = wait_for(lambda: (d := delivery_of(event, subscription)) and d.status == "succeeded" and d)
    assert delivered.attempts == 1
    (got,) = receiver.requests
    assert docs_verifier()(subscription.secret, got.headers, got.body)
    assert got.headers["X-KAM-Event"] == "customer.tier_changed"
    assert got.headers["X-KAM-Delivery"] == str(delivered.pk)
    assert f'"id":"{event.pk}"'.encode() in got.body
    assert Event.objects.get(pk=event.pk).dispatched_at is not None


def test_a_500_is_retried_by_the_worker_until_a_200(worker, receiver, monkeypatch):
    receiver.script = [500, 200]
    subscription = subscription_create(
        name="ERP", target_url=receiver.url, event_types=[EventType.CUSTOMER_TIER_CHANGED]
    )

    event = emit_committed(worker, monkeypatch)

    delivered = wait_for(lambda: (d := delivery_of(event, subscription)) and d.status == "succeeded" and d)
    assert delivered.attempts == 2
    assert list(delivered.attempt_log.values_list("response_code", flat=True)) == [500, 200]
    assert len(receiver.requests) == 2


def test_410_disables_the_subscription(worker, receiver, monkeypatch):
    receiver.script = [410]
    subscription = subscription_create(
        name="ERP", target_url=receiver.url, event_types=[EventType.CUSTOMER_TIER_CHANGED]
    )

    event = emit_committed(worker, monkeypatch)

    wait_for(lambda: (d := delivery_of(event, subscription)) and d.status == "failed")
    subscription.refresh_from_db()
    assert not subscription.is_active
    assert "410" in subscription.disabled_reason


def test_a_hanging_receiver_times_out_and_is_retried(worker, receiver, monkeypatch):
    receiver.script = ["hang", 200]
    receiver.hang_seconds = 3
    subscription = subscription_create(
        name="ERP", target_url=receiver.url, event_types=[EventType.CUSTOMER_TIER_CHANGED]
    )

    event = emit_committed(worker, monkeypatch)

    delivered = wait_for(lambda: (d := delivery_of(event, subscription)) and d.status == "succeeded" and d)
    first, second = delivered.attempt_log.all()
    assert first.response_code is None
    assert "timeout" in first.error.lower()
    assert first.duration_ms < 2500
    assert second.response_code == 200


def test_an_event_whose_dispatch_was_lost_is_delivered_by_the_sweep(worker, receiver, monkeypatch):
    """The worker died after the commit, before delivery: nothing was queued, or the queued
    message was lost. The periodic sweep finds the event and delivers it."""
    subscription = subscription_create(
        name="ERP", target_url=receiver.url, event_types=[EventType.CUSTOMER_TIER_CHANGED]
    )
    monkeypatch.setattr("events.tasks.queue_dispatch", lambda ids: None)  # the lost message
    with transaction.atomic():
        event = emit(EventType.CUSTOMER_TIER_CHANGED, data=TIER_DATA, customer_id=42)
    # A minute later (the immediate path's grace), the beat's sweep runs on the worker.
    Event.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    assert not Delivery.objects.exists()

    worker.send("events.sweep")

    delivered = wait_for(lambda: (d := delivery_of(event, subscription)) and d.status == "succeeded" and d)
    assert delivered.attempts == 1
    assert docs_verifier()(subscription.secret, receiver.requests[0].headers, receiver.requests[0].body)


def test_a_delivery_never_attempted_is_sent_by_the_sweep(worker, receiver, monkeypatch):
    """Dispatched, but the send task was lost (the worker died before running it)."""
    subscription = subscription_create(
        name="ERP", target_url=receiver.url, event_types=[EventType.CUSTOMER_TIER_CHANGED]
    )
    event = Event.objects.create(
        type=EventType.CUSTOMER_TIER_CHANGED, data=TIER_DATA, dispatched_at=timezone.now()
    )
    delivery = Delivery.objects.create(
        subscription=subscription, event=event, next_attempt_at=timezone.now() - timedelta(seconds=1)
    )

    worker.send("events.sweep")

    wait_for(lambda: Delivery.objects.get(pk=delivery.pk).status == "succeeded")
    assert len(receiver.requests) == 1
    assert WebhookSubscription.objects.get(pk=subscription.pk).consecutive_failures == 0
