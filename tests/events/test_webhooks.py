"""Outbound webhooks: the request of each format and its signing, the SSRF guard, the fan-out and
the sweep, one attempt against a real local HTTP receiver (retry, 410, timeout, redirect, a run
of failures), and who may manage subscriptions (admin pages and API).

The Celery worker's side is in test_webhook_worker.py."""

import base64
import hashlib
import hmac
import re
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote_plus, unquote_plus

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone, translation

from events import delivery as sender
from events import dispatch as dispatcher
from events import formatting, ssrf
from events.models import Delivery, DeliveryStatus, Event, WebhookFormat, WebhookSubscription
from events.outbox import emit
from events.services import subscription_create
from events.types import EventType
from tests.events.receiver import Receiver
from tests.factories import UserFactory
from users.models import Role

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TIER_DATA = {
    "customer_id": 42,
    "customer_name": "南京百川生物医药有限公司",
    "from_tier": "gold",
    "to_tier": "platinum",
    "direction": "upgrade",
    "score": "86.50",
    "run_id": 7,
    "as_of": "2026-12-06",
}
PUBLIC_URL = "https://93.184.215.14/hooks/kam"


def docs_verifier():
    """The receiver's verification example of docs/webhooks.md, as the docs print it."""
    text = (ROOT / "docs" / "webhooks.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "docs/webhooks.md", "exec"), namespace)  # noqa: S102 - our own docs
    return namespace["verify_kam_webhook"]


def subscription(fmt=WebhookFormat.JSON, url=PUBLIC_URL, secret="", types=(EventType.CUSTOMER_TIER_CHANGED,)):
    return subscription_create(
        name=f"测试{fmt}", target_url=url, event_types=list(types), format=fmt, secret=secret
    )


def tier_event(**data):
    return Event.objects.create(
        type=EventType.CUSTOMER_TIER_CHANGED, data={**TIER_DATA, **data}, customer_id=42
    )


@pytest.fixture
def private_ok(settings):
    settings.KAM_WEBHOOK_ALLOW_PRIVATE = True
    settings.KAM_WEBHOOK_RETRY_SCHEDULE = [1, 1]
    settings.KAM_WEBHOOK_READ_TIMEOUT = 0.5
    settings.KAM_WEBHOOK_CONNECT_TIMEOUT = 0.5


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def no_queue(monkeypatch):
    """Record what would be queued instead of sending it to a broker."""
    queued = []
    monkeypatch.setattr(
        "events.tasks.queue_send", lambda pk, countdown=None: queued.append((str(pk), countdown))
    )
    monkeypatch.setattr("events.tasks.queue_dispatch", lambda ids: queued.append(("dispatch", list(ids))))
    return queued


# --- The requests ------------------------------------------------------------------------------


def test_json_envelope_headers_and_signature():
    sub = subscription()
    event = tier_event()
    delivery_id = uuid.uuid4()

    request = sender.build_request(sub, event, delivery_id, now=1_765_000_000.7)

    assert sub.secret.startswith("whsec_")
    assert request.url == PUBLIC_URL
    body = request.body
    assert (
        body.decode()
        == sender.dumps(
            {
                "id": str(event.pk),
                "type": "customer.tier_changed",
                "created": sender.envelope(event)["created"],
                "data": TIER_DATA,
            }
        ).decode()
    )
    assert set(__import__("json").loads(body)) == {"id", "type", "created", "data"}
    assert sender.envelope(event)["created"].endswith("Z")
    headers = request.headers
    assert headers["X-KAM-Event"] == "customer.tier_changed"
    assert headers["X-KAM-Delivery"] == str(delivery_id)
    assert headers["X-KAM-Timestamp"] == "1765000000"
    expected = hmac.new(sub.secret.encode(), b"1765000000." + body, hashlib.sha256).hexdigest()
    assert headers["X-KAM-Signature"] == f"sha256={expected}"


def test_the_documented_verifier_accepts_kams_requests_and_refuses_forgeries():
    verify = docs_verifier()
    sub = subscription()
    request = sender.build_request(sub, tier_event(), uuid.uuid4())

    assert verify(sub.secret, request.headers, request.body)
    assert not verify("whsec_wrong", request.headers, request.body)
    assert not verify(sub.secret, request.headers, request.body.replace(b"86.50", b"96.50"))
    stale = sender.build_request(sub, tier_event(), uuid.uuid4(), now=time.time() - 3600)
    assert not verify(sub.secret, stale.headers, stale.body)


def test_the_bot_text_of_a_tier_change():
    assert formatting.event_text("customer.tier_changed", TIER_DATA) == (
        "【KAM】南京百川生物医药有限公司 由 黄金 升为 铂金（评分 86.50）"
    )
    down = {**TIER_DATA, "from_tier": "platinum", "to_tier": "gold", "direction": "downgrade"}
    assert formatting.event_text("customer.tier_changed", down) == (
        "【KAM】南京百川生物医药有限公司 由 铂金 降为 黄金（评分 86.50）"
    )


@pytest.mark.parametrize("event_type", EventType.values)
def test_every_event_type_has_a_chinese_text_even_with_keys_missing(event_type):
    text = formatting.event_text(event_type, {})
    assert text.startswith("【KAM】")
    assert len(text) > len("【KAM】") + 2
    assert event_type not in text  # a real sentence, not the type's name


def test_wecom_bot_body():
    sub = subscription(WebhookFormat.WECOM, url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc")

    request = sender.build_request(sub, tier_event(), uuid.uuid4())

    assert request.url == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"
    assert __import__("json").loads(request.body) == {
        "msgtype": "text",
        "text": {"content": "【KAM】南京百川生物医药有限公司 由 黄金 升为 铂金（评分 86.50）"},
    }
    assert "X-KAM-Signature" not in request.headers


def test_dingtalk_bot_body_and_signing():
    secret = "SEC0123456789abcdef"
    sub = subscription(
        WebhookFormat.DINGTALK, url="https://oapi.dingtalk.com/robot/send?access_token=tok", secret=secret
    )

    request = sender.build_request(sub, tier_event(), uuid.uuid4(), now=1_700_000_000.123)

    # By hand, as DingTalk's docs describe it: timestamp in ms + "\n" + secret, HMAC-SHA256 keyed
    # with the secret, base64, URL-encoded.
    string_to_sign = "1700000000123\n" + secret
    digest = hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).digest()
    sign = quote_plus(base64.b64encode(digest))
    assert request.url == (
        f"https://oapi.dingtalk.com/robot/send?access_token=tok&timestamp=1700000000123&sign={sign}"
    )
    assert unquote_plus(sign) == base64.b64encode(digest).decode()
    assert __import__("json").loads(request.body) == {
        "msgtype": "text",
        "text": {"content": "【KAM】南京百川生物医药有限公司 由 黄金 升为 铂金（评分 86.50）"},
    }


def test_dingtalk_without_a_secret_is_unsigned():
    sub = subscription(WebhookFormat.DINGTALK, url="https://oapi.dingtalk.com/robot/send?access_token=tok")

    assert sender.build_request(sub, tier_event(), uuid.uuid4()).url.endswith("access_token=tok")


def test_feishu_bot_body_and_signing():
    secret = "nIMtb7r3N9pkXyXdtAbx6e"
    sub = subscription(
        WebhookFormat.FEISHU, url="https://open.feishu.cn/open-apis/bot/v2/hook/abc-123", secret=secret
    )

    request = sender.build_request(sub, tier_event(), uuid.uuid4(), now=1_599_360_473.9)

    # By hand, as Feishu's docs describe it: the key is timestamp (s) + "\n" + secret, the
    # message empty; base64 of the HMAC-SHA256.
    digest = hmac.new(f"1599360473\n{secret}".encode(), b"", hashlib.sha256).digest()
    assert __import__("json").loads(request.body) == {
        "timestamp": "1599360473",
        "sign": base64.b64encode(digest).decode(),
        "msg_type": "text",
        "content": {"text": "【KAM】南京百川生物医药有限公司 由 黄金 升为 铂金（评分 86.50）"},
    }
    assert request.url == "https://open.feishu.cn/open-apis/bot/v2/hook/abc-123"


# --- The SSRF guard ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://10.1.2.3/hook",
        "http://192.168.1.10/hook",
        "http://172.16.0.5/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8000/hook",
        "http://[fd00:ec2::254]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://localhost:8000/hook",  # a host name that resolves to loopback
        "ftp://93.184.215.14/file",
        "file:///etc/passwd",
        "http://user:pass@93.184.215.14/",
        "http:///nohost",
    ],
)
def test_ssrf_refusals(settings, url):
    settings.KAM_WEBHOOK_ALLOW_PRIVATE = False

    with pytest.raises(ssrf.TargetRefused):
        ssrf.resolve(url)


