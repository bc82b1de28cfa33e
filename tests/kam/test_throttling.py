"""API throttling: a limit per signed-in user and one per anonymous client IP, both from settings.

Over the limit is a 429 with Retry-After and a JSON `detail`. Limits are set per test through
REST_FRAMEWORK (the throttles read it per request); the environment variables behind them are
checked in fresh processes, like tests/kam/test_settings.py does.
"""

import json
import uuid

import pytest
from rest_framework.test import APIClient

from tests.kam.test_settings import run
from web.throttling import UserRateThrottle

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"
# Open to anonymous callers, so their requests get as far as the throttles (else a 401 comes
# first): the API docs page (HTML, cheap) and the schema (JSON).
DOCS = "/api/docs/"
SCHEMA = "/api/schema/"


@pytest.fixture
def limits(settings):
    def set_limits(*, user="600/min", anon="60/min", num_proxies=0):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"user": user, "anon": anon},
            "NUM_PROXIES": num_proxies,
        }

    return set_limits


def signed_in(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def test_a_user_over_the_limit_gets_429_with_retry_after(rep, limits):
    limits(user="3/min")
    client = signed_in(rep)

    allowed = [client.get(ME).status_code for _ in range(3)]
    refused = client.get(ME)

    assert allowed == [200, 200, 200]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert refused["Content-Type"] == "application/json"
    assert refused.json() == {"detail": "Too many requests. Try again in 60 seconds."}


def test_the_user_may_call_again_once_the_window_has_passed(rep, limits, monkeypatch):
    limits(user="1/min")
    now = [1_000_000.0]
    monkeypatch.setattr(UserRateThrottle, "timer", lambda _throttle: now[0])
    client = signed_in(rep)
    assert client.get(ME).status_code == 200

    now[0] += 30
    refused = client.get(ME)
    now[0] += 30
    again = client.get(ME)

    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"
    assert again.status_code == 200


def test_one_users_limit_leaves_other_users_alone(rep, other_rep, limits):
    limits(user="2/min")
    busy, other = signed_in(rep), signed_in(other_rep)
    for _ in range(2):
        busy.get(ME)

    # Both come from the same address (127.0.0.1): signed-in users are counted by user, not IP.
    assert busy.get(ME).status_code == 429
    assert other.get(ME).status_code == 200


def test_token_authenticated_calls_count_against_the_same_user_limit(rep, limits):
    from rest_framework.authtoken.models import Token

    limits(user="1/min")
    by_session = signed_in(rep)
    by_token = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=rep).key}")

    assert by_session.get(ME).status_code == 200
    assert by_token.get(ME).status_code == 429


