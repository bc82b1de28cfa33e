"""Input that is not text, or outside the calendar, is a 400 naming the field, never a 500 or a
write; and every endpoint answers a body too large, or a write the database refuses, in JSON.

Each case is a class of bug the API fuzzing (tests/kam/test_schemathesis.py) and its probes
found: a lone surrogate (`"\\ud800"`, which JSON can carry but UTF-8 cannot) quoted back in an
error message, JSON nested deeper than Python's parser follows, a time with no offset at the
calendar's first instant, dashboard and scoring dates whose arithmetic leaves the calendar.
"""

import json

import pytest
from django.db import IntegrityError
from rest_framework.authtoken.models import Token

from accounts.models import Contact, Customer, Transaction, Visit
from pipeline.models import AccountPlan, Opportunity, PlanAction, StageChange
from scoring.models import ScoringModel, ScoringRun
from tests.factories import (
    TEST_PASSWORD,
    ContactFactory,
    CustomerFactory,
    OpportunityFactory,
    TransactionFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db

SURROGATE = "\ud800"
NUL = "\x00"
TOO_DEEP = "[" * 100_000 + "]" * 100_000


def snapshot() -> dict[str, list[dict]]:
    """Every row the API writes under a customer, the scoring model and its runs."""
    written = (
        Customer,
        Contact,
        Visit,
        Transaction,
        Opportunity,
        StageChange,
        AccountPlan,
        PlanAction,
        ScoringModel,
        ScoringRun,
    )
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in written}


@pytest.fixture
def records(rep):
    customer = CustomerFactory(owner=rep, name="华信")
    plan = AccountPlan.objects.create(
        customer=customer, title="2026 联合生意计划", period_start="2026-01-01", period_end="2026-12-31"
    )
    PlanAction.objects.create(plan=plan, description="寄送样品")
    return {
        "customer": customer,
        "contact": ContactFactory(customer=customer),
        "visit": VisitFactory(customer=customer),
        "transaction": TransactionFactory(customer=customer, reference="ERP-1"),
        "opportunity": OpportunityFactory(customer=customer),
        "plan": plan,
    }


def send(api_client, method: str, url: str, body) -> object:
    """`body` as JSON text; json.dumps writes a lone surrogate as the escape `\\ud800`."""
    text = body if isinstance(body, str) else json.dumps(body)
    return getattr(api_client, method)(url, text, content_type="application/json")


# (method, url, body, field): {name} in the url and "{name}" values are the records' ids.
BAD_TEXT = [
    ("patch", "customers/{customer}/", {"name": "华信{bad}"}, "name"),
    ("patch", "customers/{customer}/", {"status": "{bad}"}, "status"),
    ("patch", "customers/{customer}/", {"source": "{bad}"}, "source"),
    ("post", "contacts/", {"customer": "{customer}", "name": "李{bad}"}, "name"),
    ("patch", "visits/{visit}/", {"kind": "{bad}"}, "kind"),
    ("patch", "visits/{visit}/", {"summary": "拜访{bad}"}, "summary"),
    (
        "post",
        "transactions/",
        {"customer": "{customer}", "reference": "ERP-{bad}", "occurred_on": "2026-03-01", "amount": "1"},
        "reference",
    ),
    ("patch", "opportunities/{opportunity}/", {"title": "{bad}"}, "title"),
    ("post", "opportunities/{opportunity}/move/", {"to": "{bad}"}, "to"),
    (
        "post",
        "opportunities/{opportunity}/move/",
        {"to": "information", "override_reason": "{bad}"},
        "override_reason",
    ),
    ("post", "opportunities/{opportunity}/lose/", {"reason": "{bad}"}, "reason"),
    ("patch", "account-plans/{plan}/", {"step": "{bad}"}, "step"),
    ("patch", "account-plans/{plan}/", {"actions": [{"description": "寄样", "status": "{bad}"}]}, "actions"),
    ("patch", "account-plans/{plan}/", {"objectives": [{"description": "{bad}"}]}, "objectives"),
    ("patch", "scoring/model/", {"note": "v2{bad}"}, "note"),
]


def fill(template, records: dict, bad: str):
    if isinstance(template, dict):
        return {key: fill(value, records, bad) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(item, records, bad) for item in template]
    if isinstance(template, str):
        name = template.strip("{}")
        if template.startswith("{") and name in records:
            return records[name].pk
        return template.replace("{bad}", bad)
    return template


