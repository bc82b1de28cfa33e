"""Sending one delivery: the request of each format, its signing, the attempt and its outcome.

`attempt(delivery_id)` is what the Celery task `events.send_delivery` runs. It claims the delivery
(a short lease, so two workers never send it at once and a worker killed mid-send is retried by
the sweep once the lease runs out), builds and signs the request, sends it to the address the
SSRF guard checked, logs the attempt and decides: success (2xx), retry with exponential backoff
and jitter (settings.KAM_WEBHOOK_RETRY_SCHEDULE), or failed. 410 Gone disables the subscription;
a run of failed deliveries (settings.KAM_WEBHOOK_DISABLE_AFTER) does too, and admins are told.

JSON deliveries (docs/webhooks.md):
    body     {"id": <event id>, "type": ..., "created": <ISO 8601>, "data": {...}}
    headers  X-KAM-Event, X-KAM-Delivery, X-KAM-Timestamp (Unix seconds),
             X-KAM-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{raw body}")>
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote_plus

import urllib3
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import formatting, ssrf
from .models import Delivery, DeliveryAttempt, DeliveryStatus, Event, WebhookFormat, WebhookSubscription

logger = logging.getLogger(__name__)

USER_AGENT = "KAM-Webhooks/1.0"
OPEN = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)
MAX_RESPONSE_BYTES = 64 * 1024
JITTER = 0.2


# --- Building the request ---------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    url: str
    body: bytes
    headers: dict[str, str]


def envelope(event: Event) -> dict:
    return {
        "id": str(event.pk),
        "type": event.type,
        "created": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": event.data,
    }


def dumps(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def json_signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """ "sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>"."""
    message = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def dingtalk_sign(secret: str, timestamp_ms: int | str) -> str:
    """钉钉: urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp_ms}\\n{secret}")))."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode("ascii"))


def feishu_sign(secret: str, timestamp: int | str) -> str:
    """飞书: base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b""))."""
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def build_request(
    subscription: WebhookSubscription, event: Event, delivery_id: str, *, now: float | None = None
) -> Request:
    now = time.time() if now is None else now
    seconds = int(now)
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT}
    url = subscription.target_url
    if subscription.format == WebhookFormat.JSON:
        body = dumps(envelope(event))
        headers.update(
            {
                "X-KAM-Event": event.type,
                "X-KAM-Delivery": str(delivery_id),
                "X-KAM-Timestamp": str(seconds),
                "X-KAM-Signature": json_signature(subscription.secret, seconds, body),
            }
        )
        return Request(url, body, headers)
    text = formatting.event_text(event.type, event.data)
    if subscription.format == WebhookFormat.FEISHU:
        message = {"msg_type": "text", "content": {"text": text}}
        if subscription.secret:
            message = {
                "timestamp": str(seconds),
                "sign": feishu_sign(subscription.secret, seconds),
                **message,
            }
        return Request(url, dumps(message), headers)
    # 企业微信 and 钉钉 take the same message; 钉钉 signs in the query string.
    message = {"msgtype": "text", "text": {"content": text}}
    if subscription.format == WebhookFormat.DINGTALK and subscription.secret:
        millis = int(now * 1000)
        separator = "&" if "?" in url else "?"
        url = f"{url}{separator}timestamp={millis}&sign={dingtalk_sign(subscription.secret, millis)}"
    return Request(url, dumps(message), headers)


# --- Sending ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status: int | None = None
    error: str = ""
    duration_ms: int = 0