def test_a_public_address_passes_and_keeps_its_host_and_path(settings):
    settings.KAM_WEBHOOK_ALLOW_PRIVATE = False

    target = ssrf.resolve("https://93.184.215.14:8443/a/b?c=1")

    assert (target.scheme, target.host, target.port, target.path, target.address) == (
        "https", "93.184.215.14", 8443, "/a/b?c=1", "93.184.215.14",
    )  # fmt: skip


def test_the_setting_allows_loopback_but_never_metadata(settings):
    settings.KAM_WEBHOOK_ALLOW_PRIVATE = True

    assert ssrf.resolve("http://localhost:8000/").address in ("127.0.0.1", "::1")
    assert ssrf.resolve("http://10.0.0.8/").address == "10.0.0.8"
    with pytest.raises(ssrf.TargetRefused):
        ssrf.resolve("http://169.254.169.254/")


def test_saving_a_refused_target_is_a_validation_message(settings, admin_user, api_client):
    settings.KAM_WEBHOOK_ALLOW_PRIVATE = False
    api_client.force_authenticate(admin_user)

    response = api_client.post(
        "/api/v1/webhooks/",
        {"name": "内网", "target_url": "http://10.0.0.8/hook", "event_types": ["payment.received"]},
        format="json",
    )

    assert response.status_code == 400
    assert "target_url" in response.json()
    assert not WebhookSubscription.objects.exists()


