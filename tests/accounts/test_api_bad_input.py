"""Bad input never gives a 500 or a partial write: it is a JSON 4xx that names what is wrong."""

import pytest

from accounts.models import Contact, Customer, Transaction, Visit
from tests.factories import ContactFactory, CustomerFactory, TransactionFactory, VisitFactory

pytestmark = pytest.mark.django_db

RESOURCES = ["customers", "contacts", "visits", "transactions"]
HUGE_ID = 10**30


def counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (Customer, Contact, Visit, Transaction))


@pytest.fixture
def records(rep):
    customer = CustomerFactory(owner=rep, name="华信")
    return {
        "customers": customer,
        "contacts": ContactFactory(customer=customer),
        "visits": VisitFactory(customer=customer),
        "transactions": TransactionFactory(customer=customer),
    }


@pytest.mark.parametrize("resource", RESOURCES)
def test_malformed_json_is_a_json_400(api_client, rep, records, resource):
    api_client.force_authenticate(rep)
    before = counts()

    created = api_client.post(f"/api/v1/{resource}/", '{"name": "华信', content_type="application/json")
    updated = api_client.patch(
        f"/api/v1/{resource}/{records[resource].pk}/", "{not json}", content_type="application/json"
    )

    for response in (created, updated):
        assert response.status_code == 400
        assert set(response.json()) == {"detail"}
    assert counts() == before


@pytest.mark.parametrize("resource", RESOURCES)
def test_a_10_mb_body_is_a_json_413(api_client, rep, records, resource):
    api_client.force_authenticate(rep)
    before = counts()
    body = '{"notes": "' + "x" * (10 * 1024 * 1024) + '"}'

    created = api_client.post(f"/api/v1/{resource}/", body, content_type="application/json")
    updated = api_client.put(
        f"/api/v1/{resource}/{records[resource].pk}/", body, content_type="application/json"
    )

    for response in (created, updated):
        assert response.status_code == 413
        assert response["Content-Type"] == "application/json"
        assert set(response.json()) == {"detail"}
    assert counts() == before


@pytest.mark.parametrize(
    ("resource", "body"),
    [
        (resource, body)
        for resource in RESOURCES
        for body in ("[]", '[{"name": "x"}]', "null", '"text"', "42")
        # An array is a batch of transactions (tests/accounts/test_api_transactions.py).
        if not (resource == "transactions" and body.startswith("["))
    ],
)
def test_a_body_that_is_not_an_object_is_a_400(api_client, rep, records, resource, body):
    api_client.force_authenticate(rep)
    before = counts()

    response = api_client.post(f"/api/v1/{resource}/", body, content_type="application/json")

    assert response.status_code == 400
    assert set(response.json()) == {"non_field_errors"}
    assert counts() == before


def test_an_unsupported_media_type_is_a_415(api_client, rep):
    api_client.force_authenticate(rep)

    response = api_client.post("/api/v1/customers/", "name=华信", content_type="text/plain")

    assert response.status_code == 415
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("resource", "field"),
    [
        ("customers", "name"),
        ("customers", "notes"),
        ("contacts", "name"),
        ("contacts", "hometown"),
        ("visits", "summary"),
        ("transactions", "description"),
    ],
)
def test_nul_characters_in_text_are_a_400_on_that_field(api_client, rep, records, resource, field):
    api_client.force_authenticate(rep)
    before = counts()

    response = api_client.patch(
        f"/api/v1/{resource}/{records[resource].pk}/", {field: "华信\x00集团"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {field}
    assert counts() == before
    obj = type(records[resource]).objects.get(pk=records[resource].pk)
    assert "\x00" not in getattr(obj, field)


@pytest.mark.parametrize(
    ("resource", "params"),
    [
        ("customers", {"search": "华\x00信"}),
        ("customers", {"region": "\x00"}),
        ("contacts", {"search": "\x00"}),
        ("transactions", {"reference": "ERP\x00"}),
    ],
)
def test_nul_characters_in_filters_are_a_400(api_client, rep, records, resource, params):
    api_client.force_authenticate(rep)

    response = api_client.get(f"/api/v1/{resource}/", params)

    assert response.status_code == 400
    assert set(response.json()) == set(params)


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("pk", [str(HUGE_ID), "-1", "0", "abc", "1e3", "%00", "1%00"])
def test_odd_ids_in_the_url_are_404(api_client, rep, records, resource, pk):
    api_client.force_authenticate(rep)

    assert api_client.get(f"/api/v1/{resource}/{pk}/").status_code == 404
    assert api_client.patch(f"/api/v1/{resource}/{pk}/", {}, format="json").status_code == 404
    assert api_client.delete(f"/api/v1/{resource}/{pk}/").status_code == 404


@pytest.mark.parametrize(
    ("resource", "body", "field"),
    [
        ("customers", {"name": "新客户", "parent": HUGE_ID}, "parent"),
        ("customers", {"name": "新客户", "referred_by": -1}, "referred_by"),
        ("customers", {"name": "新客户", "owner": HUGE_ID}, "owner"),
        ("customers", {"name": "新客户", "account_team": [HUGE_ID]}, "account_team"),
        ("customers", {"name": "新客户", "account_team": "abc"}, "account_team"),
        ("contacts", {"name": "李雷", "customer": HUGE_ID}, "customer"),
        ("contacts", {"name": "李雷", "customer": {"id": 1}}, "customer"),
        ("visits", {"occurred_at": "2025-03-01T10:00:00+08:00", "customer": [1]}, "customer"),
        (
            "transactions",
            {"reference": "X", "occurred_on": "2025-03-01", "amount": "1", "customer": HUGE_ID},
            "customer",
        ),
    ],
)
def test_unknown_or_malformed_ids_in_the_body_are_a_400_on_that_field(
    api_client, rep, records, resource, body, field
):
    api_client.force_authenticate(rep)
    before = counts()

    response = api_client.post(f"/api/v1/{resource}/", body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {field}
    assert counts() == before


def test_unknown_contact_ids_in_a_visit_are_a_400(api_client, rep, records):
    api_client.force_authenticate(rep)

    response = api_client.post(
        "/api/v1/visits/",
        {
            "customer": records["customers"].pk,
            "occurred_at": "2025-03-01T10:00:00+08:00",
            "contacts": [records["contacts"].pk, HUGE_ID],
        },
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"contacts"}
    assert Visit.objects.count() == 1


def test_unknown_ids_in_a_batch_are_row_errors(api_client, rep, records):
    api_client.force_authenticate(rep)
    row = {"reference": "X", "occurred_on": "2025-03-01", "amount": "1"}

    response = api_client.post(
        "/api/v1/transactions/",
        [{**row, "customer": HUGE_ID}, {**row, "customer": -5}, {**row, "customer": "1.5"}],
        format="json",
    )

    assert response.status_code == 400
    assert [error["index"] for error in response.json()["errors"]] == [0, 1, 2]
    assert Transaction.objects.count() == 1


def test_a_readable_english_message_when_asked_for(api_client, rep):
    api_client.force_authenticate(rep)

    response = api_client.post(
        "/api/v1/customers/", {"name": "新客户", "potential": 9}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.json() == {"potential": ["Ensure this value is less than or equal to 5."]}
