"""/api/v1/transactions/: single writes, ERP batches (all or nothing, idempotent), filters."""

from datetime import date
from decimal import Decimal

import pytest

from accounts.api import TRANSACTION_BATCH_MAX
from accounts.models import Transaction
from tests.factories import CustomerFactory, TransactionFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/transactions/"


@pytest.fixture
def customer(rep):
    return CustomerFactory(owner=rep)


def line(customer, reference, amount="1000.00", **extra) -> dict:
    return {
        "customer": customer.pk,
        "reference": reference,
        "occurred_on": "2025-03-01",
        "amount": amount,
        **extra,
    }


def stored() -> dict[str, tuple]:
    return {
        t.reference: (t.customer_id, t.occurred_on, t.amount, t.margin, t.description)
        for t in Transaction.objects.all()
    }


# --- One object ------------------------------------------------------------------------------


def test_create_one_transaction(api_client, rep, customer):
    api_client.force_authenticate(rep)

    response = api_client.post(
        URL, line(customer, "INV-1", "1234.50", margin="-200.00", description="退货冲减"), format="json"
    )

    assert response.status_code == 201
    body = response.json()
    transaction = Transaction.objects.get()
    assert body["id"] == transaction.pk
    assert {name: body[name] for name in ("customer", "reference", "occurred_on", "amount", "margin")} == {
        "customer": customer.pk,
        "reference": "INV-1",
        "occurred_on": "2025-03-01",
        "amount": "1234.50",
        "margin": "-200.00",
    }
    assert set(body) == {
        "id",
        "customer",
        "reference",
        "occurred_on",
        "amount",
        "margin",
        "description",
        "created_at",
        "updated_at",
    }
    assert transaction.margin == Decimal("-200.00")


def test_a_credit_note_has_a_negative_amount(api_client, rep, customer):
    api_client.force_authenticate(rep)

    response = api_client.post(URL, line(customer, "CN-1", "-500.00"), format="json")

    assert response.status_code == 201
    assert Transaction.objects.get().amount == Decimal("-500.00")