def test_anonymous_callers_are_limited_per_ip(api_client, limits):
    limits(anon="2/min")
    allowed = [api_client.get(DOCS, REMOTE_ADDR="10.0.0.1").status_code for _ in range(2)]

    # One count per IP across the whole API: the schema is refused after two docs pages.
    refused = api_client.get(
        SCHEMA, REMOTE_ADDR="10.0.0.1", HTTP_ACCEPT="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    elsewhere = api_client.get(DOCS, REMOTE_ADDR="10.0.0.2")

    assert allowed == [200, 200]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert refused.json() == {"detail": "Too many requests. Try again in 60 seconds."}
    assert elsewhere.status_code == 200


def test_the_anonymous_limit_does_not_touch_signed_in_users(rep, limits):
    limits(user="600/min", anon="1/min")
    client = signed_in(rep)

    assert [client.get(ME).status_code for _ in range(3)] == [200, 200, 200]


def test_without_proxies_a_client_cannot_choose_its_ip_with_x_forwarded_for(api_client, limits):
    limits(anon="1/min", num_proxies=0)

    first = api_client.get(DOCS, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1")
    spoofed = api_client.get(DOCS, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.2")

    assert first.status_code == 200
    assert spoofed.status_code == 429


def test_behind_one_proxy_the_address_it_forwards_is_the_client(api_client, limits):
    limits(anon="1/min", num_proxies=1)
    proxy = {"REMOTE_ADDR": "10.9.9.9"}

    first = api_client.get(DOCS, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy)
    same_client = api_client.get(DOCS, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy)
    other_client = api_client.get(DOCS, HTTP_X_FORWARDED_FOR="203.0.113.6", **proxy)
    # A client's own X-Forwarded-For entry comes before the one the proxy appends: ignored.
    spoofed = api_client.get(DOCS, HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.5", **proxy)

    assert [first.status_code, same_client.status_code] == [200, 429]
    assert other_client.status_code == 200
    assert spoofed.status_code == 429


@pytest.mark.services
def test_the_counts_live_in_the_shared_redis_cache(redis_url, rep, limits, settings):
    import redis

    prefix = f"kam-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": prefix,
        }
    }
    limits(user="1/min")
    server = redis.Redis.from_url(redis_url)
    try:
        assert signed_in(rep).get(ME).status_code == 200
        # A second client, as another web process would be: the count is already there.
        assert signed_in(rep).get(ME).status_code == 429
        assert [key.decode() for key in server.keys(f"{prefix}:*")] == [f"{prefix}:1:throttle_user_{rep.pk}"]
    finally:
        for key in server.keys(f"{prefix}:*"):
            server.delete(key)


PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "api = s.REST_FRAMEWORK; cache = s.CACHES['default']; "
    "print(json.dumps({'rates': api['DEFAULT_THROTTLE_RATES'], 'proxies': api['NUM_PROXIES'], "
    "'cache': cache['BACKEND'].rsplit('.', 1)[-1], 'location': cache.get('LOCATION')}))"
)


def test_default_limits_and_a_per_process_cache(tmp_path):
    values = json.loads(run(PROBE, {"DEBUG": "1"}, tmp_path).stdout)

    assert values == {
        "rates": {"user": "600/min", "anon": "60/min"},
        "proxies": 0,
        "cache": "LocMemCache",
        "location": None,
    }


def test_limits_proxies_and_redis_cache_come_from_the_environment(tmp_path):
    env = {
        "DEBUG": "1",
        "KAM_API_THROTTLE_USER": "100/hour",
        "KAM_API_THROTTLE_ANON": "5/min",
        "KAM_NUM_PROXIES": "1",
        "REDIS_URL": "redis://cache.example:6379/2",
    }
    values = json.loads(run(PROBE, env, tmp_path).stdout)

    assert values == {
        "rates": {"user": "100/hour", "anon": "5/min"},
        "proxies": 1,
        "cache": "RedisCache",
        "location": "redis://cache.example:6379/2",
    }


def test_a_redis_broker_is_the_cache_when_redis_url_is_unset(tmp_path):
    env = {"DEBUG": "1", "CELERY_BROKER_URL": "redis://broker.example:6379/0"}
    values = json.loads(run(PROBE, env, tmp_path).stdout)

    assert (values["cache"], values["location"]) == ("RedisCache", "redis://broker.example:6379/0")


def test_a_malformed_limit_stops_start_up(tmp_path):
    result = run(PROBE, {"DEBUG": "1", "KAM_API_THROTTLE_ANON": "sixty a minute"}, tmp_path)

    assert result.returncode != 0
    assert "KAM_API_THROTTLE_ANON='sixty a minute'" in result.stderr


def test_the_token_endpoint_is_limited_per_ip_across_usernames(api_client, limits, rep):
    """Axes locks one username+IP; a spray over many usernames from one IP meets this limit."""
    limits(anon="3/min")
    answers = [
        api_client.post(
            "/api/v1/auth/token/", {"username": f"guess{n}", "password": "x"}, REMOTE_ADDR="10.0.0.9"
        ).status_code
        for n in range(4)
    ]

    assert answers == [400, 400, 400, 429]
    assert (
        api_client.post(
            "/api/v1/auth/token/", {"username": "rep1", "password": "x"}, REMOTE_ADDR="10.0.0.8"
        ).status_code
        == 400
    )


@pytest.mark.parametrize(
    ("num_proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.7", "10.0.0.1"),  # no proxy: a forged header is ignored
        (0, None, "10.0.0.1"),
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the client forged the first entry
        (2, "198.51.100.1, 203.0.113.7", "198.51.100.1"),
        (3, "203.0.113.7", "203.0.113.7"),
    ],
)
def test_logins_are_locked_per_the_same_client_address_as_the_api_limits(
    limits, rf, num_proxies, forwarded, expected
):
    from web.auth import client_ip

    limits(num_proxies=num_proxies)
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}

    assert client_ip(rf.post("/login/", REMOTE_ADDR="10.0.0.1", **headers)) == expected


def test_axes_uses_that_address(limits, client, rep):
    limits(num_proxies=1)
    for _ in range(5):
        client.post(
            "/login/",
            {"username": "rep1", "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )

    from axes.models import AccessAttempt

    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.7"]
    other = client.post(
        "/login/",
        {"username": "rep1", "password": "wrong"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.8",
    )
    assert other.status_code != 429  # another client behind the same proxy is not locked out