def test_the_send_checks_again(settings, private_ok, receiver):
    """Saved while allowed, refused at the send once it is not (a DNS answer changed alike)."""
    sub = subscription(url=receiver.url)
    settings.KAM_WEBHOOK_ALLOW_PRIVATE = False

    with translation.override("en"):  # the refusal is written to the log in the worker's language
        outcome = sender.send(sub, sender.build_request(sub, tier_event(), uuid.uuid4()))

    assert not outcome.ok
    assert "loopback" in outcome.error
    assert receiver.requests == []


# --- Fan-out and sweep -------------------------------------------------------------------------


def test_dispatch_fans_out_once_per_matching_active_subscription(no_queue):
    matching = subscription()
    other_type = subscription(types=[EventType.PAYMENT_RECEIVED])
    inactive = subscription()
    WebhookSubscription.objects.filter(pk=inactive.pk).update(is_active=False)
    event = tier_event()

    assert dispatcher.dispatch(event_ids=[event.pk]) == 1
    assert dispatcher.dispatch(event_ids=[event.pk]) == 0  # already dispatched: nothing twice

    deliveries = Delivery.objects.filter(event=event)
    assert [d.subscription_id for d in deliveries] == [matching.pk]
    assert Event.objects.get(pk=event.pk).dispatched_at is not None
    assert not Delivery.objects.filter(subscription__in=[other_type, inactive]).exists()


def test_fanout_handlers_run_in_the_dispatch(no_queue):
    seen = []

    def handler(events):
        seen.extend(event.pk for event in events)

    dispatcher.register_fanout(handler)
    try:
        event = tier_event()
        dispatcher.dispatch(event_ids=[event.pk])
    finally:
        dispatcher._fanout_handlers.remove(handler)

    assert seen == [event.pk]


