"""API fuzzing: every operation of our own OpenAPI schema, driven by schemathesis in-process.

The schema is fetched from the app (`/api/schema/`), and the generated requests go through the
real WSGI application (`kam.wsgi.application`) inside the test's database transaction. Each
operation runs once per role (rep, manager, admin, with a token) and must never answer 5xx, and
must answer with a documented status code, content type and body. Once more without a token,
every operation but the login must refuse (401/403).

The seed is fixed, so CI runs the same requests every time; a failure prints the request to
replay. Path ids are pointed at real rows, so updates and deletes reach the serializers.
"""

from datetime import date
from decimal import Decimal

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import FitCriterion, IndustryFit
from kam.wsgi import application
from pipeline.models import AccountPlan, Stage
from receivables import services as receivables_services
from receivables.models import Payment
from scoring import services as scoring_services
from scoring.models import RunStatus, ScoringRun
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

pytestmark = pytest.mark.django_db

SEED = 20261101
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"mode": "all", "database": "none"},
        # Positive and negative cases (wrong types, out-of-range values, NUL characters). The
        # coverage phase's boundary cases would multiply the run time by twenty; the stateful
        # phase needs OpenAPI links, which the schema has none of.
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Reachable without a token: only the login (the schema and its docs are outside /api/v1/).
PUBLIC = {"POST /api/v1/auth/token/"}

# 12 cases per operation and role (3 without a token): the whole file takes about two minutes.
FUZZ_SETTINGS = settings(
    max_examples=12,
    deadline=None,
    database=None,
    # The world and the token are made once per test and shared by its cases, on purpose.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)


@pytest.fixture(autouse=True)
def _in_process_app():
    """The WSGI app runs in the test's thread, on the test's connection and transaction.

    Django closes "old" connections when a request starts and ends; inside the test's atomic
    block that would break the transaction, so this turns it off as Django's test client does.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def fresh_rate_limits() -> None:
    """API throttle counts start from zero before each request, so the fuzzer is not answered
    429 for its own pace. The cache is the in-memory one tests/conftest.py sets up for every
    test, so this never flushes a shared Redis. (A login locked out by django-axes is a 429 the
    schema documents; the fuzzer's random usernames rarely fail five times.)"""
    cache.clear()


@pytest.fixture
def world(gate_items):
    """Two teams; customers of the rep with every kind of record under them, and a customer
    of another team's rep that the rep and the manager may not see."""
    team = TeamFactory(name="华东大客户部")
    rep = UserFactory(username="rep1", role=Role.REP)
    manager = UserFactory(username="manager", role=Role.MANAGER)
    admin = UserFactory(username="admin", role=Role.ADMIN, is_superuser=True)
    team.members.add(rep)
    team.managers.add(manager)
    other = UserFactory(username="rep9", role=Role.REP)
    TeamFactory(name="华南大客户部").members.add(other)

    customer = CustomerFactory(owner=rep, name="华信集团")
    CustomerFactory(owner=rep, parent=customer)
    CustomerFactory(owner=other)
    contact = ContactFactory(customer=customer)
    visit = VisitFactory(customer=customer, follow_up_on="2026-12-01", next_step="寄送样品")
    visit.contacts.add(contact)
    transaction = TransactionFactory(customer=customer)
    opportunity = OpportunityFactory(customer=customer)
    plan = AccountPlan.objects.create(
        customer=customer, title="2026 联合生意计划", period_start="2026-01-01", period_end="2026-12-31"
    )
    review = AccountReview.objects.create(
        customer=customer, reviewed_on="2026-04-02", period_start="2026-01-01", period_end="2026-03-31"
    )
    review_action = ReviewAction.objects.create(review=review, description="季度回顾会", owner=rep)
    won = OpportunityFactory(customer=customer, stage=Stage.WON, probability=100)
    payment_plan = receivables_services.plan_create(
        opportunity=won,
        by=rep,
        contract_amount=Decimal("300.00"),
        installments=[(date(2026, 1, 31), Decimal("100.00")), (date(2026, 6, 30), Decimal("200.00"))],
    )
    payment = Payment.objects.create(
        customer=CustomerFactory(owner=rep), reference="ERP-PAY-1", received_on="2026-01-20", amount="50.00"
    )
    industry_fit = IndustryFit.objects.create(industry="制造业", need=4, capability=3)
    fit_criterion = FitCriterion.objects.create(label="高层支持", weight=10, position=6)
    api_key, _key = users_services.api_key_create(user=rep, name="ERP 用友", by=rep)
    run = ScoringRun.objects.create(
        model=scoring_services.scoring_model_active(),
        as_of="2026-01-31",
        status=RunStatus.FAILED,
        in_flight=None,
        error="worker lost",
    )
    return {
        "users": {"rep": rep, "manager": manager, "admin": admin},
        # The first path segment after /api/v1/ → the id its {id} stands for.
        "ids": {
            "customers": customer.pk,
            "contacts": contact.pk,
            "visits": visit.pk,
            "transactions": transaction.pk,
            "opportunities": opportunity.pk,
            "account-plans": plan.pk,
            "reviews": review.pk,
            "review-actions": review_action.pk,
            "payment-plans": payment_plan.pk,
            "payments": payment.pk,
            "teams": team.pk,
            "scoring": run.pk,
            "industry-fits": industry_fit.pk,
            "fit-criteria": fit_criterion.pk,
            "api-keys": api_key.pk,
        },
    }


@pytest.fixture(params=["rep", "manager", "admin"])
def caller(request, world):
    user = world["users"][request.param]
    return {"Authorization": f"Token {Token.objects.create(user=user).key}"}


def aim_at_real_rows(case, world) -> None:
    """Point the {id} of a path at an existing row the roles may see (random ids are all 404s)."""
    resource = case.operation.path.split("/")[3]
    if "id" in (case.path_parameters or {}) and resource in world["ids"]:
        case.path_parameters["id"] = world["ids"][resource]


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation_conforms_to_the_schema(case, caller, world):
    aim_at_real_rows(case, world)
    fresh_rate_limits()

    case.call_and_validate(headers=caller, checks=CHECKS)


@schema.parametrize()
@settings(FUZZ_SETTINGS, max_examples=3)
def test_nothing_but_the_login_answers_without_a_token(case, world):
    aim_at_real_rows(case, world)
    fresh_rate_limits()

    response = case.call_and_validate(checks=CHECKS)

    if f"{case.method.upper()} {case.operation.path}" not in PUBLIC:
        assert response.status_code in (401, 403), f"{case.method} {case.formatted_path}"