def _bot_error(subscription: WebhookSubscription, content: bytes) -> str:
    """The bots answer 200 with an error code in the body: errcode (企业微信, 钉钉), code (飞书)."""
    if subscription.format == WebhookFormat.JSON:
        return ""
    try:
        answer = json.loads(content.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return ""
    if not isinstance(answer, dict):
        return ""
    for key, message in (("errcode", "errmsg"), ("code", "msg"), ("StatusCode", "StatusMessage")):
        code = answer.get(key)
        if code not in (None, 0, "0"):
            return f"{key} {code}: {answer.get(message, '')}"[:500]
    return ""


def send(subscription: WebhookSubscription, request: Request) -> Outcome:
    """POST the request to the checked address (Host header and TLS SNI kept); no redirects."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = ssrf.resolve(request.url)
    except ssrf.TargetRefused as error:
        return Outcome(False, error=str(error)[:500], duration_ms=took())
    timeout = urllib3.Timeout(
        connect=settings.KAM_WEBHOOK_CONNECT_TIMEOUT, read=settings.KAM_WEBHOOK_READ_TIMEOUT
    )
    default_port = 443 if target.scheme == "https" else 80
    host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
    if ":" in target.host and target.port != default_port:
        host_header = f"[{target.host}]:{target.port}"
    elif ":" in target.host:
        host_header = f"[{target.host}]"
    options = {"timeout": timeout, "retries": False, "maxsize": 1}
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            **options,
        )
    else:
        pool = urllib3.HTTPConnectionPool(target.address, target.port, **options)
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=request.body,
            headers={**request.headers, "Host": host_header},
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            content = response.read(MAX_RESPONSE_BYTES)
        finally:
            response.release_conn()
    except urllib3.exceptions.HTTPError as error:
        kind = "timeout" if isinstance(error, urllib3.exceptions.TimeoutError) else "error"
        return Outcome(False, error=f"{kind}: {error}"[:500], duration_ms=took())
    finally:
        pool.close()
    status = response.status
    if not 200 <= status < 300:
        return Outcome(False, status=status, error=f"HTTP {status}", duration_ms=took())
    bot_error = _bot_error(subscription, content)
    if bot_error:
        return Outcome(False, status=status, error=bot_error, duration_ms=took())
    return Outcome(True, status=status, duration_ms=took())


# --- One attempt of a delivery ----------------------------------------------------------------


def lease_seconds() -> float:
    """How long a claimed delivery stays claimed: well beyond one request's timeouts."""
    return max(60.0, 3 * (settings.KAM_WEBHOOK_CONNECT_TIMEOUT + settings.KAM_WEBHOOK_READ_TIMEOUT))


def retry_delay(attempts: int) -> float | None:
    """Seconds before the next attempt after `attempts` attempts, jittered; None: give up."""
    schedule = settings.KAM_WEBHOOK_RETRY_SCHEDULE
    if attempts > len(schedule):
        return None
    base = schedule[attempts - 1]
    return base * random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311 - jitter, not a secret


def claim(delivery_id) -> Delivery | None:
    """Take the delivery for one attempt, or None when it is not due, taken, finished, or its
    subscription is inactive (then it waits: re-activating the subscription resumes it)."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription", "event")
            .filter(pk=delivery_id, status__in=OPEN)
            .first()
        )
        if delivery is None or not delivery.subscription.is_active:
            return None
        # Never attempted: go now. Otherwise only once due (a retry, or a lease that ran out).
        if delivery.attempts and delivery.next_attempt_at and delivery.next_attempt_at > now:
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = now + timedelta(seconds=lease_seconds())
        delivery.save(update_fields=["attempts", "next_attempt_at", "updated_at"])
    return delivery


def attempt(delivery_id) -> Delivery | None:
    """One attempt of the delivery; the delivery as it stands after it (None: not attempted)."""
    delivery = claim(delivery_id)
    if delivery is None:
        return None
    subscription = delivery.subscription
    outcome = send(subscription, build_request(subscription, delivery.event, delivery.pk))
    follow_up = _record(delivery, outcome)
    if follow_up:
        follow_up()
    return delivery


def _record(delivery: Delivery, outcome: Outcome):
    """Save the attempt and its consequences; what to do after the commit (or None)."""
    from .tasks import queue_send  # noqa: PLC0415 - tasks import this module

    now = timezone.now()
    subscription = delivery.subscription
    after = None
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            response_code=outcome.status,
            duration_ms=outcome.duration_ms,
            error=outcome.error,
        )
        delivery.last_response_code = outcome.status
        delivery.last_duration_ms = outcome.duration_ms
        delivery.last_error = outcome.error
        if outcome.ok:
            delivery.status = DeliveryStatus.SUCCEEDED
            delivery.next_attempt_at = None
            WebhookSubscription.objects.filter(pk=subscription.pk).exclude(consecutive_failures=0).update(
                consecutive_failures=0
            )
        elif outcome.status == 410:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
            reason = "The receiver answered 410 Gone."
            after = _disable(subscription, reason)
        else:
            delay = retry_delay(delivery.attempts)
            if delay is None:
                delivery.status = DeliveryStatus.FAILED
                delivery.next_attempt_at = None
                after = _count_failure(subscription)
            else:
                delivery.status = DeliveryStatus.RETRYING
                delivery.next_attempt_at = now + timedelta(seconds=delay)
                pk = delivery.pk
                transaction.on_commit(lambda: queue_send(pk, countdown=delay))
        delivery.save(
            update_fields=[
                "status",
                "next_attempt_at",
                "last_response_code",
                "last_duration_ms",
                "last_error",
                "updated_at",
            ]
        )
    return after


def _count_failure(subscription: WebhookSubscription):
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    failures = WebhookSubscription.objects.values_list("consecutive_failures", flat=True).get(
        pk=subscription.pk
    )
    if failures >= settings.KAM_WEBHOOK_DISABLE_AFTER:
        return _disable(subscription, f"{failures} deliveries in a row failed.")
    return None


def _disable(subscription: WebhookSubscription, reason: str):
    """Turn the subscription off (once); after the commit, tell the admins."""
    changed = WebhookSubscription.objects.filter(pk=subscription.pk, is_active=True).update(
        is_active=False, disabled_reason=reason[:300], updated_at=timezone.now()
    )
    if not changed:
        return None
    subscription.is_active = False
    subscription.disabled_reason = reason[:300]
    logger.warning("webhook subscription %s disabled: %s", subscription.pk, reason)

    def tell():
        from .services import tell_admins_disabled  # noqa: PLC0415

        tell_admins_disabled(subscription)

    return tell