def test_emit_queues_the_dispatch_after_the_commit_only(no_queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            event = emit(EventType.CUSTOMER_TIER_CHANGED, data=TIER_DATA, customer_id=42)
            assert no_queue == []
    assert no_queue == [("dispatch", [event.pk])]


def test_the_sweep_dispatches_stale_events_and_requeues_due_deliveries(
    no_queue, django_capture_on_commit_callbacks
):
    sub = subscription()
    stale = tier_event()
    fresh = tier_event()
    Event.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(minutes=2))

    with django_capture_on_commit_callbacks(execute=True):
        result = dispatcher.sweep()

    assert result["dispatched"] == 1
    assert Event.objects.get(pk=stale.pk).dispatched_at is not None
    assert Event.objects.get(pk=fresh.pk).dispatched_at is None  # the immediate path's to do
    # The new delivery has a minute's grace before the sweep queues it again.
    delivery = Delivery.objects.get(event=stale, subscription=sub)
    assert (str(delivery.pk), None) in no_queue
    no_queue.clear()
    assert dispatcher.sweep()["requeued"] == 0
    # Two minutes on, the fresh event is stale too: both deliveries are due.
    assert dispatcher.sweep(now=timezone.now() + timedelta(minutes=2)) == {"dispatched": 1, "requeued": 2}


# --- One attempt against a real receiver -------------------------------------------------------


def make_delivery(sub, event=None):
    return Delivery.objects.create(subscription=sub, event=event or tier_event())


