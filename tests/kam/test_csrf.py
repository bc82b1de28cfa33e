"""CSRF: whatever changes something through a browser login needs the CSRF token.

Pages: every URL outside /api/ (read from the URLconf, the admin's included) refuses a POST
that carries the CSRF cookie but not the token, as a forged cross-site form would, with a 403
from Django's CSRF check; the same POST with the token gets past the check. Pages that only
show something refuse it too, so no route needs sorting into "reads" and "writes" by hand.

API: DRF checks CSRF for session logins only. A write under /api/v1/ made with the session
cookie and without X-CSRFToken is refused (403) and changes nothing; with a token in the
Authorization header no CSRF token is needed, since a browser never adds that header by itself.
"""

import logging
import re
from datetime import date

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve
from django.utils.crypto import get_random_string
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Customer
from pipeline.models import AccountPlan
from tests.factories import ContactFactory, CustomerFactory, OpportunityFactory, VisitFactory
from users.authentication import ApiKeyAuthentication
from users.services import api_key_create

pytestmark = pytest.mark.django_db

CSRF_SECRET = get_random_string(32)


def url_patterns(resolver=None, prefix="", namespace=None):
    """(name, route, view) of every URL, routes joined from the root as Django lists them."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace and ":".join(filter(None, [namespace, pattern.namespace]))
            yield from url_patterns(pattern, prefix + str(pattern.pattern), inner or namespace)
        else:
            name = pattern.name and ":".join(filter(None, [namespace, pattern.name]))
            yield name or "", prefix + str(pattern.pattern), pattern.callback


PAGE_ROUTES = [(name, route, view) for name, route, view in url_patterns() if not route.startswith("api/")]
API_VIEWS = {view.cls for _name, route, view in url_patterns() if route.startswith("api/")}

# Pages that take a POST to change something. They must be among the routes checked below, so
# a change to how routes are read (or where these live) cannot quietly leave them out.
STATE_CHANGING_PAGES = {
    "login",
    "logout",
    "set_language",
    "accounts:customer-create",
    "accounts:customer-edit",
    "accounts:contact-create",
    "accounts:contact-edit",
    "accounts:visit-log",
    "accounts:follow-up-done",
    "accounts_io:customers-import",
    "accounts_io:transactions-import",
    "scoring:home",
    "scoring:run-start",
    "plans:plan-create",
    "plans:plan-edit",
    "plans:plan-advance",
    "pipeline:opportunity-create",
    "pipeline:opportunity-edit",
    "pipeline:opportunity-move",
    "pipeline:gate-check",
    "users:api-keys",
    "users:api-key-revoke",
    "admin:users_apikey_add",
    "admin:users_user_add",
    "admin:users_user_change",
    "admin:auth_user_password_change",
}

# `<int:pk>` or `(?P<app_label>...)`: group 2 or 3 is the parameter's name.
URL_PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


@pytest.fixture
def page_objects(admin_user):
    customer = CustomerFactory(owner=admin_user)
    return {
        "customer": customer,
        "contact": ContactFactory(customer=customer),
        "visit": VisitFactory(customer=customer, follow_up_on=date(2026, 1, 5)),
        "opportunity": OpportunityFactory(customer=customer),
        "plan": AccountPlan.objects.create(
            customer=customer,
            title="年度联合生意计划",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 12, 31),
            created_by=admin_user,
        ),
    }


def page_path(name: str, route: str, objects: dict) -> str:
    """A URL of the route, its parameters naming real objects where this test knows them.

    Any other parameter (the admin's object ids, a new page's) gets a placeholder: the CSRF
    check runs before the view, so the refusal is the same whether or not the object exists.
    """
    namespace = name.partition(":")[0]
    pk_of = {"plans": "plan", "pipeline": "opportunity"}.get(namespace, "customer")
    if name == "accounts:follow-up-done":
        pk_of = "visit"
    values = {
        "pk": objects[pk_of].pk,
        "customer_id": objects["customer"].pk,
        "customer_pk": objects["customer"].pk,
        "contact_pk": objects["contact"].pk,
        "app_label": "users",
        "url": "no-such-page/",
    }

    def value(match: re.Match) -> str:
        return str(values.get(match[2] or match[3], 0))

    # Regex routes (the admin's) keep their anchors in the joined route: drop them.
    return "/" + URL_PARAMETER.sub(value, route).replace("^", "").replace("$", "")


def csrf_refusals(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "django.security.csrf"]


def test_the_pages_that_change_something_are_among_those_checked():
    assert STATE_CHANGING_PAGES - {name for name, _route, _view in PAGE_ROUTES} == set()


@pytest.mark.parametrize(
    ("name", "route", "view"), PAGE_ROUTES, ids=[name or route for name, route, _ in PAGE_ROUTES]
)
def test_a_page_refuses_a_post_without_the_csrf_token(name, route, view, admin_user, page_objects, caplog):
    path = page_path(name, route, page_objects)
    assert resolve(path).func is view
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    caplog.set_level(logging.WARNING, logger="django.security.csrf")

    refused = client.post(path)
    refusals = csrf_refusals(caplog)
    caplog.clear()
    with_token = client.post(path, HTTP_X_CSRFTOKEN=CSRF_SECRET)

    assert refused.status_code == 403
    assert refusals == [f"Forbidden (CSRF token missing.): {path}"]
    assert csrf_refusals(caplog) == []
    if not route.startswith("admin/"):
        # The admin answers 403 itself to adding or editing its read-only records (login
        # attempts, audit events), token or not; the empty log above is its positive control.
        assert with_token.status_code != 403, with_token


# --- API ----------------------------------------------------------------------------------------


@pytest.fixture
def customer(rep):
    return CustomerFactory(owner=rep, name="原名有限公司")


def customer_body(**fields) -> dict:
    return {"name": "新名有限公司", "industry": "制造业", "region": "华东", **fields}


API_WRITES = {
    "create": ("post", "/api/v1/customers/", customer_body(), 201),
    "replace": ("put", "/api/v1/customers/{pk}/", customer_body(), 200),
    "update": ("patch", "/api/v1/customers/{pk}/", {"name": "新名有限公司"}, 200),
    "delete": ("delete", "/api/v1/customers/{pk}/", None, 204),
}


def api_write(client, write, customer):
    method, url, body, _status = API_WRITES[write]
    return getattr(client, method)(url.format(pk=customer.pk), body, format="json", HTTP_ACCEPT_LANGUAGE="en")


def customer_rows() -> list[tuple]:
    return list(Customer.objects.order_by("pk").values_list("pk", "name", "region"))


@pytest.mark.parametrize("write", API_WRITES)
def test_a_session_api_write_without_the_csrf_token_is_refused_and_changes_nothing(write, rep, customer):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(rep)
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    before = customer_rows()

    response = api_write(client, write, customer)

    assert response.status_code == 403
    assert response.json() == {"detail": "CSRF Failed: CSRF token missing."}
    assert customer_rows() == before


@pytest.mark.parametrize("write", API_WRITES)
def test_a_session_api_write_with_the_csrf_token_goes_through(write, rep, customer):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(rep)
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    client.credentials(HTTP_X_CSRFTOKEN=CSRF_SECRET)

    response = api_write(client, write, customer)

    assert response.status_code == API_WRITES[write][3], response.content


@pytest.mark.parametrize("write", API_WRITES)
def test_a_token_authenticated_api_write_needs_no_csrf_token(write, rep, customer):
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=rep).key}")

    response = api_write(client, write, customer)

    assert response.status_code == API_WRITES[write][3], response.content


@pytest.mark.parametrize("write", API_WRITES)
def test_an_api_key_write_needs_no_csrf_token(write, rep, customer):
    _api_key, key = api_key_create(user=rep, name="ERP", scope="read_write", by=rep)
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")

    response = api_write(client, write, customer)

    assert response.status_code == API_WRITES[write][3], response.content


def test_a_session_api_action_without_the_csrf_token_is_refused(rep, customer):
    visit = VisitFactory(customer=customer, follow_up_on=date(2026, 1, 5))
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(rep)
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    url = f"/api/v1/visits/{visit.pk}/follow-up-done/"

    refused = client.post(url)
    visit.refresh_from_db()
    assert refused.status_code == 403
    assert visit.follow_up_done_at is None

    assert client.post(url, HTTP_X_CSRFTOKEN=CSRF_SECRET).status_code == 200


@pytest.mark.parametrize(
    "view", sorted(API_VIEWS, key=lambda view: view.__qualname__), ids=lambda view: view.__qualname__
)
def test_every_api_view_authenticates_sessions_with_drfs_csrf_check(view):
    # A custom session authentication (one skipping enforce_csrf, say) would make the session
    # tests above prove nothing for that view; only DRF's two are used, beside API keys (a
    # header, which a browser never adds by itself).
    assert set(view.authentication_classes) <= {
        ApiKeyAuthentication,
        TokenAuthentication,
        SessionAuthentication,
    }
