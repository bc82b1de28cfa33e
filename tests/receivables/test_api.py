"""/api/v1/payment-plans/, /api/v1/payments/ and /api/v1/customers/<id>/receivables/: who may do
what, the one-or-array push (all or nothing, idempotent), and the receivables summary."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import AccountTeamMember
from audit.models import AuditEvent
from pipeline.models import Stage
from receivables.api import PAYMENT_BATCH_MAX
from receivables.models import Installment, Payment, PaymentApplication, PaymentPlan
from tests.factories import CustomerFactory, OpportunityFactory, UserFactory
from tests.receivables.conftest import D, won_opportunity
from users.models import Role

pytestmark = pytest.mark.django_db

PLANS = "/api/v1/payment-plans/"
PAYMENTS = "/api/v1/payments/"


def plan_body(opportunity, *installments, contract=None, **extra) -> dict:
    rows = [{"due_on": due, "amount": amount} for due, amount in installments]
    total = contract or str(sum((Decimal(amount) for _due, amount in installments), Decimal(0)))
    return {"opportunity": opportunity.pk, "contract_amount": total, "installments": rows, **extra}


def payment(customer, reference, amount="100.00", **extra) -> dict:
    return {
        "customer": customer.pk,
        "reference": reference,
        "received_on": "2026-03-01",
        "amount": amount,
        **extra,
    }


def stored_payments() -> list[tuple]:
    return list(
        Payment.objects.order_by("reference").values_list(
            "reference", "customer_id", "received_on", "amount", "notes"
        )
    )


def counts() -> tuple[int, int, int, int]:
    return (
        Payment.objects.count(),
        PaymentApplication.objects.count(),
        AuditEvent.objects.filter(object_type="payment").count(),
        Installment.objects.exclude(applied=0).count(),
    )


@pytest.fixture
def plan(api_client, rep, won):
    api_client.force_authenticate(rep)
    response = api_client.post(
        PLANS, plan_body(won, ("2026-03-31", "40000.00"), ("2026-06-30", "60000.00")), format="json"
    )
    assert response.status_code == 201, response.json()
    api_client.force_authenticate(None)
    return PaymentPlan.objects.get(pk=response.json()["id"])


# --- Payment plans --------------------------------------------------------------------------


def test_the_owner_creates_a_plan_with_its_installments(api_client, rep, won):
    api_client.force_authenticate(rep)

    response = api_client.post(
        PLANS,
        plan_body(won, ("2026-06-30", "60000.00"), ("2026-03-31", "40000.00"), contract_number="HT-01"),
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["opportunity"] == won.pk
    assert body["customer"] == won.customer_id
    assert body["contract_amount"] == "100000.00"
    assert body["contract_number"] == "HT-01"
    assert [(row["due_on"], row["amount"], row["applied"], row["open"]) for row in body["installments"]] == [
        ("2026-03-31", "40000.00", "0.00", "40000.00"),
        ("2026-06-30", "60000.00", "0.00", "60000.00"),
    ]
    assert (body["applied"], body["open"], body["editable"]) == ("0.00", "100000.00", True)
    assert body["created_by"] == rep.username


def test_installments_that_do_not_add_up_are_a_400_naming_both_sums(api_client, rep, won):
    api_client.force_authenticate(rep)

    response = api_client.post(
        PLANS,
        plan_body(won, ("2026-03-31", "40000.00"), ("2026-06-30", "60000.01"), contract="100000.00"),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    message = response.json()["installments"][0]
    assert "¥100,000.01" in message
    assert message.endswith("contract amount ¥100,000.")
    assert PaymentPlan.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"contract_amount": "-1.00"}, "contract_amount"),
        ({"contract_amount": "1" * 13}, "contract_amount"),
        ({"installments": [{"due_on": "2026-03-31", "amount": "0.00"}]}, "installments"),
        ({"installments": [{"due_on": "2026-02-30", "amount": "1.00"}]}, "installments"),
        ({"installments": [{"amount": "1.00"}]}, "installments"),
        ({"installments": []}, "installments"),
        ({"opportunity": 999999}, "opportunity"),
    ],
)
def test_a_bad_plan_is_a_400_and_writes_nothing(api_client, rep, won, change, field):
    api_client.force_authenticate(rep)

    response = api_client.post(PLANS, {**plan_body(won, ("2026-03-31", "1.00")), **change}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert PaymentPlan.objects.count() == 0


def test_an_opportunity_not_won_is_refused(api_client, rep, customer):
    opportunity = OpportunityFactory(customer=customer, stage=Stage.CLOSING)
    api_client.force_authenticate(rep)

    response = api_client.post(PLANS, plan_body(opportunity, ("2026-03-31", "1.00")), format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["opportunity"]


def test_an_account_team_member_reads_but_may_not_write(api_client, customer, won, plan):
    member = UserFactory(username="member", role=Role.REP)
    AccountTeamMember.objects.create(customer=customer, user=member)
    api_client.force_authenticate(member)

    assert api_client.get(f"{PLANS}{plan.pk}/").status_code == 200
    assert api_client.patch(f"{PLANS}{plan.pk}/", {"notes": "x"}, format="json").status_code == 403
    assert api_client.delete(f"{PLANS}{plan.pk}/").status_code == 403
    other = won_opportunity(customer, title="另一个")
    assert api_client.post(PLANS, plan_body(other, ("2026-03-31", "1.00")), format="json").status_code == 403
    assert PaymentPlan.objects.count() == 1


def test_another_teams_plan_does_not_exist(api_client, other_rep, plan):
    api_client.force_authenticate(other_rep)

    assert api_client.get(f"{PLANS}{plan.pk}/").status_code == 404
    assert api_client.patch(f"{PLANS}{plan.pk}/", {"notes": "x"}, format="json").status_code == 404
    assert api_client.get(PLANS).json()["count"] == 0
    own = won_opportunity(CustomerFactory(owner=other_rep))
    api_client.force_authenticate(other_rep)
    response = api_client.post(PLANS, plan_body(plan.opportunity, ("2026-03-31", "1.00")), format="json")
    assert response.status_code == 400  # that opportunity "does not exist" for them
    assert own.pk != plan.opportunity_id


def test_once_money_is_applied_the_schedule_stays_but_notes_change(api_client, rep, manager, plan):
    api_client.force_authenticate(manager)
    assert (
        api_client.post(PAYMENTS, payment(plan.customer, "ERP-1", "100.00"), format="json").status_code == 201
    )
    api_client.force_authenticate(rep)

    moved = api_client.patch(
        f"{PLANS}{plan.pk}/",
        {
            "installments": [
                {"due_on": "2026-04-30", "amount": "40000.00"},
                {"due_on": "2026-06-30", "amount": "60000.00"},
            ]
        },
        format="json",
    )
    noted = api_client.patch(f"{PLANS}{plan.pk}/", {"notes": "客户要求开票后付款"}, format="json")
    deleted = api_client.delete(f"{PLANS}{plan.pk}/")

    assert moved.status_code == 400
    assert "installments" in moved.json()
    assert noted.status_code == 200
    assert noted.json()["notes"] == "客户要求开票后付款"
    assert noted.json()["editable"] is False
    assert noted.json()["applied"] == "100.00"
    assert deleted.status_code == 400
    assert PaymentPlan.objects.count() == 1


def test_a_plan_without_money_is_edited_and_deleted(api_client, rep, plan):
    api_client.force_authenticate(rep)

    edited = api_client.patch(
        f"{PLANS}{plan.pk}/",
        {"contract_amount": "90000.00", "installments": [{"due_on": "2026-05-31", "amount": "90000.00"}]},
        format="json",
    )
    deleted = api_client.delete(f"{PLANS}{plan.pk}/")

    assert edited.status_code == 200
    assert [(row["due_on"], row["amount"]) for row in edited.json()["installments"]] == [
        ("2026-05-31", "90000.00")
    ]
    assert deleted.status_code == 204
    assert PaymentPlan.objects.count() == 0


def test_plan_list_filters_and_query_count(api_client, rep, customer, won, plan, django_assert_num_queries):
    for title in ("二期", "三期"):
        opportunity = won_opportunity(customer, title=title)
        api_client.force_authenticate(rep)
        api_client.post(
            PLANS, plan_body(opportunity, ("2026-03-31", "1.00"), ("2026-04-30", "2.00")), format="json"
        )
    api_client.force_authenticate(rep)

    # The visibility check (a rep manages no team), count, page, installments.
    with django_assert_num_queries(4):
        response = api_client.get(PLANS)
    assert response.json()["count"] == 3
    assert api_client.get(PLANS, {"opportunity": won.pk}).json()["count"] == 1
    assert api_client.get(PLANS, {"customer": customer.pk}).json()["count"] == 3
    assert api_client.get(PLANS, {"customer": "abc"}).status_code == 400


# --- Payments: one object --------------------------------------------------------------------


def test_a_manager_records_one_payment_and_it_is_applied(api_client, manager, plan):
    api_client.force_authenticate(manager)

    response = api_client.post(
        PAYMENTS, payment(plan.customer, "ERP-1", "50000.00", source="erp"), format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert {name: body[name] for name in ("reference", "amount", "source", "applied")} == {
        "reference": "ERP-1",
        "amount": "50000.00",
        "source": "erp",
        "applied": "50000.00",
    }
    assert list(Installment.objects.order_by("due_on").values_list("applied", flat=True)) == [
        D("40000.00"),
        D("10000.00"),
    ]


def test_the_same_payment_again_is_200_and_changes_nothing(api_client, manager, plan):
    api_client.force_authenticate(manager)
    api_client.post(PAYMENTS, payment(plan.customer, "ERP-1"), format="json")
    before, stored = counts(), stored_payments()

    response = api_client.post(PAYMENTS, payment(plan.customer, "ERP-1"), format="json")

    assert response.status_code == 200
    assert counts() == before
    assert stored_payments() == stored


def test_reps_read_payments_but_do_not_write_them(api_client, rep, manager, plan):
    api_client.force_authenticate(manager)
    created = api_client.post(PAYMENTS, payment(plan.customer, "ERP-1"), format="json").json()
    api_client.force_authenticate(rep)
    before = counts()

    assert api_client.get(PAYMENTS).json()["count"] == 1
    assert api_client.post(PAYMENTS, payment(plan.customer, "ERP-2"), format="json").status_code == 403
    assert api_client.post(PAYMENTS, [payment(plan.customer, "ERP-2")], format="json").status_code == 403
    assert api_client.patch(f"{PAYMENTS}{created['id']}/", {"notes": "x"}, format="json").status_code == 403
    assert api_client.delete(f"{PAYMENTS}{created['id']}/").status_code == 403
    assert counts() == before


def test_a_manager_corrects_and_deletes_a_payment(api_client, manager, plan):
    api_client.force_authenticate(manager)
    created = api_client.post(PAYMENTS, payment(plan.customer, "ERP-1", "50000.00"), format="json").json()

    patched = api_client.patch(f"{PAYMENTS}{created['id']}/", {"amount": "30000.00"}, format="json")
    renamed = api_client.patch(f"{PAYMENTS}{created['id']}/", {"reference": "ERP-X"}, format="json")

    assert patched.status_code == 200
    assert patched.json()["applied"] == "30000.00"
    assert renamed.status_code == 400
    assert "reference" in renamed.json()
    assert api_client.delete(f"{PAYMENTS}{created['id']}/").status_code == 204
    assert not Installment.objects.exclude(applied=0).exists()


# --- Payments: a batch -----------------------------------------------------------------------


def test_a_batch_is_written_and_sent_again_changes_nothing(api_client, manager, plan):
    api_client.force_authenticate(manager)
    batch = [payment(plan.customer, f"ERP-{n}", "1000.00", source="erp") for n in range(5)]

    first = api_client.post(PAYMENTS, batch, format="json")
    before, stored = counts(), stored_payments()
    again = api_client.post(PAYMENTS, batch, format="json")

    assert first.status_code == 201
    assert first.json() == {"created": 5, "updated": 0, "unchanged": 0}
    assert again.status_code == 201
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 5}
    assert counts() == before
    assert stored_payments() == stored


def test_a_batch_with_a_bad_row_writes_nothing(api_client, manager, plan, other_rep):
    hidden = CustomerFactory(owner=other_rep)
    api_client.force_authenticate(manager)
    api_client.post(PAYMENTS, [payment(plan.customer, "ERP-0")], format="json")
    before, stored = counts(), stored_payments()
    batch = [
        payment(plan.customer, "ERP-0", "999.00"),  # a valid update
        payment(plan.customer, "ERP-1", "-5.00"),
        payment(plan.customer, "ERP-2"),
        payment(hidden, "ERP-3"),
        {"customer": plan.customer.pk, "reference": "ERP-4", "received_on": "2026-02-30", "amount": "1.00"},
    ]

    response = api_client.post(PAYMENTS, batch, format="json")

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(row["index"], sorted(row["errors"])) for row in errors] == [
        (1, ["amount"]),
        (3, ["customer"]),
        (4, ["received_on"]),
    ]
    assert counts() == before
    assert stored_payments() == stored


def test_a_reference_of_a_hidden_customer_is_that_rows_error(
    api_client, manager, other_rep, plan, admin_user
):
    hidden = CustomerFactory(owner=other_rep)
    api_client.force_authenticate(admin_user)
    api_client.post(PAYMENTS, payment(hidden, "ERP-SECRET"), format="json")
    api_client.force_authenticate(manager)

    response = api_client.post(
        PAYMENTS, [payment(plan.customer, "ERP-SECRET")], format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["errors"] == {
        "reference": ["A payment with this reference already exists."]
    }
    assert Payment.objects.get(reference="ERP-SECRET").customer_id == hidden.pk


def test_batch_limits(api_client, manager, plan):
    api_client.force_authenticate(manager)

    empty = api_client.post(PAYMENTS, [], format="json")
    too_many = api_client.post(
        PAYMENTS,
        [payment(plan.customer, f"R-{n}", "1.00") for n in range(PAYMENT_BATCH_MAX + 1)],
        format="json",
    )

    assert empty.status_code == 400
    assert too_many.status_code == 400
    assert "non_field_errors" in too_many.json()
    assert Payment.objects.count() == 0


def test_a_full_batch_of_5000(api_client, manager, plan):
    api_client.force_authenticate(manager)

    response = api_client.post(
        PAYMENTS,
        [payment(plan.customer, f"R-{n:04d}", "1.00") for n in range(PAYMENT_BATCH_MAX)],
        format="json",
    )

    assert response.status_code == 201
    assert response.json() == {"created": 5000, "updated": 0, "unchanged": 0}
    assert list(Installment.objects.order_by("due_on").values_list("applied", flat=True)) == [
        D("5000.00"),
        D("0.00"),
    ]


def test_payment_list_filters_and_query_count(api_client, manager, plan, django_assert_num_queries):
    api_client.force_authenticate(manager)
    api_client.post(
        PAYMENTS,
        [
            {**payment(plan.customer, "A", "1.00"), "received_on": "2026-01-10"},
            {**payment(plan.customer, "B", "1.00"), "received_on": "2026-02-10", "source": "erp"},
            {**payment(plan.customer, "C", "1.00"), "received_on": "2026-03-10"},
        ],
        format="json",
    )

    # The manager's teams (visibility), count, page.
    with django_assert_num_queries(3):
        response = api_client.get(PAYMENTS)
    assert [row["reference"] for row in response.json()["results"]] == ["C", "B", "A"]
    assert api_client.get(PAYMENTS, {"received_from": "2026-02-01"}).json()["count"] == 2
    assert api_client.get(PAYMENTS, {"received_to": "2026-02-10"}).json()["count"] == 2
    assert api_client.get(PAYMENTS, {"source": "erp"}).json()["count"] == 1
    assert api_client.get(PAYMENTS, {"reference": "A"}).json()["count"] == 1
    assert api_client.get(PAYMENTS, {"received_from": "soon"}).status_code == 400


def test_another_teams_payment_does_not_exist(api_client, manager, other_rep, plan):
    api_client.force_authenticate(manager)
    created = api_client.post(PAYMENTS, payment(plan.customer, "ERP-1"), format="json").json()
    other_manager = UserFactory(username="other-manager", role=Role.MANAGER)
    api_client.force_authenticate(other_manager)

    assert api_client.get(f"{PAYMENTS}{created['id']}/").status_code == 404
    assert api_client.patch(f"{PAYMENTS}{created['id']}/", {"notes": "x"}, format="json").status_code == 404
    assert api_client.delete(f"{PAYMENTS}{created['id']}/").status_code == 404
    assert api_client.post(PAYMENTS, payment(plan.customer, "ERP-2"), format="json").status_code == 400
    assert Payment.objects.count() == 1


# --- The receivables summary -----------------------------------------------------------------


def test_the_receivables_of_a_customer(api_client, rep, manager, customer, django_assert_num_queries):
    today = timezone.localdate()
    opportunity = won_opportunity(customer)
    api_client.force_authenticate(rep)
    api_client.post(
        PLANS,
        plan_body(
            opportunity,
            ((today - timedelta(days=45)).isoformat(), "100.00"),
            ((today + timedelta(days=10)).isoformat(), "200.00"),
        ),
        format="json",
    )
    api_client.force_authenticate(manager)
    api_client.post(PAYMENTS, payment(customer, "ERP-1", "30.00"), format="json")
    api_client.force_authenticate(rep)

    # The visibility check, the customer, plans, installments, payments.
    with django_assert_num_queries(5):
        response = api_client.get(f"/api/v1/customers/{customer.pk}/receivables/")

    assert response.status_code == 200
    body = response.json()
    assert {
        name: body[name] for name in ("contracted", "received", "applied", "open", "overdue", "credit")
    } == {
        "contracted": "300.00",
        "received": "30.00",
        "applied": "30.00",
        "open": "270.00",
        "overdue": "70.00",
        "credit": "0.00",
    }
    assert body["credit_risk"] is True
    assert body["aging"] == {
        "not_due": "200.00",
        "days_1_30": "0.00",
        "days_31_60": "70.00",
        "days_61_90": "0.00",
        "over_90": "0.00",
    }
    installments = body["plans"][0]["installments"]
    assert [(row["open"], row["overdue"], row["days_past_due"]) for row in installments] == [
        ("70.00", True, 45),
        ("200.00", False, -10),
    ]
    assert body["payments"][0]["unapplied"] == "0.00"
    assert body["today"] == today.isoformat()


def test_another_teams_receivables_do_not_exist(api_client, other_rep, customer):
    api_client.force_authenticate(other_rep)

    assert api_client.get(f"/api/v1/customers/{customer.pk}/receivables/").status_code == 404
