"""Bad input to the opportunity endpoints is a JSON 400 naming the field, never a 500 or a
partial write."""

import pytest

from pipeline.models import Opportunity, StageChange
from tests.factories import CustomerFactory, OpportunityFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/opportunities/"
HUGE_ID = 10**30


def snapshot() -> tuple:
    return list(Opportunity.objects.order_by("pk").values()), StageChange.objects.count()


@pytest.fixture
def opportunity(rep):
    return OpportunityFactory(customer=CustomerFactory(owner=rep))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"expected_amount": "abc"}, "expected_amount"),
        ({"expected_amount": "-1"}, "expected_amount"),
        ({"expected_amount": -0.01}, "expected_amount"),
        ({"expected_amount": "NaN"}, "expected_amount"),
        ({"expected_amount": "Infinity"}, "expected_amount"),
        ({"expected_amount": "1e20"}, "expected_amount"),
        ({"expected_amount": "1.001"}, "expected_amount"),
        ({"expected_amount": None}, "expected_amount"),
        ({"expected_amount": [1]}, "expected_amount"),
        ({"expected_cost": "-5"}, "expected_cost"),
        ({"expected_cost": "很多"}, "expected_cost"),
        ({"probability": 101}, "probability"),
        ({"probability": -1}, "probability"),
        ({"probability": 12.5}, "probability"),
        ({"probability": "high"}, "probability"),
        ({"expected_close_on": "2026-02-30"}, "expected_close_on"),
        ({"expected_close_on": "tomorrow"}, "expected_close_on"),
        ({"expected_close_on": "2026-12-01T00:00:00Z"}, "expected_close_on"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "华信\x00集团"}, "title"),
        ({"obstacles": "\x00"}, "obstacles"),
        ({"development_plan": "先试点\x00"}, "development_plan"),
        ({"owner": HUGE_ID}, "owner"),
        ({"owner": "abc"}, "owner"),
        ({"owner": None}, "owner"),
        ({"stage": "nonsense"}, "stage"),
    ],
)
def test_bad_fields_are_a_400_on_that_field_and_write_nothing(api_client, rep, opportunity, body, field):
    api_client.force_authenticate(rep)
    before = snapshot()

    created = api_client.post(
        URL, {"customer": opportunity.customer_id, "title": "新商机", **body}, format="json"
    )
    updated = api_client.patch(f"{URL}{opportunity.pk}/", body, format="json")

    for response in (created, updated):
        assert response.status_code == 400
        assert set(response.json()) == {field}
    assert snapshot() == before


@pytest.mark.parametrize("customer", [HUGE_ID, -1, 0, "abc", "1.5", None, {"id": 1}, [1]])
def test_unknown_or_malformed_customers_are_a_400_on_customer(api_client, rep, customer):
    api_client.force_authenticate(rep)

    response = api_client.post(URL, {"customer": customer, "title": "新商机"}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"customer"}
    assert not Opportunity.objects.exists()


@pytest.mark.parametrize("body", ["[]", '[{"title": "x"}]', "null", '"text"', "42"])
def test_a_body_that_is_not_an_object_is_a_400(api_client, rep, opportunity, body):
    api_client.force_authenticate(rep)
    before = snapshot()

    created = api_client.post(URL, body, content_type="application/json")
    updated = api_client.patch(f"{URL}{opportunity.pk}/", body, content_type="application/json")

    for response in (created, updated):
        assert response.status_code == 400
        assert set(response.json()) == {"non_field_errors"}
    assert snapshot() == before


def test_malformed_json_is_a_json_400(api_client, rep, opportunity):
    api_client.force_authenticate(rep)

    response = api_client.post(
        f"{URL}{opportunity.pk}/move/", '{"to": "information', content_type="application/json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"detail"}


def test_a_10_mb_body_is_a_json_413(api_client, rep, opportunity):
    api_client.force_authenticate(rep)
    before = snapshot()
    body = '{"obstacles": "' + "x" * (10 * 1024 * 1024) + '"}'

    responses = [
        api_client.post(URL, body, content_type="application/json"),
        api_client.patch(f"{URL}{opportunity.pk}/", body, content_type="application/json"),
        api_client.post(f"{URL}{opportunity.pk}/move/", body, content_type="application/json"),
    ]

    for response in responses:
        assert response.status_code == 413
        assert response["Content-Type"] == "application/json"
    assert snapshot() == before


@pytest.mark.parametrize("pk", [str(HUGE_ID), "-1", "0", "abc", "1e3", "%00"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ""), ("patch", ""), ("delete", ""), ("post", "move/"), ("post", "lose/"), ("get", "gate/"),
        ("post", "gate/"), ("get", "history/"),
    ],
)  # fmt: skip
def test_odd_ids_in_the_url_are_404(api_client, rep, opportunity, pk, method, path):
    api_client.force_authenticate(rep)

    response = getattr(api_client, method)(f"{URL}{pk}/{path}", {}, format="json")

    assert response.status_code == 404
    assert snapshot()[0][0]["stage"] == "target"
