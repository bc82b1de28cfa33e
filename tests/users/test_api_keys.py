"""API keys authenticating the API: `Authorization: Api-Key <key>` acts as the key's user, under
that user's visibility and rate limit; the key is hashed at rest; a read-only key is refused on
writes; an expired or revoked key, or an inactive user's, is refused from the next request on;
keys in the URL are refused; `last_used_at` is written at most once a minute."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Customer
from audit.models import AuditEvent
from tests.factories import CustomerFactory
from users import services
from users.models import ApiKey, ApiKeyScope

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"
CUSTOMERS = "/api/v1/customers/"


def new_key(user, *, scope=ApiKeyScope.READ, by=None, **kwargs) -> tuple[ApiKey, str]:
    return services.api_key_create(user=user, name="ERP 用友", scope=scope, by=by or user, **kwargs)


def with_key(key: str, keyword: str = "Api-Key") -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"{keyword} {key}", HTTP_ACCEPT_LANGUAGE="en")


def detail(response) -> str:
    return response.json()["detail"]


# --- At rest ------------------------------------------------------------------------------------


def test_the_key_is_hashed_at_rest_a_raw_read_of_the_table_shows_no_part_of_the_secret(rep):
    api_key, key = new_key(rep)
    secret = key.split("_", 2)[2]

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM users_apikey")
        table = repr(cursor.fetchall())

    assert api_key.prefix in table  # the public id is there…
    assert key not in table
    assert secret not in table
    windows = {secret[start : start + 12] for start in range(len(secret) - 11)}
    assert not [window for window in windows if window in table]  # not even a piece of it


def test_the_audit_trail_records_the_new_key_without_its_secret_or_hash(rep):
    api_key, key = new_key(rep)
    secret = key.split("_", 2)[2]

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM audit_auditevent")
        trail = repr(cursor.fetchall())

    created = AuditEvent.objects.get(object_type="apikey", object_id=api_key.pk, action="create")
    assert set(created.changes) == {"user", "name", "prefix", "scope", "created_by"}  # empty ones left out
    assert secret not in trail
    assert api_key.secret_hash not in trail


def test_keys_have_the_documented_shape_and_distinct_prefixes(rep):
    keys = [new_key(rep)[1] for _ in range(20)]

    assert all(key.startswith("kam_") and len(key) == 4 + 8 + 1 + 43 for key in keys)
    assert len({key[4:12] for key in keys}) == 20


# --- Authenticating -----------------------------------------------------------------------------


def test_a_key_authenticates_as_its_user(rep):
    _api_key, key = new_key(rep)

    response = with_key(key).get(ME)

    assert response.status_code == 200
    assert response.json()["username"] == rep.username


def test_bearer_carries_a_key_too(rep):
    _api_key, key = new_key(rep)

    assert with_key(key, "Bearer").get(ME).json()["username"] == rep.username


def test_a_key_sees_what_its_user_sees_and_nothing_more(rep, other_rep):
    own = CustomerFactory(owner=rep, name="华信集团")
    others = CustomerFactory(owner=other_rep, name="别人的客户")
    _api_key, key = new_key(rep)
    client = with_key(key)

    listed = [row["id"] for row in client.get(CUSTOMERS).json()["results"]]

    assert listed == [own.pk]
    assert client.get(f"{CUSTOMERS}{others.pk}/").status_code == 404


def test_the_existing_token_and_session_logins_keep_working(client, rep):
    token = Token.objects.create(user=rep)
    client.force_login(rep)

    by_token = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}").get(ME)
    by_session = client.get(ME)

    assert by_token.status_code == by_session.status_code == 200
    assert by_token.json()["username"] == by_session.json()["username"] == rep.username


@pytest.mark.parametrize(
    "header",
    [
        "Api-Key kam_abcdefgh_" + "x" * 43,  # the right shape, no such key
        "Api-Key not-a-key",
        "Api-Key",
        "Api-Key two parts",
        "Bearer 0123456789abcdef0123456789abcdef01234567",  # a DRF token is not a key
    ],
)
def test_a_wrong_or_malformed_key_is_a_401(rep, header):
    response = APIClient(HTTP_AUTHORIZATION=header, HTTP_ACCEPT_LANGUAGE="en").get(ME)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Api-Key realm="api"'
    assert detail(response)


def test_a_wrong_secret_for_a_real_prefix_is_a_401_and_touches_nothing(rep):
    api_key, key = new_key(rep)
    wrong = key[:-1] + ("A" if key[-1] != "A" else "B")

    response = with_key(wrong).get(ME)

    assert response.status_code == 401
    assert detail(response) == "Invalid API key."
    api_key.refresh_from_db()
    assert api_key.last_used_at is None
    assert api_key.revoked_at is None
    assert with_key(key).get(ME).status_code == 200  # no lockout of the real key either


def test_a_header_that_is_not_ascii_is_a_401(rep):
    response = APIClient(HTTP_AUTHORIZATION="Api-Key kam_ключ".encode().decode("latin-1")).get(ME)

    assert response.status_code == 401


# --- Scope ----------------------------------------------------------------------------------------


def test_a_read_only_key_reads_but_every_write_is_a_403_that_writes_nothing(rep):
    customer = CustomerFactory(owner=rep, name="华信集团", notes="")
    _api_key, key = new_key(rep, scope=ApiKeyScope.READ)
    client = with_key(key)
    count = Customer.objects.count()

    reads = [client.get(CUSTOMERS).status_code, client.get(f"{CUSTOMERS}{customer.pk}/").status_code]
    post = client.post(CUSTOMERS, {"name": "新客户有限公司"}, format="json")
    patch = client.patch(f"{CUSTOMERS}{customer.pk}/", {"notes": "改"}, format="json")
    put = client.put(f"{CUSTOMERS}{customer.pk}/", {"name": "改名"}, format="json")
    delete = client.delete(f"{CUSTOMERS}{customer.pk}/")

    assert reads == [200, 200]
    assert [post.status_code, patch.status_code, put.status_code, delete.status_code] == [403] * 4
    assert detail(post) == "This API key is read-only: it may read (GET, HEAD, OPTIONS) but not POST."
    customer.refresh_from_db()
    assert Customer.objects.count() == count
    assert customer.notes == ""
    assert customer.name == "华信集团"


def test_a_read_only_key_is_refused_on_views_with_their_own_permissions_too(manager):
    _api_key, key = new_key(manager, scope=ApiKeyScope.READ)

    response = with_key(key).patch("/api/v1/scoring/model/", {}, format="json")

    assert response.status_code == 403


def test_a_read_write_key_writes_as_its_user(rep):
    _api_key, key = new_key(rep, scope=ApiKeyScope.READ_WRITE)

    response = with_key(key).post(CUSTOMERS, {"name": "新客户有限公司"}, format="json")

    assert response.status_code == 201
    created = Customer.objects.get(pk=response.json()["id"])
    assert created.owner == rep
    event = AuditEvent.objects.get(object_type="customer", object_id=created.pk, action="create")
    assert event.actor == rep


# --- Expiry, revocation, the user ---------------------------------------------------------------


def test_an_expired_key_is_a_401_saying_so(rep):
    api_key, key = new_key(rep, expires_at=timezone.now() + timedelta(days=1))
    client = with_key(key)
    assert client.get(ME).status_code == 200

    ApiKey.objects.filter(pk=api_key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(ME)

    assert response.status_code == 401
    assert detail(response).startswith("This API key expired on ")


def test_revoking_takes_effect_on_the_next_request(rep):
    api_key, key = new_key(rep, scope=ApiKeyScope.READ_WRITE)
    client = with_key(key)
    assert client.get(ME).status_code == 200

    services.api_key_revoke(api_key=api_key, by=rep)
    response = client.get(ME)

    assert response.status_code == 401
    assert detail(response).startswith("This API key was revoked on ")


def test_an_inactive_users_key_is_a_401(rep):
    api_key, key = new_key(rep)
    # A queryset update sends no signal: the key stays unrevoked, and the user check alone refuses it.
    type(rep).objects.filter(pk=rep.pk).update(is_active=False)

    response = with_key(key).get(ME)

    assert response.status_code == 401
    assert detail(response) == "The user of this API key is inactive."
    api_key.refresh_from_db()
    assert api_key.revoked_at is None


def test_deactivating_a_user_revokes_their_keys_and_reactivating_brings_none_back(rep):
    api_key, key = new_key(rep)

    rep.is_active = False
    rep.save()
    rep.is_active = True
    rep.save()

    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert with_key(key).get(ME).status_code == 401


def test_a_new_password_leaves_the_users_keys_working(rep):
    _api_key, key = new_key(rep)

    rep.set_password("a-brand-new-password-42")
    rep.save()

    assert with_key(key).get(ME).status_code == 200


# --- Keys in the URL ----------------------------------------------------------------------------


@pytest.mark.parametrize("parameter", ["api_key", "key", "token", "access_token", "API_KEY"])
def test_credentials_in_the_query_string_are_refused_with_a_message(rep, parameter):
    _api_key, key = new_key(rep)

    response = APIClient(HTTP_ACCEPT_LANGUAGE="en").get(ME, {parameter: key})

    assert response.status_code == 401
    assert f"(“{parameter}”)" in detail(response)
    assert "Authorization: Api-Key <key>" in detail(response)


def test_a_key_in_the_url_is_refused_even_when_the_header_is_right(rep):
    _api_key, key = new_key(rep)
    token = Token.objects.create(user=rep)

    by_key = with_key(key).get(ME, {"api_key": key})
    by_token = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}").get(ME, {"token": token.key})

    assert by_key.status_code == by_token.status_code == 401


# --- Last used ----------------------------------------------------------------------------------


def _key_updates(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith('UPDATE "users_apikey"')]


def test_last_used_is_written_at_most_once_a_minute(rep):
    api_key, key = new_key(rep)
    client = with_key(key)

    with CaptureQueriesContext(connection) as first:
        client.get(ME)
    api_key.refresh_from_db()
    used = api_key.last_used_at
    with CaptureQueriesContext(connection) as again:
        for _ in range(3):
            client.get(ME)
    api_key.refresh_from_db()

    assert used is not None
    assert timezone.now() - used < timedelta(seconds=5)
    assert len(_key_updates(first.captured_queries)) == 1
    assert _key_updates(again.captured_queries) == []
    assert api_key.last_used_at == used


def test_last_used_is_written_again_once_a_minute_has_passed(rep):
    api_key, key = new_key(rep)
    earlier = timezone.now() - timedelta(seconds=61)
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=earlier)

    with CaptureQueriesContext(connection) as queries:
        with_key(key).get(ME)
    api_key.refresh_from_db()

    assert len(_key_updates(queries.captured_queries)) == 1
    assert api_key.last_used_at > earlier + timedelta(seconds=60)


def test_using_a_key_writes_no_audit_row(rep):
    api_key, key = new_key(rep)
    before = AuditEvent.objects.count()

    with_key(key).get(ME)

    assert AuditEvent.objects.count() == before


def test_a_refused_write_does_not_count_as_a_use(rep):
    api_key, key = new_key(rep, scope=ApiKeyScope.READ)

    with_key(key).post(CUSTOMERS, {"name": "新客户有限公司"}, format="json")

    api_key.refresh_from_db()
    assert api_key.last_used_at is None


def test_an_authenticated_request_costs_one_query_for_the_key_when_last_used_is_fresh(
    rep, django_assert_num_queries
):
    _api_key, key = new_key(rep)
    client = with_key(key)
    client.get(ME)  # writes last_used_at

    # The key with its user (one join), then MeView's two prefetches (teams, managed teams).
    with django_assert_num_queries(3):
        client.get(ME)


# --- Rate limits --------------------------------------------------------------------------------


def test_a_key_counts_against_its_users_rate_limit(rep, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "3/min", "anon": "60/min"},
    }
    _api_key, key = new_key(rep)
    token = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=rep).key}")

    statuses = [token.get(ME).status_code, token.get(ME).status_code, with_key(key).get(ME).status_code]
    over = with_key(key).get(ME)

    assert statuses == [200, 200, 200]
    assert over.status_code == 429