def test_a_delivery_succeeds_and_the_receiver_verifies_it(private_ok, receiver, no_queue):
    sub = subscription(url=receiver.url)
    delivery = make_delivery(sub)

    sender.attempt(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == ("succeeded", 1, 200)
    (got,) = receiver.requests
    assert got.path == "/hooks/kam?x=1"
    assert got.headers["Host"] == receiver.url.split("/")[2]
    assert docs_verifier()(sub.secret, got.headers, got.body)
    assert list(delivery.attempt_log.values_list("number", "response_code")) == [(1, 200)]


def test_a_500_is_retried_with_backoff_then_a_200_succeeds(
    private_ok, receiver, no_queue, django_capture_on_commit_callbacks
):
    receiver.script = [500, 200]
    sub = subscription(url=receiver.url)
    delivery = make_delivery(sub)

    with django_capture_on_commit_callbacks(execute=True):
        sender.attempt(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_response_code) == ("retrying", 500)
    assert delivery.next_attempt_at > timezone.now()
    assert len(no_queue) == 1
    assert 0.5 < no_queue[0][1] < 1.5

    assert sender.attempt(delivery.pk) is None  # not due yet: nothing sent
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    sender.attempt(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
    assert list(delivery.attempt_log.values_list("response_code", flat=True)) == [500, 200]
    assert len(receiver.requests) == 2


def test_retries_run_out_and_the_delivery_fails(private_ok, receiver, no_queue):
    receiver.script = [503]
    delivery = make_delivery(subscription(url=receiver.url))

    for _ in range(3):  # the first attempt and the schedule's two retries
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        sender.attempt(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 3, None)


def test_410_gone_disables_the_subscription_and_tells_the_admins(private_ok, receiver, no_queue):
    UserFactory(username="boss", role=Role.ADMIN, email="boss@example.com")
    receiver.script = [410]
    sub = subscription(url=receiver.url)
    delivery = make_delivery(sub)

    sender.attempt(delivery.pk)

    sub.refresh_from_db()
    assert not sub.is_active
    assert "410" in sub.disabled_reason
    assert Delivery.objects.get(pk=delivery.pk).status == "failed"
    assert [message.to for message in mail.outbox] == [["boss@example.com"]]
    # Waiting deliveries of a disabled subscription are left alone, not sent.
    waiting = make_delivery(sub)
    assert sender.attempt(waiting.pk) is None
    assert len(receiver.requests) == 1


def test_a_hanging_receiver_times_out(private_ok, receiver, no_queue):
    receiver.script = ["hang"]
    receiver.hang_seconds = 2
    delivery = make_delivery(subscription(url=receiver.url))

    started = time.monotonic()
    sender.attempt(delivery.pk)

    assert time.monotonic() - started < 1.8
    delivery.refresh_from_db()
    assert delivery.status == "retrying"
    assert delivery.last_response_code is None
    assert "timeout" in delivery.last_error.lower()


def test_redirects_are_not_followed(private_ok, receiver, no_queue):
    receiver.script = [302]
    delivery = make_delivery(subscription(url=receiver.url))

    sender.attempt(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_response_code) == ("retrying", 302)
    assert len(receiver.requests) == 1


def test_a_bot_refusing_with_200_is_a_failure(private_ok, receiver, no_queue):
    receiver.answer_body = b'{"errcode": 310000, "errmsg": "sign not match"}'
    delivery = make_delivery(subscription(WebhookFormat.DINGTALK, url=receiver.url, secret="SECx"))

    sender.attempt(delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == "retrying"
    assert "310000" in delivery.last_error
    assert "timestamp=" in receiver.requests[0].path
    assert "sign=" in receiver.requests[0].path


def test_a_run_of_failed_deliveries_disables_the_subscription(settings, private_ok, receiver, no_queue):
    settings.KAM_WEBHOOK_RETRY_SCHEDULE = []
    settings.KAM_WEBHOOK_DISABLE_AFTER = 2
    UserFactory(username="boss", role=Role.ADMIN, email="boss@example.com")
    receiver.script = [500, 200, 500, 500]
    sub = subscription(url=receiver.url)

    for expected in (1, 0, 1):
        sender.attempt(make_delivery(sub).pk)
        sub.refresh_from_db()
        assert (sub.consecutive_failures, sub.is_active) == (expected, True)
    sender.attempt(make_delivery(sub).pk)

    sub.refresh_from_db()
    assert (sub.consecutive_failures, sub.is_active) == (2, False)
    assert "2 deliveries" in sub.disabled_reason
    assert len(mail.outbox) == 1


def test_replay_sends_a_delivery_again(private_ok, receiver, no_queue, admin_user, api_client):
    sub = subscription(url=receiver.url)
    delivery = make_delivery(sub)
    sender.attempt(delivery.pk)
    api_client.force_authenticate(admin_user)

    response = api_client.post(f"/api/v1/webhooks/deliveries/{delivery.pk}/replay/")

    assert response.status_code == 200
    assert response.json()["status"] == "pending"
    sender.attempt(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
    assert len(receiver.requests) == 2


# --- Managing subscriptions: API and admin -----------------------------------------------------


def test_admins_manage_subscriptions_and_see_the_secret_once(admin_user, api_client, no_queue):
    api_client.force_authenticate(admin_user)

    created = api_client.post(
        "/api/v1/webhooks/",
        {"name": "ERP", "target_url": PUBLIC_URL, "event_types": ["payment.received", "opportunity.won"]},
        format="json",
    )

    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["format"] == "json"
    assert body["has_secret"]
    assert body["event_types"] == ["opportunity.won", "payment.received"]
    pk = body["id"]
    assert "secret" not in api_client.get(f"/api/v1/webhooks/{pk}/").json()
    assert all("secret" not in row for row in api_client.get("/api/v1/webhooks/").json()["results"])
    changed = api_client.patch(
        f"/api/v1/webhooks/{pk}/", {"is_active": False, "format": "feishu"}, format="json"
    )
    assert changed.status_code == 400
    assert "format" in changed.json()
    changed = api_client.patch(f"/api/v1/webhooks/{pk}/", {"is_active": False}, format="json")
    assert changed.status_code == 200
    assert changed.json()["is_active"] is False
    assert api_client.get(f"/api/v1/webhooks/{pk}/deliveries/").json()["count"] == 0
    assert api_client.delete(f"/api/v1/webhooks/{pk}/").status_code == 204


def test_unknown_event_types_and_secrets_on_json_are_refused(admin_user, api_client):
    api_client.force_authenticate(admin_user)

    bad_type = api_client.post(
        "/api/v1/webhooks/", {"name": "x", "target_url": PUBLIC_URL, "event_types": ["nope"]}, format="json"
    )
    json_secret = api_client.post(
        "/api/v1/webhooks/",
        {"name": "x", "target_url": PUBLIC_URL, "event_types": ["visit.logged"], "secret": "mine"},
        format="json",
    )

    assert bad_type.status_code == 400
    assert "event_types" in bad_type.json()
    assert json_secret.status_code == 400
    assert "secret" in json_secret.json()
    assert not WebhookSubscription.objects.exists()


def test_the_delivery_log_lists_attempts(admin_user, api_client, no_queue, django_assert_max_num_queries):
    sub = subscription()
    for _ in range(3):
        make_delivery(sub)
    api_client.force_authenticate(admin_user)

    with django_assert_max_num_queries(8):
        response = api_client.get(f"/api/v1/webhooks/{sub.pk}/deliveries/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == 3
    assert rows[0]["event_type"] == "customer.tier_changed"
    assert rows[0]["attempt_log"] == []


@pytest.mark.parametrize("role", [Role.REP, Role.MANAGER])
def test_everyone_but_admins_is_refused(role, api_client):
    sub = subscription()
    delivery = make_delivery(sub)
    api_client.force_authenticate(UserFactory(role=role))

    assert api_client.get("/api/v1/webhooks/").status_code == 403
    assert api_client.post("/api/v1/webhooks/", {}, format="json").status_code == 403
    assert api_client.get(f"/api/v1/webhooks/{sub.pk}/").status_code == 403
    assert api_client.get(f"/api/v1/webhooks/{sub.pk}/deliveries/").status_code == 403
    assert api_client.post(f"/api/v1/webhooks/deliveries/{delivery.pk}/replay/").status_code == 403
    assert Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.PENDING


def test_the_admin_creates_a_subscription_and_shows_its_secret_once(client, admin_user, no_queue):
    client.force_login(admin_user)

    response = client.post(
        "/admin/events/webhooksubscription/add/",
        {
            "name": "ERP",
            "target_url": PUBLIC_URL,
            "format": "json",
            "event_types": ["payment.received"],
            "is_active": "on",
        },
        follow=True,
    )

    assert response.status_code == 200
    sub = WebhookSubscription.objects.get()
    assert sub.secret.startswith("whsec_")
    assert sub.event_types == ["payment.received"]
    shown = [str(message) for message in response.context["messages"]]
    assert any(sub.secret in message for message in shown)
    page = client.get(f"/admin/events/webhooksubscription/{sub.pk}/change/")
    assert sub.secret not in page.content.decode()


def test_the_admin_refuses_a_private_target(client, admin_user, settings):
    settings.KAM_WEBHOOK_ALLOW_PRIVATE = False
    client.force_login(admin_user)

    response = client.post(
        "/admin/events/webhooksubscription/add/",
        {
            "name": "内网",
            "target_url": "http://127.0.0.1/x",
            "format": "json",
            "event_types": ["visit.logged"],
        },
    )

    assert response.status_code == 200  # the form again, with the message
    assert "loopback" in response.content.decode() or "环回" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_the_admin_replays_deliveries(client, admin_user, no_queue):
    delivery = make_delivery(subscription())
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    client.force_login(admin_user)

    response = client.post(
        "/admin/events/delivery/", {"action": "replay", "_selected_action": [str(delivery.pk)]}, follow=True
    )

    assert response.status_code == 200
    assert Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.PENDING
    assert client.get(f"/admin/events/delivery/{delivery.pk}/change/").status_code == 200


def test_the_audit_trail_records_who_changed_a_subscription_but_never_its_secret(
    admin_user, api_client, no_queue
):
    from audit.models import AuditEvent

    api_client.force_authenticate(admin_user)
    created = api_client.post(
        "/api/v1/webhooks/",
        {"name": "ERP", "target_url": PUBLIC_URL, "event_types": ["payment.received"]},
        format="json",
    )
    pk = created.json()["id"]
    api_client.patch(f"/api/v1/webhooks/{pk}/", {"is_active": False}, format="json")

    rows = list(AuditEvent.objects.filter(object_type="webhook", object_id=pk).order_by("id"))
    assert [row.action for row in rows] == ["create", "update"]
    assert rows[1].changes["is_active"] == [True, False]
    assert all("secret" not in row.changes for row in rows)
    assert created.json()["secret"] not in str([row.changes for row in rows])
    assert api_client.get(f"/api/v1/audit/?object=webhook:{pk}").json()["count"] == 2