def test_a_known_reference_updates_instead_of_duplicating(api_client, rep, customer):
    existing = TransactionFactory(customer=customer, reference="INV-1", amount=Decimal("100.00"))
    api_client.force_authenticate(rep)

    response = api_client.post(URL, line(customer, "INV-1", "150.00"), format="json")

    assert response.status_code == 200
    assert response.json()["id"] == existing.pk
    assert response.json()["amount"] == "150.00"
    assert Transaction.objects.count() == 1
    existing.refresh_from_db()
    assert existing.amount == Decimal("150.00")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "abc"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "Infinity"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"amount": "1" * 13}, "amount"),
        ({"amount": None}, "amount"),
        ({"margin": "lots"}, "margin"),
        ({"occurred_on": "2025-02-30"}, "occurred_on"),
        ({"reference": ""}, "reference"),
        ({"reference": "R" * 101}, "reference"),
        ({"description": "x" * 201}, "description"),
        ({"customer": 999999}, "customer"),
        ({"customer": "abc"}, "customer"),
        ({"customer": True}, "customer"),
    ],
)
def test_an_invalid_object_is_400_and_writes_nothing(api_client, rep, customer, change, field):
    api_client.force_authenticate(rep)

    response = api_client.post(URL, {**line(customer, "INV-1"), **change}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {field}
    assert not Transaction.objects.exists()


def test_a_reference_used_at_a_hidden_customer_is_refused_and_left_alone(
    api_client, rep, other_rep, customer
):
    theirs = TransactionFactory(customer=CustomerFactory(owner=other_rep), reference="INV-9")
    before = stored()
    api_client.force_authenticate(rep)

    response = api_client.post(URL, line(customer, "INV-9"), format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"reference"}
    assert stored() == before
    theirs.refresh_from_db()
    assert theirs.customer.owner == other_rep


def test_update_and_delete(api_client, rep, customer):
    transaction = TransactionFactory(customer=customer, reference="INV-1", amount=Decimal("100.00"))
    api_client.force_authenticate(rep)
    url = f"{URL}{transaction.pk}/"
    body = api_client.get(url).json()
    body["amount"] = "-100.00"

    put = api_client.put(url, body, format="json")
    patch = api_client.patch(url, {"description": "更正"}, format="json")

    assert put.status_code == 200
    assert patch.status_code == 200
    assert patch.json()["amount"] == "-100.00"
    transaction.refresh_from_db()
    assert (transaction.amount, transaction.description) == (Decimal("-100.00"), "更正")
    assert api_client.delete(url).status_code == 204
    assert not Transaction.objects.exists()


def test_the_reference_cannot_change(api_client, rep, customer):
    transaction = TransactionFactory(customer=customer, reference="INV-1")
    api_client.force_authenticate(rep)

    response = api_client.patch(f"{URL}{transaction.pk}/", {"reference": "INV-2"}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"reference"}
    transaction.refresh_from_db()
    assert transaction.reference == "INV-1"


def test_a_transaction_moves_only_to_a_visible_customer(api_client, rep, other_rep, customer):
    transaction = TransactionFactory(customer=customer)
    mine, theirs = CustomerFactory(owner=rep), CustomerFactory(owner=other_rep)
    api_client.force_authenticate(rep)
    url = f"{URL}{transaction.pk}/"

    refused = api_client.patch(url, {"customer": theirs.pk}, format="json")
    moved = api_client.patch(url, {"customer": mine.pk}, format="json")

    assert refused.status_code == 400
    assert set(refused.json()) == {"customer"}
    assert moved.status_code == 200
    transaction.refresh_from_db()
    assert transaction.customer == mine


# --- Batches ---------------------------------------------------------------------------------


def test_an_all_valid_batch_writes_every_row(api_client, rep, customer):
    second = CustomerFactory(owner=rep)
    api_client.force_authenticate(rep)
    batch = [
        line(customer, "INV-1", "100.00"),
        line(customer, "INV-2", "-20.00", margin="-5.00"),
        line(second, "INV-3", "300.00", description="首单"),
    ]

    response = api_client.post(URL, batch, format="json")

    assert response.status_code == 201
    assert response.json() == {"created": 3, "updated": 0}
    assert stored() == {
        "INV-1": (customer.pk, date(2025, 3, 1), Decimal("100.00"), None, ""),
        "INV-2": (customer.pk, date(2025, 3, 1), Decimal("-20.00"), Decimal("-5.00"), ""),
        "INV-3": (second.pk, date(2025, 3, 1), Decimal("300.00"), None, "首单"),
    }


def test_one_invalid_row_writes_nothing_and_is_reported_by_index(api_client, rep, customer):
    TransactionFactory(customer=customer, reference="INV-0", amount=Decimal("1.00"))
    before = stored()
    api_client.force_authenticate(rep)
    batch = [
        line(customer, "INV-0", "999.00"),
        line(customer, "INV-1"),
        line(customer, "INV-2"),
        line(customer, "INV-3", "twelve"),
        line(customer, "INV-4"),
    ]

    response = api_client.post(URL, batch, format="json")

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(error["index"], set(error["errors"])) for error in errors] == [(3, {"amount"})]
    assert stored() == before


def test_every_bad_row_is_reported(api_client, rep, other_rep, customer):
    TransactionFactory(customer=CustomerFactory(owner=other_rep), reference="THEIRS-1")
    hidden = CustomerFactory(owner=other_rep)
    api_client.force_authenticate(rep)
    batch = [
        line(customer, "OK-1"),
        line(hidden, "INV-1"),
        "not an object",
        line(customer, "THEIRS-1"),
        {"reference": "INV-4"},
        line(customer, "INV-5", occurred_on="yesterday", margin="x"),
        line(customer, "INV-6\x00"),
    ]

    response = api_client.post(URL, batch, format="json")

    assert response.status_code == 400
    assert [(error["index"], set(error["errors"])) for error in response.json()["errors"]] == [
        (1, {"customer"}),
        (2, {"non_field_errors"}),
        (3, {"reference"}),
        (4, {"customer", "occurred_on", "amount"}),
        (5, {"occurred_on", "margin"}),
        (6, {"reference"}),
    ]
    assert Transaction.objects.count() == 1