@pytest.mark.parametrize("bad", [SURROGATE, NUL], ids=["surrogate", "nul"])
@pytest.mark.parametrize(
    ("method", "url", "body", "field"), BAD_TEXT, ids=[f"{case[0]} {case[1]} {case[3]}" for case in BAD_TEXT]
)
def test_text_that_is_not_text_is_a_400_on_that_field(
    api_client, manager, records, bad, method, url, body, field
):
    api_client.force_authenticate(manager)
    before = snapshot()

    response = send(
        api_client,
        method,
        "/api/v1/" + url.format(**{k: v.pk for k, v in records.items()}),
        fill(body, records, bad),
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {field}
    assert response.json()[field]
    assert snapshot() == before


def test_a_refused_choice_quotes_a_lone_surrogate_as_a_json_escape(api_client, rep, records):
    api_client.force_authenticate(rep)

    response = send(api_client, "patch", f"/api/v1/visits/{records['visit'].pk}/", {"kind": SURROGATE})

    assert response.status_code == 400
    assert b"\\ud800" in response.content
    assert SURROGATE in response.json()["kind"][0]


@pytest.mark.parametrize("bad", [SURROGATE, NUL], ids=["surrogate", "nul"])
def test_text_that_is_not_text_in_a_batch_is_an_error_of_its_row(api_client, rep, records, bad):
    api_client.force_authenticate(rep)
    row = {"customer": records["customer"].pk, "occurred_on": "2026-03-01", "amount": "1"}
    before = snapshot()

    response = send(
        api_client,
        "post",
        "/api/v1/transactions/",
        [{**row, "reference": "ERP-2"}, {**row, "reference": "ERP" + bad}],
    )

    assert response.status_code == 400
    assert [(error["index"], set(error["errors"])) for error in response.json()["errors"]] == [
        (1, {"reference"})
    ]
    assert snapshot() == before


@pytest.mark.parametrize("bad", [SURROGATE, NUL], ids=["surrogate", "nul"])
def test_text_that_is_not_text_in_a_login_is_a_400(api_client, rep, bad):
    response = send(api_client, "post", "/api/v1/auth/token/", {"username": "rep1" + bad, "password": "x"})

    assert response.status_code == 400
    assert set(response.json()) == {"username"}
    assert not Token.objects.exists()


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/api/v1/dashboard/pyramid/", {"region": "华\x00东"}),
        ("/api/v1/dashboard/pyramid/", {"industry": NUL}),
        ("/api/v1/scoring/runs/", {"status": NUL}),
        ("/api/v1/opportunities/", {"stage": NUL}),
        ("/api/v1/pipeline/forecast/", {"tier": NUL}),
        ("/api/v1/pipeline/forecast/", {"close_month": "2026-0\x001"}),
        ("/api/v1/account-plans/", {"customer": "1\x00"}),
        ("/api/v1/visits/", {"occurred_from": "2026-01-01\x00"}),
        ("/api/v1/visits/", {"kind": NUL}),
    ],
)
def test_nul_characters_in_query_parameters_are_a_400(api_client, manager, records, url, params):
    api_client.force_authenticate(manager)

    response = api_client.get(url, params)

    assert response.status_code == 400
    assert set(response.json()) == set(params)


@pytest.mark.parametrize("url", ["/api/v1/customers/", "/api/v1/transactions/", "/api/v1/auth/token/"])
def test_json_nested_too_deeply_is_a_400(api_client, rep, records, url):
    api_client.force_authenticate(rep)
    before = snapshot()

    response = send(api_client, "post", url, TOO_DEEP)

    assert response.status_code == 400
    assert set(response.json()) == {"detail"}
    assert snapshot() == before


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00", "0001-01-01T00:00:00+09:00", "9999-12-31T23:59:59-12:00"]
)
def test_a_time_outside_the_calendar_is_a_400(api_client, rep, records, moment):
    api_client.force_authenticate(rep)
    before = snapshot()

    updated = send(api_client, "patch", f"/api/v1/visits/{records['visit'].pk}/", {"occurred_at": moment})
    created = send(
        api_client, "post", "/api/v1/visits/", {"customer": records["customer"].pk, "occurred_at": moment}
    )

    for response in (updated, created):
        assert response.status_code == 400
        assert set(response.json()) == {"occurred_at"}
    assert snapshot() == before


@pytest.mark.parametrize("name", ["activity", "trend", "movements"])
@pytest.mark.parametrize("params", [{"end": "0001-01-01"}, {"end": "9999-12-31"}, {"start": "0001-01-01"}])
def test_dashboard_dates_outside_the_calendar_are_a_400(api_client, manager, name, params):
    api_client.force_authenticate(manager)

    response = api_client.get(f"/api/v1/dashboard/{name}/", params)

    assert response.status_code == 400
    assert set(response.json()) == set(params)


def test_a_scoring_run_as_of_the_year_1_is_a_400(api_client, manager):
    api_client.force_authenticate(manager)

    response = send(api_client, "post", "/api/v1/scoring/runs/", {"as_of": "0001-01-01"})

    assert response.status_code == 400
    assert set(response.json()) == {"as_of"}
    assert not ScoringRun.objects.exists()


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("put", "/api/v1/scoring/model/"),
        ("post", "/api/v1/scoring/model/preview/"),
        ("post", "/api/v1/auth/token/"),
        ("post", "/api/v1/opportunities/{opportunity}/move/"),
        ("patch", "/api/v1/customers/{customer}/"),
    ],
)
def test_a_body_too_large_is_a_json_413_on_every_endpoint(
    api_client, manager, records, settings, method, url
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    api_client.force_authenticate(manager)
    before = snapshot()

    response = send(
        api_client, method, url.format(**{k: v.pk for k, v in records.items()}), {"note": "x" * 2048}
    )

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}
    assert snapshot() == before


def test_a_write_the_database_refuses_is_a_json_409(api_client, rep, monkeypatch, caplog):
    def lost_a_race(**fields):
        raise IntegrityError(
            'duplicate key value violates unique constraint "customer_unique_normalised_name"'
        )

    monkeypatch.setattr("accounts.services.customer_create", lost_a_race)
    api_client.force_authenticate(rep)

    response = send(api_client, "post", "/api/v1/customers/", {"name": "华信"})

    assert response.status_code == 409
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}
    assert not Customer.objects.exists()
    assert "refused by a database constraint" in caplog.text


def test_a_stale_token_does_not_stop_a_login(api_client, rep):
    api_client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")

    response = send(
        api_client, "post", "/api/v1/auth/token/", {"username": "rep1", "password": TEST_PASSWORD}
    )

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=rep).key}
