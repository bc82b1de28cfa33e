"""Who may do what, route by route: every URL × every HTTP method × every role, with the status
each one must get.

The table (`ROUTES`, plus the `admin/` family) is keyed by the route as the URLconf spells it,
converters and regex groups written as `<name>` ("api/v1/customers/<pk>/"). A route without an
entry fails `test_every_route_has_an_entry`, so a new URL cannot ship without someone deciding
who may reach it; an entry whose route is gone fails `test_every_entry_matches_a_route`.

The roles, around one customer owned by `rep` in team A:
  anonymous      no session, no token
  rep            the customer's owner (session)
  other_rep      a rep of team B (session): the customer does not exist for them
  manager        manager of team A (session): sees the customer through its owner
  other_manager  manager of team B (session): manages, but not this customer's owner
  admin          staff (session): sees everything
  token          `rep`'s API token (Authorization: Token …) and no session: the API knows
                 them as `rep`, the pages as nobody

The objects are built once for the module inside a transaction that is rolled back at the end;
every request runs in its own savepoint, rolled back after it, so a DELETE in one cell never
changes the next. Writes send a small valid body where a body names the customer (so the other
team's rep is refused by the customer lookup, not by a missing field), else an empty one. A
write the view refuses (400, 403, 404) must also have written nothing: on PostgreSQL the rows
each such request wrote are counted.

A cell that is wrong because of a known bug is listed in `KNOWN_BUGS` with what it answers
today; it fails again as soon as it answers anything else, the right status included.
"""

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone
from drf_spectacular.views import SpectacularAPIView
from rest_framework.authtoken.models import Token

from accounts.models import Customer, FitCriterion, IndustryFit
from audit.models import AuditEvent
from events.models import Delivery, Event, Notification, NotificationKind, WebhookSubscription
from pipeline.models import AccountPlan, Stage
from receivables import services as receivables_services
from receivables.models import Payment
from scoring.models import RunStatus, ScoringRun
from scoring.services import scoring_model_active
from servicing.models import AccountReview, ReviewAction
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    OpportunityFactory,
    TeamFactory,
    TransactionFactory,
    UserFactory,
    VisitFactory,
)
from users import services as users_services
from users.models import Role

METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE")
ROLES = ("anonymous", "rep", "other_rep", "manager", "other_manager", "admin", "token")
SESSION_ROLES = ("rep", "other_rep", "manager", "other_manager", "admin")
HIDDEN = {"other_rep", "other_manager"}  # the test customer is not visible to them
TUNERS = {"manager", "other_manager", "admin"}  # scoring.selectors.can_tune_scoring
SAFE = ("GET", "HEAD", "OPTIONS")
PAGE_METHODS = ("GET", "HEAD", "POST")
SIGNED_COOKIE_SESSIONS = "django.contrib.sessions.backends.signed_cookies"


# --- Routes -----------------------------------------------------------------------------------


def route_key(route: str) -> str:
    """'api/v1/^customers/(?P<pk>[^/.]+)/$' → 'api/v1/customers/<pk>/'; '<int:pk>' → '<pk>'."""
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", route)
    route = re.sub(r"<\w+:(\w+)>", r"<\1>", route)
    route = route.replace("^", "").replace("$", "").replace("\\.", ".")
    return route.removesuffix("/?")