def test_resending_a_batch_creates_no_duplicates_and_applies_changes(api_client, rep, customer):
    api_client.force_authenticate(rep)
    batch = [line(customer, f"INV-{n}", f"{n}00.00") for n in range(1, 4)]
    assert api_client.post(URL, batch, format="json").json() == {"created": 3, "updated": 0}

    again = api_client.post(URL, batch, format="json")
    batch[1]["amount"] = "250.00"
    batch.append(line(customer, "INV-4", "400.00"))
    changed = api_client.post(URL, batch, format="json")

    assert again.status_code == 201
    assert again.json() == {"created": 0, "updated": 3}
    assert changed.json() == {"created": 1, "updated": 3}
    assert {ref: row[2] for ref, row in stored().items()} == {
        "INV-1": Decimal("100.00"),
        "INV-2": Decimal("250.00"),
        "INV-3": Decimal("300.00"),
        "INV-4": Decimal("400.00"),
    }


def test_a_reference_twice_in_one_batch_keeps_the_last_row(api_client, rep, customer):
    api_client.force_authenticate(rep)

    response = api_client.post(
        URL, [line(customer, "INV-1", "1.00"), line(customer, "INV-1", "2.00")], format="json"
    )

    assert response.status_code == 201
    assert Transaction.objects.get().amount == Decimal("2.00")


@pytest.mark.parametrize("size", [0, TRANSACTION_BATCH_MAX + 1])
def test_empty_and_oversized_batches_are_refused(api_client, rep, customer, size):
    api_client.force_authenticate(rep)

    response = api_client.post(URL, [line(customer, f"INV-{n}") for n in range(size)], format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"non_field_errors"}
    assert not Transaction.objects.exists()


def test_a_full_batch_is_accepted(api_client, rep, customer):
    api_client.force_authenticate(rep)
    batch = [line(customer, f"INV-{n:05d}", "10.00") for n in range(TRANSACTION_BATCH_MAX)]

    response = api_client.post(URL, batch, format="json")

    assert response.status_code == 201
    assert response.json() == {"created": TRANSACTION_BATCH_MAX, "updated": 0}


def test_a_batch_runs_a_constant_number_of_queries(api_client, rep, customer, django_assert_num_queries):
    api_client.force_authenticate(rep)
    TransactionFactory(customer=customer, reference="INV-0")

    def push(n):
        return api_client.post(URL, [line(customer, f"INV-{i}") for i in range(n)], format="json")

    # managed teams? (visible_to), the rows' customers, references used at hidden customers,
    # then the upsert: savepoint, lock the known references, insert, update, release.
    with django_assert_num_queries(7):
        assert push(3).status_code == 201
    with django_assert_num_queries(7):
        assert push(30).status_code == 201


# --- Filters and query counts ----------------------------------------------------------------


def test_transaction_filters(api_client, rep, customer):
    other = CustomerFactory(owner=rep)
    feb = TransactionFactory(customer=customer, occurred_on=date(2025, 2, 28))
    mar = TransactionFactory(customer=customer, occurred_on=date(2025, 3, 1))
    apr = TransactionFactory(customer=other, occurred_on=date(2025, 4, 1), reference="ERP-APR")
    api_client.force_authenticate(rep)

    def ids(**params):
        response = api_client.get(URL, params)
        assert response.status_code == 200
        return [item["id"] for item in response.json()["results"]]

    assert ids() == [apr.pk, mar.pk, feb.pk]
    assert ids(customer=customer.pk) == [mar.pk, feb.pk]
    assert ids(occurred_from="2025-03-01") == [apr.pk, mar.pk]
    assert ids(occurred_to="2025-03-01") == [mar.pk, feb.pk]
    assert ids(occurred_from="2025-03-01", occurred_to="2025-03-31") == [mar.pk]
    assert ids(reference="ERP-APR") == [apr.pk]
    assert api_client.get(URL, {"occurred_from": "soon"}).status_code == 400


def test_list_runs_a_constant_number_of_queries(api_client, rep, customer, django_assert_num_queries):
    api_client.force_authenticate(rep)
    TransactionFactory.create_batch(3, customer=customer)
    # managed teams? (visible_to), count, page
    with django_assert_num_queries(3):
        assert len(api_client.get(URL).json()["results"]) == 3
    TransactionFactory.create_batch(27, customer=customer)
    with django_assert_num_queries(3):
        assert len(api_client.get(URL).json()["results"]) == 30
