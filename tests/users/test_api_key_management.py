"""Managing API keys: the user's own page (`/account/api-keys/`), the API (`/api/v1/api-keys/`)
and the Django admin. The full key is shown once, on creation, and never again; admins manage
everyone's keys, anyone else only their own."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import UserFactory
from users import api_keys, selectors, services
from users.models import ApiKey, ApiKeyScope, ApiKeyStatus

pytestmark = pytest.mark.django_db

KEYS = "/api/v1/api-keys/"
PAGE = "/account/api-keys/"
KEY = re.compile(r"kam_[a-z0-9]{8}_[A-Za-z0-9]{43}")


def signed_in(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def new_key(user, *, by=None, name="ERP 用友", **kwargs) -> tuple[ApiKey, str]:
    return services.api_key_create(user=user, name=name, by=by or user, **kwargs)


# --- The API --------------------------------------------------------------------------------------


def test_a_rep_creates_a_key_for_themselves_and_sees_it_once(rep):
    client = signed_in(rep)

    created = client.post(KEYS, {"name": "BI 报表", "scope": "read"}, format="json")
    listed = client.get(KEYS)
    one = client.get(f"{KEYS}{created.json()['id']}/")

    assert created.status_code == 201
    body = created.json()
    key = body["key"]
    assert KEY.fullmatch(key)
    assert key.startswith(f"kam_{body['prefix']}_")
    assert body["user"] == rep.pk
    assert body["created_by"] == rep.pk
    assert body["status"] == "active"
    stored = ApiKey.objects.get(pk=body["id"])
    assert api_keys.secret_matches(key.split("_", 2)[2], stored.secret_hash)
    # Never again: not in the list, not in the key's own page.
    assert "key" not in listed.json()["results"][0]
    assert "key" not in one.json()
    assert key[13:] not in listed.content.decode() + one.content.decode()


def test_the_scope_defaults_to_read_only(rep):
    body = signed_in(rep).post(KEYS, {"name": "BI 报表"}, format="json").json()

    assert body["scope"] == ApiKeyScope.READ


def test_a_rep_cannot_create_a_key_for_someone_else(rep, other_rep):
    response = signed_in(rep).post(KEYS, {"name": "冒名", "user": other_rep.pk}, format="json")

    assert response.status_code == 400
    assert response.json() == {"user": ["You can create API keys only for yourself."]}
    assert not ApiKey.objects.exists()


def test_a_manager_cannot_create_a_key_for_their_rep(manager, rep):
    response = signed_in(manager).post(KEYS, {"name": "代建", "user": rep.pk}, format="json")

    assert response.status_code == 400


def test_an_admin_creates_a_key_for_anyone_active(admin_user, rep):
    response = signed_in(admin_user).post(
        KEYS, {"name": "ERP 用友", "user": rep.pk, "scope": "read_write"}, format="json"
    )

    assert response.status_code == 201
    api_key = ApiKey.objects.get(pk=response.json()["id"])
    assert (api_key.user, api_key.created_by, api_key.scope) == (rep, admin_user, ApiKeyScope.READ_WRITE)


def test_no_key_for_an_inactive_user(admin_user):
    gone = UserFactory(username="gone", is_active=False)

    response = signed_in(admin_user).post(KEYS, {"name": "ERP", "user": gone.pk}, format="json")

    assert response.status_code == 400
    assert "user" in response.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": "  "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "ctl\u000bname"}, "name"),
        ({"name": "ERP", "scope": "admin"}, "scope"),
        ({"name": "ERP", "expires_at": "2001-01-01T00:00:00+08:00"}, "expires_at"),
        ({"name": "ERP", "expires_at": "soon"}, "expires_at"),
        ({"name": "ERP", "user": 2**63}, "user"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(rep, body, field):
    response = signed_in(rep).post(KEYS, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not ApiKey.objects.exists()


def test_a_rep_lists_only_their_own_keys_and_an_admin_lists_all(rep, other_rep, manager, admin_user):
    own, _key = new_key(rep)
    new_key(other_rep)
    new_key(manager)

    mine = [row["id"] for row in signed_in(rep).get(KEYS).json()["results"]]
    managers = signed_in(manager).get(KEYS).json()["count"]
    everyone = signed_in(admin_user).get(KEYS).json()["count"]

    assert mine == [own.pk]
    assert managers == 1  # a manager's are theirs alone, not their reps'
    assert everyone == 3


def test_someone_elses_key_is_a_404_to_read_and_to_revoke(rep, other_rep, manager):
    api_key, _key = new_key(rep)

    for user in (other_rep, manager):
        client = signed_in(user)
        assert client.get(f"{KEYS}{api_key.pk}/").status_code == 404
        assert client.post(f"{KEYS}{api_key.pk}/revoke/").status_code == 404
    api_key.refresh_from_db()
    assert api_key.revoked_at is None


def test_revoking_over_the_api_and_again_changes_nothing_more(rep, admin_user):
    api_key, key = new_key(rep)

    first = signed_in(rep).post(f"{KEYS}{api_key.pk}/revoke/")
    revoked_at = ApiKey.objects.get(pk=api_key.pk).revoked_at
    again = signed_in(admin_user).post(f"{KEYS}{api_key.pk}/revoke/")

    assert first.status_code == again.status_code == 200
    assert first.json()["status"] == ApiKeyStatus.REVOKED
    assert first.json()["revoked_at"]
    assert ApiKey.objects.get(pk=api_key.pk).revoked_at == revoked_at
    assert APIClient(HTTP_AUTHORIZATION=f"Api-Key {key}").get("/api/v1/me/").status_code == 401


def test_an_admin_revokes_anyones_key(rep, admin_user):
    api_key, _key = new_key(rep)

    response = signed_in(admin_user).post(f"{KEYS}{api_key.pk}/revoke/")

    assert response.status_code == 200
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None


def test_a_key_may_list_keys_but_not_make_or_revoke_them(rep):
    api_key, key = new_key(rep, scope=ApiKeyScope.READ_WRITE)
    client = APIClient(HTTP_AUTHORIZATION=f"Api-Key {key}", HTTP_ACCEPT_LANGUAGE="en")

    listed = client.get(KEYS)
    created = client.post(KEYS, {"name": "继任者"}, format="json")
    revoked = client.post(f"{KEYS}{api_key.pk}/revoke/")

    assert listed.status_code == 200
    assert created.status_code == revoked.status_code == 403
    assert created.json()["detail"] == "API keys cannot be created or revoked with an API key."
    assert ApiKey.objects.count() == 1
    assert ApiKey.objects.get().revoked_at is None


def test_the_status_says_expired_and_revoked(rep):
    expired, _key = new_key(rep, name="旧", expires_at=timezone.now() + timedelta(days=1))
    ApiKey.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    revoked, _key = new_key(rep, name="撤")
    services.api_key_revoke(api_key=revoked, by=rep)
    new_key(rep, name="新")

    statuses = {row["name"]: row["status"] for row in signed_in(rep).get(KEYS).json()["results"]}

    assert statuses == {"旧": "expired", "撤": "revoked", "新": "active"}


def test_the_list_costs_the_same_queries_however_many_keys(admin_user, rep, django_assert_num_queries):
    for n in range(5):
        new_key(rep, name=f"集成{n}", by=admin_user)
    client = signed_in(admin_user)

    # The count, then the page of keys with their users and creators joined.
    with django_assert_num_queries(2):
        assert client.get(KEYS).json()["count"] == 5


# --- The page -----------------------------------------------------------------------------------


def test_the_page_lists_only_the_users_own_keys(client, rep, other_rep, admin_user):
    new_key(rep, name="我的集成")
    new_key(other_rep, name="别人的集成")
    new_key(admin_user, name="管理员的集成")
    client.force_login(rep)

    html = client.get(PAGE).content.decode()

    assert "我的集成" in html
    assert "别人的集成" not in html
    assert "管理员的集成" not in html


def test_creating_on_the_page_shows_the_key_once(client, rep):
    client.force_login(rep)

    response = client.post(PAGE, {"name": "ERP 用友", "scope": "read_write", "valid_until": ""})
    html = response.content.decode()
    key = KEY.search(html)[0]
    later = client.get(PAGE).content.decode()

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert 'data-testid="api-key-created"' in html
    api_key = ApiKey.objects.get()
    assert (api_key.user, api_key.scope, api_key.expires_at) == (rep, ApiKeyScope.READ_WRITE, None)
    assert key.startswith(f"kam_{api_key.prefix}_")
    assert key not in later
    assert key[13:] not in later
    assert f"kam_{api_key.prefix}_…" in later


def test_the_page_key_expires_at_the_end_of_its_last_day(client, rep):
    client.force_login(rep)
    last_day = timezone.localdate() + timedelta(days=30)

    client.post(PAGE, {"name": "BI", "scope": "read", "valid_until": last_day.isoformat()})

    expires_at = timezone.localtime(ApiKey.objects.get().expires_at)
    assert (expires_at.date(), expires_at.hour, expires_at.minute) == (last_day + timedelta(days=1), 0, 0)


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "scope": "read"},
        {"name": "BI", "scope": "everything"},
        {"name": "BI", "scope": "read", "valid_until": "2001-01-01"},
    ],
)
def test_bad_input_on_the_page_is_the_form_again_with_a_400(client, rep, data):
    client.force_login(rep)

    response = client.post(PAGE, data)

    assert response.status_code == 400
    assert 'data-testid="form-errors"' in response.content.decode()
    assert not ApiKey.objects.exists()


def test_revoking_on_the_page(client, rep):
    api_key, _key = new_key(rep)
    client.force_login(rep)

    response = client.post(f"{PAGE}{api_key.pk}/revoke/")

    assert response.status_code == 302
    assert response["Location"] == PAGE
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    html = client.get(PAGE).content.decode()
    assert 'data-testid="api-key-revoke"' not in html


def test_someone_elses_key_cannot_be_revoked_on_the_page(client, rep, manager):
    api_key, _key = new_key(rep)
    client.force_login(manager)

    assert client.post(f"{PAGE}{api_key.pk}/revoke/").status_code == 404
    api_key.refresh_from_db()
    assert api_key.revoked_at is None


def test_the_nav_links_to_the_page(client, rep):
    client.force_login(rep)

    assert 'href="/account/api-keys/"' in client.get("/customers/").content.decode()


def test_the_pages_selector_is_one_query(rep, django_assert_num_queries):
    for n in range(3):
        new_key(rep, name=f"集成{n}")

    with django_assert_num_queries(1):
        rows = selectors.api_keys_of(user=rep, now=timezone.now())

    assert [row.status for row in rows] == [ApiKeyStatus.ACTIVE] * 3


# --- The admin ------------------------------------------------------------------------------------


def test_an_admin_creates_a_key_in_the_admin_and_sees_it_once_in_a_message(client, admin_user, rep):
    client.force_login(admin_user)

    response = client.post(
        "/admin/users/apikey/add/",
        {"user": rep.pk, "name": "ERP 用友", "scope": "read", "expires_at_0": "", "expires_at_1": ""},
    )
    shown = client.get(response["Location"]).content.decode()  # the message, on the next page
    api_key = ApiKey.objects.get()
    later = client.get(f"/admin/users/apikey/{api_key.pk}/change/").content.decode()

    assert response.status_code == 302
    assert (api_key.user, api_key.created_by) == (rep, admin_user)
    keys = KEY.findall(shown)
    assert len(keys) == 1
    assert api_keys.secret_matches(keys[0].split("_", 2)[2], api_key.secret_hash)
    assert keys[0] not in later
    assert f"kam_{api_key.prefix}_…" in later


def test_the_admins_revoke_action(client, admin_user, rep, other_rep):
    first, _key = new_key(rep)
    second, _key = new_key(other_rep)
    client.force_login(admin_user)

    response = client.post(
        "/admin/users/apikey/", {"action": "revoke", "_selected_action": [first.pk, second.pk]}
    )

    assert response.status_code == 302
    assert ApiKey.objects.filter(revoked_at__isnull=True).count() == 0


def test_the_admin_refuses_an_expiry_in_the_past(client, admin_user, rep):
    client.force_login(admin_user)

    response = client.post(
        "/admin/users/apikey/add/",
        {
            "user": rep.pk,
            "name": "ERP",
            "scope": "read",
            "expires_at_0": "2001-01-01",
            "expires_at_1": "00:00:00",
        },
    )

    assert response.status_code == 200
    assert not ApiKey.objects.exists()