def _walk(patterns, prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def url_routes() -> list[str]:
    return [route_key(route) for route in _walk(get_resolver().url_patterns)]


# --- Expectations -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Redirect:
    """A 302 whose Location starts with `to`."""

    to: str

    def __str__(self) -> str:
        return f"302 → {self.to}…"


LOGIN = Redirect("/login/?next=")  # PageLoginRequiredMiddleware
ADMIN_LOGIN = Redirect("/admin/login/?next=")  # AdminSite.admin_view, for users who are not staff
Expect = int | Redirect

PAGE = "page"  # needs a session: anonymous and token → LOGIN
API = "api"  # DRF under IsAuthenticated: anonymous → 401, token → as rep
OPEN_PAGE = "open page"  # login_not_required: token → as anonymous
OPEN_API = "open api"  # AllowAny / no permission classes: token → as rep


def same(status: Expect, methods=METHODS) -> dict[str, Expect]:
    return dict.fromkeys(methods, status)


@dataclass(frozen=True)
class Entry:
    """The rule of one route.

    `allowed`: the methods the view accepts and what a permitted user gets (any other method
    is a 405). `hidden`: what the other team's rep and manager get instead, per method, where
    the test customer decides (404 from the visibility lookup, or 400 when the customer is a
    field of the body). `tuners`: "all" (managers and admins only, else 403) or "writes"
    (unsafe methods only). `roles`: a role's own answers, taking precedence over everything.
    `pk`: which test object fills `<pk>`; `body`: what each writing method sends.
    """

    kind: str
    allowed: Mapping[str, Expect]
    hidden: Mapping[str, Expect] = field(default_factory=dict)
    tuners: str = ""
    roles: Mapping[str, Mapping[str, Expect]] = field(default_factory=dict)
    pk: str = "customer"
    body: Mapping[str, dict] = field(default_factory=dict)

    def expect(self, role: str, method: str) -> Expect:
        if self.kind in (PAGE, OPEN_PAGE) and method not in PAGE_METHODS:
            return 405  # web.middleware.PageMethodsMiddleware, before anything else
        if method in self.roles.get(role, {}):
            return self.roles[role][method]
        if self.kind == PAGE and role in ("anonymous", "token"):
            return LOGIN
        if self.kind == API and role == "anonymous":
            return 401  # TokenAuthentication comes first, so the challenge is a 401
        if self.kind == OPEN_PAGE and role == "token":
            role = "anonymous"
        if self.kind in (API, OPEN_API) and role == "token":
            role = "rep"
        if method in self.roles.get(role, {}):
            return self.roles[role][method]
        is_api = self.kind in (API, OPEN_API)
        # DRF checks permissions before the method; Django's method decorators run first.
        if is_api and self._refused_tuning(role, method):
            return 403
        if method not in self.allowed:
            return 405
        if not is_api and self._refused_tuning(role, method):
            return 403
        if role in HIDDEN and method in self.hidden:
            return self.hidden[method]
        return self.allowed[method]

    def _refused_tuning(self, role: str, method: str) -> bool:
        if role in TUNERS or not self.tuners:
            return False
        return self.tuners == "all" or method not in SAFE


def page(allowed, *, customer: bool = False, **kwargs) -> Entry:
    """A page; with `customer`, one under the test customer (the other team gets 404)."""
    hidden = dict.fromkeys(allowed, 404) if customer else {}
    return Entry(PAGE, allowed, hidden=hidden, **kwargs)


def api(allowed, *, hidden=(), **kwargs) -> Entry:
    """An endpoint; `hidden` lists the methods that answer 404 to the other team."""
    if not isinstance(hidden, Mapping):
        hidden = dict.fromkeys(hidden, 404)
    return Entry(API, allowed, hidden=hidden, **kwargs)


# Pages that take GET and POST alike (a form, or a POST the view ignores); PageMethodsMiddleware
# answers every other method with a 405.
ANY = same(200)
GET_ONLY = {"GET": 200, "HEAD": 200}  # require_safe
POST_REDIRECT = {"POST": 302}  # require_POST: the action, then a redirect
READ = {"GET": 200, "HEAD": 200, "OPTIONS": 200}  # a DRF read-only endpoint


def detail(pk: str, patch: dict, delete: int = 204) -> Entry:
    """A ModelViewSet detail route under the test customer: PUT {} misses required fields."""
    return api(
        {**READ, "PUT": 400, "PATCH": 200, "DELETE": delete},
        hidden=("GET", "HEAD", "PUT", "PATCH", "DELETE"),
        pk=pk,
        body={"PUT": {}, "PATCH": patch},
    )


def collection(post: dict, *, names_customer: bool = True) -> Entry:
    """A ModelViewSet list route: creating one under the test customer; for the other team the
    customer id "does not exist" (400)."""
    return api({**READ, "POST": 201}, hidden={"POST": 400} if names_customer else {}, body={"POST": post})


LOGGED_IN = ("rep", "other_rep", "manager", "other_manager", "admin")
# Admins only: managers are refused like reps.
ADMIN_ONLY_PAGE = {role: same(403, PAGE_METHODS) for role in ("manager", "other_manager")}
ADMIN_ONLY_POST = {role: {"POST": 403} for role in ("manager", "other_manager")}
ADMIN_ONLY_WRITES = {
    role: same(403, ("POST", "PUT", "PATCH", "DELETE")) for role in ("manager", "other_manager")
}
# Webhooks send data out of KAM: administrators only, for every method (managers too get 403).
ADMIN_ONLY_API = {role: same(403) for role in ("manager", "other_manager")}
AS_OF = date(2025, 6, 2)


def not_the_notifieds(answers: dict) -> dict:
    """The test notification is the rep's: everyone else, admins included, gets these answers."""
    return dict.fromkeys(("other_rep", "manager", "other_manager", "admin"), answers)


def not_the_keys_owner(answers: dict) -> dict:
    """The test API key is the rep's: everyone else but admins gets these answers."""
    return dict.fromkeys(("other_rep", "manager", "other_manager"), answers)


PAGES: dict[str, Entry] = {
    # Reps land on My day; managers and admins are sent to their dashboard, whatever the method.
    "": page(ANY, roles={role: same(Redirect("/dashboard/")) for role in TUNERS}),
    "my-day/": page(ANY),
    "customers/": page(ANY),
    "customers/new/": page(ANY),  # an empty POST re-renders the form with its errors
    "customers/<pk>/": page(ANY, customer=True),
    "customers/<pk>/edit/": page(ANY, customer=True),
    "customers/<pk>/contacts/new/": page(ANY, customer=True),
    "customers/<pk>/contacts/<contact_pk>/edit/": page(ANY, customer=True),
    "customers/<pk>/visits/new/": page(ANY, customer=True),
    "visits/new/": page(ANY),
    "visits/<pk>/follow-up-done/": page(POST_REDIRECT, customer=True, pk="visit"),
    # The visit's check-in becomes its customer's site: anyone who sees the customer may.
    "visits/<pk>/use-as-site/": page(POST_REDIRECT, customer=True, pk="visit"),
    # Exports list only the visible customers, so everyone signed in may export.
    "customers/export.csv": page(GET_ONLY),
    "customers/export.xlsx": page(GET_ONLY),
    "customers/import/": page({"GET": 200, "POST": 200}),
    "customers/import/template.csv": page(GET_ONLY),
    # The experience method (经历推算法): everyone reads the industry fit table, the checklist's
    # items and the shortlist (of visible prospects); managers and admins edit the table, admins
    # the items; whoever may edit a customer ticks its checklist.
    "customers/shortlist/": page(GET_ONLY),
    "customers/<pk>/fit/": page(POST_REDIRECT, customer=True),
    "industry-fits/": page(GET_ONLY),
    "industry-fits/new/": page(ANY, tuners="all"),
    "industry-fits/<pk>/edit/": page(ANY, tuners="all", pk="industry_fit"),
    "industry-fits/<pk>/delete/": page(POST_REDIRECT, tuners="all", pk="industry_fit"),
    "fit-criteria/": page(GET_ONLY),
    "fit-criteria/new/": page(ANY, tuners="all", roles=ADMIN_ONLY_PAGE),
    "fit-criteria/<pk>/edit/": page(ANY, tuners="all", roles=ADMIN_ONLY_PAGE, pk="fit_criterion"),
    "fit-criteria/<pk>/delete/": page(POST_REDIRECT, tuners="all", roles=ADMIN_ONLY_POST, pk="fit_criterion"),
    "transactions/import/": page({"GET": 200, "POST": 200}),
    "transactions/import/template.csv": page(GET_ONLY),
    "dashboard/": page(GET_ONLY, tuners="all"),
    # Service levels per tier: everyone reads them; managers and admins save them (POST {}: the
    # rows are missing, the form again with a 400); the customer page's panel follows the customer.
    "service-levels/": page({"GET": 200, "HEAD": 200, "POST": 400}, tuners="writes"),
    "service-levels/customers/<customer_id>/panel/": page(GET_ONLY, customer=True),
    "scoring/": page(ANY, tuners="all"),
    "scoring/runs/": page(POST_REDIRECT, tuners="all"),
    "scoring/customers/<pk>/history/": page(GET_ONLY, customer=True),
    "plans/customers/<customer_id>/panel/": page(ANY, customer=True),
    "customers/<customer_id>/plans/new/": page(ANY, customer=True),
    "plans/<pk>/": page(ANY, customer=True, pk="plan"),
    "plans/<pk>/edit/": page(ANY, customer=True, pk="plan"),
    "plans/<pk>/advance/": page(POST_REDIRECT, customer=True, pk="plan"),
    # Account reviews: whoever sees the customer reads and writes them (as they may edit the
    # customer); deleting one needs its author, the customer's owner, their manager or an admin.
    "reviews/customers/<customer_id>/panel/": page(ANY, customer=True),
    "customers/<customer_id>/reviews/new/": page(ANY, customer=True),  # POST {}: the form again
    "reviews/<pk>/": page(ANY, customer=True, pk="review"),
    "reviews/<pk>/edit/": page(ANY, customer=True, pk="review"),
    "reviews/<pk>/delete/": page(POST_REDIRECT, customer=True, pk="review"),
    "review-actions/<pk>/done/": page(POST_REDIRECT, customer=True, pk="review_action"),
    # Payment collection: everyone who sees the customer reads; whoever may edit the deal (its
    # owner, their manager, an admin) writes its plan; managers and admins enter payments.
    "receivables/customers/<customer_id>/panel/": page(GET_ONLY, customer=True),
    "receivables/opportunities/<pk>/panel/": page(GET_ONLY, customer=True, pk="won"),
    "receivables/opportunities/<pk>/plan/": page(ANY, customer=True, pk="won"),  # POST {}: the form again
    "receivables/plans/<pk>/delete/": page(POST_REDIRECT, customer=True, pk="payment_plan"),
    "receivables/payments/new/": page(ANY, tuners="all"),
    "receivables/payments/<pk>/edit/": page(ANY, customer=True, tuners="all", pk="payment"),
    "receivables/payments/<pk>/delete/": page(POST_REDIRECT, customer=True, tuners="all", pk="payment"),
    "pipeline/": page(ANY),
    "pipeline/list/": page(ANY),
    "pipeline/forecast/": page(ANY),
    "pipeline/opportunities/<pk>/": page(ANY, customer=True, pk="opportunity"),
    "pipeline/opportunities/<pk>/edit/": page(ANY, customer=True, pk="opportunity"),
    "pipeline/opportunities/<pk>/move/": page(POST_REDIRECT, customer=True, pk="opportunity"),
    "pipeline/opportunities/<pk>/gate/": page(POST_REDIRECT, customer=True, pk="opportunity"),
    "pipeline/customers/<customer_pk>/panel/": page(GET_ONLY, customer=True),
    "customers/<customer_pk>/opportunities/new/": page(ANY, customer=True),
    # The audit trail's history panel: managers and admins, for records they may see.
    "history/<object_type>/<pk>/": page(GET_ONLY, customer=True, tuners="all"),
    # Signed in, the login page sends you home; PUT is a POST to a FormView.
    "login/": Entry(
        OPEN_PAGE,
        same(200, ("GET", "HEAD", "OPTIONS", "POST", "PUT")),
        roles={role: same(Redirect("/")) for role in LOGGED_IN},
    ),
    "logout/": page({"POST": Redirect("/login/"), "OPTIONS": 200}),
    # API keys: everyone signed in lists and creates their own (POST {}: the form again, 400);
    # the key's owner, or an admin, revokes it.
    "account/api-keys/": page({"GET": 200, "HEAD": 200, "POST": 400}),
    "account/api-keys/<pk>/revoke/": page(
        POST_REDIRECT, pk="api_key", roles=not_the_keys_owner({"POST": 404})
    ),
    # Notifications: everyone has their own; another's is a 404, to admins too.
    "notifications/": page(GET_ONLY),
    "notifications/<pk>/read/": page(
        POST_REDIRECT, pk="notification", roles=not_the_notifieds({"POST": 404})
    ),
    "notifications/read-all/": page(POST_REDIRECT),
    "notifications/digest/": page(POST_REDIRECT),
    "i18n/setlang/": Entry(OPEN_PAGE, same(Redirect("/"))),
    "healthz": Entry(OPEN_PAGE, GET_ONLY),
}

API_ROUTES: dict[str, Entry] = {
    "api/v1/": api(READ),
    "api/v1/<format>": api(READ),
    "api/v1/auth/token/": Entry(OPEN_API, {"POST": 400, "OPTIONS": 200}),  # {}: no credentials
    "api/v1/me/": api(READ),
    "api/v1/teams/": api(READ),  # team names and members are not secret inside the company
    "api/v1/teams/<pk>/": api(READ, pk="team"),
    # Scoring: everyone reads results, managers and admins tune the model and start runs.
    "api/v1/scoring/model/": api({**READ, "PUT": 200, "PATCH": 200}, tuners="all"),
    "api/v1/scoring/model/preview/": api({"POST": 200, "OPTIONS": 200}, tuners="all"),
    "api/v1/scoring/summary/": api(READ),
    "api/v1/scoring/runs/": api({**READ, "POST": 202}, tuners="writes"),
    "api/v1/scoring/runs/<pk>/": api(READ, tuners="writes", pk="run"),
    "api/v1/scoring/runs/<pk>/retry/": api({"POST": 202, "OPTIONS": 200}, tuners="writes", pk="run"),
    # The dashboard's aggregates cover the caller's visible customers only, so reps may read
    # theirs (the dashboard page itself is for managers).
    "api/v1/dashboard/<name>/": api(READ),
    "api/v1/dashboard/coverage/": api(READ),
    "api/v1/dashboard/aging/": api(READ),
    # Service levels: everyone reads them; managers and admins change them by tier (reps: 403).
    # PUT {} keeps every value (no field is required), PATCH changes one.
    "api/v1/service-policies/": api(READ, tuners="writes"),
    "api/v1/service-policies/<tier>/": api(
        {**READ, "PUT": 200, "PATCH": 200}, tuners="writes", body={"PUT": {}, "PATCH": {"visit_days": 21}}
    ),
    "api/v1/customers/<pk>/score-history/": api(READ, hidden=("GET", "HEAD")),
    "api/v1/pipeline/forecast/": api(READ),
    # Accounts.
    "api/v1/customers/": collection({"name": "矩阵新客户有限公司"}, names_customer=False),
    "api/v1/customers/<pk>/": detail("customer", {"notes": "矩阵"}),
    # The new-market shortlist: the caller's visible prospects.
    "api/v1/customers/shortlist/": api(READ),
    # The experience method's reference data: everyone reads; managers and admins write the
    # industry fit table, admins the checklist's items.
    "api/v1/industry-fits/": api(
        {**READ, "POST": 201},
        tuners="writes",
        body={"POST": {"industry": "矩阵新行业", "need": 3, "capability": 4}},
    ),
    "api/v1/industry-fits/<pk>/": api(
        {**READ, "PUT": 400, "PATCH": 200, "DELETE": 204},
        tuners="writes",
        pk="industry_fit",
        body={"PUT": {}, "PATCH": {"notes": "矩阵"}},
    ),
    "api/v1/fit-criteria/": api(
        {**READ, "POST": 201},
        tuners="writes",
        roles=ADMIN_ONLY_WRITES,
        body={"POST": {"label": "矩阵新检查项", "weight": "5"}},
    ),
    "api/v1/fit-criteria/<pk>/": api(
        {**READ, "PUT": 400, "PATCH": 200, "DELETE": 204},
        tuners="writes",
        roles=ADMIN_ONLY_WRITES,
        pk="fit_criterion",
        body={"PUT": {}, "PATCH": {"weight": "7"}},
    ),
    # Near matches of a name (可能重复) for everyone signed in; without `name` it is a 400.
    "api/v1/customers/possible-duplicates/": api({"GET": 400, "HEAD": 400, "OPTIONS": 200}),
    "api/v1/contacts/": collection({"customer": "customer", "name": "矩阵联系人"}),
    "api/v1/contacts/<pk>/": detail("contact", {"title": "采购总监"}),
    "api/v1/visits/": collection({"customer": "customer", "occurred_at": "2025-06-02T10:00:00+08:00"}),
    "api/v1/visits/<pk>/": detail("visit", {"summary": "矩阵"}),
    "api/v1/visits/<pk>/follow-up-done/": api({"POST": 200, "OPTIONS": 200}, hidden=("POST",), pk="visit"),
    "api/v1/transactions/": collection(
        {"customer": "customer", "reference": "MATRIX-NEW", "occurred_on": "2025-06-02", "amount": "1.00"}
    ),
    "api/v1/transactions/<pk>/": detail("transaction", {"description": "矩阵"}),
    # Pipeline.
    "api/v1/opportunities/": collection({"customer": "customer", "title": "矩阵商机"}),
    "api/v1/opportunities/<pk>/": detail("opportunity", {"title": "矩阵商机"}),
    "api/v1/opportunities/<pk>/gate/": api(
        {**READ, "POST": 400}, hidden=("GET", "HEAD", "POST"), pk="opportunity"
    ),  # POST {}: no item named
    "api/v1/opportunities/<pk>/history/": api(READ, hidden=("GET", "HEAD"), pk="opportunity"),
    "api/v1/opportunities/<pk>/lose/": api(
        {"POST": 200, "OPTIONS": 200}, hidden=("POST",), pk="opportunity", body={"POST": {"reason": "矩阵"}}
    ),
    "api/v1/opportunities/<pk>/move/": api(
        {"POST": 400, "OPTIONS": 200}, hidden=("POST",), pk="opportunity"
    ),  # POST {}: no stage named
    "api/v1/account-plans/": collection(
        {
            "customer": "customer",
            "title": "矩阵计划",
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
        }
    ),
    "api/v1/account-plans/<pk>/": detail("plan", {"summary": "矩阵"}),
    # Account reviews, as on the pages (the test review's author is the rep who owns the customer).
    "api/v1/reviews/": collection(
        {
            "customer": "customer",
            "reviewed_on": "2025-06-02",
            "period_start": "2025-01-01",
            "period_end": "2025-05-31",
        }
    ),
    "api/v1/reviews/<pk>/": detail("review", {"summary": "矩阵"}),
    "api/v1/review-actions/": api(READ),
    "api/v1/review-actions/<pk>/": api(READ, hidden=("GET", "HEAD"), pk="review_action"),
    "api/v1/review-actions/<pk>/done/": api(
        {"POST": 200, "OPTIONS": 200}, hidden=("POST",), pk="review_action"
    ),
    # Payment collection: plans written by whoever may edit the deal; payments by managers and
    # admins (reps: 403), for customers they see (the other team's: "does not exist").
    "api/v1/payment-plans/": collection(
        {
            "opportunity": "won_without_plan",
            "contract_amount": "1.00",
            "installments": [{"due_on": "2025-07-01", "amount": "1.00"}],
        }
    ),
    "api/v1/payment-plans/<pk>/": detail("payment_plan", {"notes": "矩阵"}),
    "api/v1/payments/": api(
        {**READ, "POST": 201},
        tuners="writes",
        hidden={"POST": 400},
        body={
            "POST": {
                "customer": "customer",
                "reference": "MATRIX-PAY-NEW",
                "received_on": "2025-06-02",
                "amount": "1.00",
            }
        },
    ),
    "api/v1/payments/<pk>/": api(
        {**READ, "PUT": 400, "PATCH": 200, "DELETE": 204},
        tuners="writes",
        hidden=("GET", "HEAD", "PUT", "PATCH", "DELETE"),
        pk="payment",
        body={"PUT": {}, "PATCH": {"notes": "矩阵"}},
    ),
    "api/v1/customers/<pk>/receivables/": api(READ, hidden=("GET", "HEAD")),
    # API keys: everyone lists and creates their own; admins see and revoke everyone's.
    "api/v1/api-keys/": api({**READ, "POST": 201}, body={"POST": {"name": "矩阵新集成"}}),
    "api/v1/api-keys/<pk>/": api(READ, pk="api_key", roles=not_the_keys_owner({"GET": 404, "HEAD": 404})),
    "api/v1/api-keys/<pk>/revoke/": api(
        {"POST": 200, "OPTIONS": 200}, pk="api_key", roles=not_the_keys_owner({"POST": 404})
    ),
    # Notifications: one's own only (another's is a 404, to admins too).
    "api/v1/notifications/": api(READ),
    "api/v1/notifications/<pk>/": api(
        READ, pk="notification", roles=not_the_notifieds({"GET": 404, "HEAD": 404})
    ),
    "api/v1/notifications/<pk>/read/": api(
        {"POST": 200, "OPTIONS": 200}, pk="notification", roles=not_the_notifieds({"POST": 404})
    ),
    "api/v1/notifications/read-all/": api({"POST": 200, "OPTIONS": 200}),
    "api/v1/notifications/settings/": api({**READ, "PATCH": 200}, body={"PATCH": {"digest_enabled": False}}),
    # Outbound webhooks: admins only (PUT {} misses required fields).
    "api/v1/webhooks/": api(
        {**READ, "POST": 201},
        tuners="all",
        roles=ADMIN_ONLY_API,
        body={
            "POST": {
                "name": "矩阵新订阅",
                "target_url": "https://93.184.215.14/hook",
                "event_types": ["payment.received"],
            }
        },
    ),
    "api/v1/webhooks/<pk>/": api(
        {**READ, "PUT": 400, "PATCH": 200, "DELETE": 204},
        tuners="all",
        roles=ADMIN_ONLY_API,
        pk="webhook",
        body={"PUT": {}, "PATCH": {"name": "矩阵订阅"}},
    ),
    "api/v1/webhooks/<pk>/deliveries/": api(READ, tuners="all", roles=ADMIN_ONLY_API, pk="webhook"),
    "api/v1/webhooks/deliveries/<pk>/replay/": api(
        {"POST": 200, "OPTIONS": 200}, tuners="all", roles=ADMIN_ONLY_API, pk="delivery"
    ),
    # The audit trail: managers and admins read it; nobody writes it.
    "api/v1/audit/": api(READ, tuners="all"),
    "api/v1/audit/<pk>/": api(READ, tuners="all", hidden=("GET", "HEAD"), pk="audit_event"),
    # The OpenAPI schema and its viewers: public, by drf-spectacular's default SERVE_PERMISSIONS
    # (AllowAny) and the middleware's open /api/ prefix. They describe endpoints, not data.
    "api/schema/": Entry(OPEN_API, READ),
    "api/docs/": Entry(OPEN_API, GET_ONLY),
    "api/redoc/": Entry(OPEN_API, GET_ONLY),
}
# The DefaultRouter's format-suffix twins ("customers.json") answer like the plain routes.
for _plain in ("teams", "customers", "contacts", "visits", "transactions", "industry-fits", "fit-criteria"):
    API_ROUTES[f"api/v1/{_plain}.<format>"] = API_ROUTES[f"api/v1/{_plain}/"]
    API_ROUTES[f"api/v1/{_plain}/<pk>.<format>"] = API_ROUTES[f"api/v1/{_plain}/<pk>/"]
API_ROUTES["api/v1/visits/<pk>/follow-up-done.<format>"] = API_ROUTES["api/v1/visits/<pk>/follow-up-done/"]
API_ROUTES["api/v1/api-keys.<format>"] = API_ROUTES["api/v1/api-keys/"]
API_ROUTES["api/v1/api-keys/<pk>.<format>"] = API_ROUTES["api/v1/api-keys/<pk>/"]
API_ROUTES["api/v1/api-keys/<pk>/revoke.<format>"] = API_ROUTES["api/v1/api-keys/<pk>/revoke/"]
API_ROUTES["api/v1/customers/possible-duplicates.<format>"] = API_ROUTES[
    "api/v1/customers/possible-duplicates/"
]
API_ROUTES["api/v1/customers/shortlist.<format>"] = API_ROUTES["api/v1/customers/shortlist/"]
for _route in ("notifications", "notifications/<pk>", "notifications/<pk>/read", "notifications/read-all",
               "notifications/settings"):  # fmt: skip
    API_ROUTES[f"api/v1/{_route}.<format>"] = API_ROUTES[f"api/v1/{_route}/"]

ROUTES: dict[str, Entry] = {**PAGES, **API_ROUTES}

# Cells that do not answer as the table says, because of a bug reported to be fixed: the
# status they give today, and why. A cell here that starts answering as the table says fails
# until it is taken out, so this list only ever shrinks.
KNOWN_BUGS: dict[tuple[str, str, str], tuple[int, str]] = {}


# --- The Django admin: one family -------------------------------------------------------------

ADMIN = "admin/"


def admin_expect(key: str, role: str, method: str) -> Expect:
    """Only staff get past AdminSite.admin_view; the admin's login page needs no login."""
    if key == "admin/login/":
        if role == "admin":
            return Redirect("/admin/") if method == "GET" else (405 if method in ("PATCH", "DELETE") else 200)
        return 405 if method in ("PATCH", "DELETE") else 200
    if role in ("anonymous", "token"):
        # The site's own views tell LoginRequiredMiddleware to use the admin's login page.
        return ADMIN_LOGIN if key in ADMIN_SITE_VIEWS else LOGIN
    if role != "admin":
        return Redirect("/admin/") if key == "admin/logout/" else ADMIN_LOGIN
    if key == "admin/logout/":
        return {"POST": Redirect("/login/"), "OPTIONS": 200}.get(method, 405)  # LOGOUT_REDIRECT_URL
    if key == "admin/<url>":
        return 404
    return 200


# Representative routes of the family, each requested with every method by every role.
ADMIN_SAMPLES = (
    "admin/",
    "admin/login/",
    "admin/logout/",
    "admin/<app_label>/",
    "admin/accounts/customer/",
    "admin/accounts/customer/<object_id>/change/",
    "admin/accounts/customer/<object_id>/delete/",
    "admin/users/user/<id>/password/",
    "admin/<url>",
)
ADMIN_SITE_VIEWS = {"admin/", "admin/logout/", "admin/<app_label>/", "admin/<url>"}
FAMILIES = (ADMIN,)


# --- The test objects -------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    ids: dict[str, object]  # what fills a URL placeholder or a body value
    sessions: dict[str, str]  # role → session key
    token: str


def _build_world() -> World:
    team_a, team_b = TeamFactory(name="矩阵甲队"), TeamFactory(name="矩阵乙队")
    users = {
        "rep": UserFactory(username="matrix-rep", role=Role.REP, password=None),
        "other_rep": UserFactory(username="matrix-other-rep", role=Role.REP, password=None),
        "manager": UserFactory(username="matrix-manager", role=Role.MANAGER, password=None),
        "other_manager": UserFactory(username="matrix-other-manager", role=Role.MANAGER, password=None),
        "admin": UserFactory(
            username="matrix-admin", role=Role.ADMIN, is_staff=True, is_superuser=True, password=None
        ),
    }
    team_a.members.add(users["rep"])
    team_a.managers.add(users["manager"])
    team_b.members.add(users["other_rep"])
    team_b.managers.add(users["other_manager"])
    # The other team has a customer of its own, so their lists are not empty.
    CustomerFactory(owner=users["other_rep"], name="乙队自己的客户")

    rep = users["rep"]
    customer = CustomerFactory(owner=rep, name="矩阵客户")
    contact = ContactFactory(customer=customer)
    # Dated on AS_OF, so its follow-up a week later is after it (a follow-up cannot precede its visit).
    visit = VisitFactory(
        customer=customer,
        occurred_at=datetime.combine(AS_OF, time(10), tzinfo=timezone.get_current_timezone()),
        follow_up_on=AS_OF + timedelta(days=7),
    )
    # The transaction sits on a second customer of the rep's, so the first one may be deleted.
    transaction_row = TransactionFactory(customer=CustomerFactory(owner=rep, name="矩阵第二客户"))
    opportunity = OpportunityFactory(customer=customer)
    # Payment collection, on the second customer too (a payment plan keeps its customer).
    second = transaction_row.customer
    won = OpportunityFactory(customer=second, title="矩阵已赢商机", stage=Stage.WON, probability=100)
    won_without_plan = OpportunityFactory(
        customer=second, title="矩阵待建计划", stage=Stage.WON, probability=100
    )
    payment_plan = receivables_services.plan_create(
        opportunity=won, by=rep, contract_amount=Decimal("100.00"), installments=[(AS_OF, Decimal("100.00"))]
    )  # no money applied: it may still be deleted
    # On a third customer of the rep's, with no plan: all credit, so the plan above stays open.
    payment = Payment.objects.create(
        customer=CustomerFactory(owner=rep, name="矩阵第三客户"),
        reference="MATRIX-PAY",
        received_on=AS_OF,
        amount=Decimal("1.00"),
        source="erp",
    )
    plan = AccountPlan.objects.create(
        customer=customer, title="矩阵计划", period_start=date(2025, 1, 1), period_end=date(2025, 12, 31),
        created_by=rep,
    )  # fmt: skip
    review = AccountReview.objects.create(
        customer=customer, reviewed_on=AS_OF, period_start=date(2025, 1, 1), period_end=date(2025, 5, 31),
        created_by=rep,
    )  # fmt: skip
    review_action = ReviewAction.objects.create(review=review, description="矩阵行动", owner=rep)
    industry_fit = IndustryFit.objects.create(industry="矩阵行业", need=3, capability=4)
    fit_criterion = FitCriterion.objects.create(label="矩阵检查项", weight=10, position=99)  # never ticked
    api_key, _key = users_services.api_key_create(user=rep, name="矩阵集成", by=rep)
    notification = Notification.objects.create(
        user=rep, kind=NotificationKind.FOLLOW_UP_DUE, params={"customer_name": "矩阵客户"}, day=AS_OF
    )
    run = ScoringRun.objects.create(
        model=scoring_model_active(), as_of=AS_OF, status=RunStatus.FAILED, in_flight=None,
        finished_at=timezone.now(), error="矩阵",
    )  # fmt: skip
    webhook = WebhookSubscription.objects.create(
        name="矩阵订阅", target_url="https://93.184.215.14/hook", event_types=["payment.received"], secret="s"
    )
    delivery = Delivery.objects.create(
        subscription=webhook, event=Event.objects.create(type="payment.received", data={"payment_id": 1})
    )

    sessions = {}
    for role in SESSION_ROLES:
        client = Client()
        client.force_login(users[role])
        sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    ids = {
        "customer": customer.pk,
        "contact": contact.pk,
        "visit": visit.pk,
        "transaction": transaction_row.pk,
        "opportunity": opportunity.pk,
        "plan": plan.pk,
        "review": review.pk,
        "review_action": review_action.pk,
        "won": won.pk,
        "won_without_plan": won_without_plan.pk,
        "payment_plan": payment_plan.pk,
        "payment": payment.pk,
        "run": run.pk,
        "industry_fit": industry_fit.pk,
        "fit_criterion": fit_criterion.pk,
        "team": team_a.pk,
        "api_key": api_key.pk,
        "notification": notification.pk,
        "webhook": webhook.pk,
        "delivery": delivery.pk,
        "rep": rep.pk,
        "customer_content_type": ContentType.objects.get_for_model(Customer).pk,
        "audit_event": AuditEvent.objects.get(
            object_type="customer", object_id=customer.pk, action="create"
        ).pk,
    }
    return World(ids=ids, sessions=sessions, token=Token.objects.create(user=rep).key)


@pytest.fixture(autouse=True)
def _local_cache(settings):
    """A private in-memory cache, so clearing it never touches a shared Redis."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def _schema_generated_once(monkeypatch):
    """The public schema is the same whoever asks (SERVE_PUBLIC), and generating it is the
    slowest thing here: build it once per test. Authentication and permissions still run on
    every request; only the body is reused."""
    generator_class = SpectacularAPIView.generator_class
    generate = generator_class.get_schema
    schemas = {}

    def get_schema(self, request=None, public=False):
        if not public:
            return generate(self, request=request, public=public)
        if "public" not in schemas:
            schemas["public"] = generate(self, request=request, public=public)
        return schemas["public"]

    monkeypatch.setattr(generator_class, "get_schema", get_schema)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The objects, built once; the module's transaction is rolled back when it ends. Each
    test's own transaction (pytest-django's `django_db`) is a savepoint inside it, rolled back
    after every cell."""
    # Sessions in signed cookies: the same logins without a session query per request (the
    # rules do not depend on where a session is kept, and the matrix makes thousands).
    with django_db_blocker.unblock(), override_settings(SESSION_ENGINE=SIGNED_COOKIE_SESSIONS):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def build_url(key: str, world: World, pk: str = "customer") -> str:
    ids = world.ids
    values = {
        "pk": ids.get(pk, ""),
        "customer_pk": ids["customer"],
        "customer_id": ids["customer"],
        "contact_pk": ids["contact"],
        "name": "pyramid",
        "tier": "gold",
        "object_type": "customer",
        "format": ".json" if key == "api/v1/<format>" else "json",
        # The admin family's samples.
        "object_id": ids["customer"],
        "id": ids["rep"],
        "app_label": "accounts",
        "url": "no-such-page/",
        "content_type_id": ids["customer_content_type"],
    }
    return "/" + re.sub(r"<(\w+)>", lambda match: str(values[match.group(1)]), key)


def _body(entry: Entry, method: str, world: World) -> dict:
    body = dict(entry.body.get(method, {}))
    if body.get("customer") == "customer":
        body["customer"] = world.ids["customer"]
    if body.get("opportunity") in world.ids:  # a test object named by its key
        body["opportunity"] = world.ids[body["opportunity"]]
    return body


@dataclass(frozen=True)
class Cell:
    key: str
    method: str
    role: str
    expected: Expect
    url: str
    is_api: bool
    body: dict

    def __str__(self) -> str:
        return f"{self.key or '/'} {self.method} {self.role}"


def rows_written() -> int:
    """Rows inserted, updated or deleted so far in this transaction, savepoints rolled back
    included (PostgreSQL's per-transaction table statistics; elsewhere, not counted)."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables"
        )
        return cursor.fetchone()[0]


# Refusals the view's own code makes, after it may already have done something. (Login
# redirects, 401 and 405 come from middleware, authentication and method checks, before it.)
REFUSED_BY_THE_VIEW = {400, 403, 404}


def request(world: World, cell: Cell):
    """The response, and how many rows the request wrote (counted for refused writes only)."""
    client = Client(raise_request_exception=False)
    headers = {}
    if cell.role == "token":
        headers["HTTP_AUTHORIZATION"] = f"Token {world.token}"
    elif cell.role != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[cell.role]
    if cell.method in SAFE:
        data, content_type = "", "application/octet-stream"
    elif cell.is_api:
        data, content_type = json.dumps(cell.body), "application/json"
    else:
        data, content_type = "", "application/x-www-form-urlencoded"
    counted = cell.method not in SAFE and cell.expected in REFUSED_BY_THE_VIEW
    cache.clear()  # throttles count in the cache; a full matrix must never hit a rate limit
    with transaction.atomic():  # a savepoint: whatever the request wrote goes before the next
        before = rows_written() if counted else 0
        response = client.generic(cell.method, cell.url, data, content_type=content_type, **headers)
        written = rows_written() - before if counted else 0
        transaction.set_rollback(True)
    return response, written


def describe(response) -> str:
    if response.status_code in (301, 302):
        return f"{response.status_code} → {response['Location']}"
    if response.status_code == 500 and getattr(response, "exc_info", None):
        error = response.exc_info[1]
        return f"500 ({type(error).__name__}: {error})"
    return str(response.status_code)


def matches(expected: Expect, response) -> bool:
    if isinstance(expected, Redirect):
        return response.status_code == 302 and response["Location"].startswith(expected.to)
    return response.status_code == expected


def check(world: World, cells: list[Cell]) -> list[str]:
    """Every cell requested; the cells that did not answer as the table says, and refused
    writes (400, 403, 404) that wrote something all the same."""
    problems = []
    for cell in cells:
        response, written = request(world, cell)
        known = KNOWN_BUGS.get((cell.key, cell.method, cell.role))
        if matches(cell.expected, response):
            if known:
                problems.append(f"{cell}: answers {cell.expected} now; drop it from KNOWN_BUGS")
            if written:
                problems.append(f"{cell}: refused with {cell.expected}, but wrote {written} rows")
        elif not (known and response.status_code == known[0]):
            problems.append(f"{cell}: expected {cell.expected}, got {describe(response)}")
    return problems


# --- The cells --------------------------------------------------------------------------------


def route_cells(world: World, key: str) -> list[Cell]:
    entry = ROUTES[key]
    url = build_url(key, world, entry.pk)
    is_api = entry.kind in (API, OPEN_API)
    return [
        Cell(key, method, role, entry.expect(role, method), url, is_api, _body(entry, method, world))
        for method in METHODS
        for role in ROLES
    ]


def admin_cells(world: World, key: str) -> list[Cell]:
    url = build_url(key, world)
    return [
        Cell(key, method, role, admin_expect(key, role, method), url, False, {})
        for method in METHODS
        for role in ROLES
    ]


# One test per route, its 49 cells in a loop: a test per cell would spend more time in
# fixtures than in requests. A failure lists every cell that is off, one per line.
@pytest.mark.django_db
@pytest.mark.usefixtures("_schema_generated_once")
@pytest.mark.parametrize("key", list(ROUTES), ids=lambda key: key or "/")
def test_access(world, key):
    problems = check(world, route_cells(world, key))

    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.mark.django_db
@pytest.mark.parametrize("key", ADMIN_SAMPLES)
def test_admin_access(world, key):
    problems = check(world, admin_cells(world, key))

    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


# --- The table against the URLconf ------------------------------------------------------------


def test_every_route_has_an_entry():
    missing = [
        route
        for route in url_routes()
        if route not in ROUTES and not any(route.startswith(prefix) for prefix in FAMILIES)
    ]

    assert missing == [], "routes without an entry in the access matrix: " + ", ".join(missing)


def test_every_entry_matches_a_route():
    routes = set(url_routes())

    stale = [key for key in [*ROUTES, *ADMIN_SAMPLES] if key not in routes]
    stale += [" ".join(cell) for cell in KNOWN_BUGS if cell[0] not in routes]
    stale += [prefix for prefix in FAMILIES if not any(route.startswith(prefix) for route in routes)]

    assert stale == [], "access-matrix entries without a route: " + ", ".join(stale)


def test_route_keys_are_unique():
    routes = url_routes()

    assert len(routes) == len(set(routes))


@pytest.mark.django_db
def test_every_url_resolves_to_its_own_route(world):
    wrong = {}
    for key in [*ROUTES, *ADMIN_SAMPLES]:
        url = build_url(key, world, ROUTES[key].pk if key in ROUTES else "customer")
        try:
            resolved = route_key(resolve(url).route)
        except Resolver404:
            resolved = "nothing"
        if resolved != key:
            wrong[key] = f"{url} resolves to {resolved}"

    assert wrong == {}
