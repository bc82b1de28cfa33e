"""receivables/services.py: payment plans, payments and the allocation, against the database."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.models import AccountTeamMember, Customer
from audit.models import AuditEvent
from pipeline.models import Stage
from receivables import services
from receivables.models import Installment, Payment, PaymentApplication, PaymentPlan
from receivables.services import PaymentRow
from tests.factories import CustomerFactory, OpportunityFactory, UserFactory
from tests.receivables.conftest import D, day, won_opportunity
from users.models import Role

pytestmark = pytest.mark.django_db


def make_plan(opportunity, by, *installments, contract=None, **fields):
    schedule = [(day(due), D(amount)) for due, amount in installments]
    total = contract if contract is not None else sum((amount for _due, amount in schedule), Decimal(0))
    return services.plan_create(
        opportunity=opportunity, by=by, contract_amount=D(str(total)), installments=schedule, **fields
    )


def pay(customer, by, reference, received, amount, **fields):
    row = PaymentRow(
        customer_id=customer.pk, reference=reference, received_on=day(received), amount=D(amount), **fields
    )
    return services.payments_upsert(rows=[row], by=by)


def applied(plan) -> list[tuple[str, str, str]]:
    return [
        (row.due_on.isoformat(), str(row.amount), str(row.applied))
        for row in Installment.objects.filter(plan=plan).order_by("due_on", "id")
    ]


def oldest_open(customer) -> date | None:
    return Customer.objects.values_list("oldest_open_due_on", flat=True).get(pk=customer.pk)


# --- Plans: the sum, the stage, who --------------------------------------------------------


def test_a_plan_whose_installments_add_up_exactly_is_saved(rep, won):
    plan = make_plan(won, rep, ("2026-03-31", "30000.00"), ("2026-06-30", "70000.00"), contract="100000.00")

    assert plan.customer_id == won.customer_id
    assert plan.created_by == rep
    assert applied(plan) == [("2026-03-31", "30000.00", "0.00"), ("2026-06-30", "70000.00", "0.00")]
    assert oldest_open(won.customer) == date(2026, 3, 31)


@pytest.mark.parametrize("contract", ["100000.01", "99999.99"])
def test_installments_off_by_a_cent_are_refused_naming_both_sums(rep, won, contract):
    with pytest.raises(ValidationError) as refused:
        make_plan(won, rep, ("2026-03-31", "30000.00"), ("2026-06-30", "70000.00"), contract=contract)

    message = refused.value.message_dict["installments"][0]
    assert "¥100,000" in message
    assert f"¥{Decimal(contract):,}" in message
    assert PaymentPlan.objects.count() == 0
    assert Installment.objects.count() == 0


@pytest.mark.parametrize("amount", ["0.00", "-5.00"])
def test_every_installment_is_above_zero(rep, won, amount):
    with pytest.raises(ValidationError) as refused:
        services.plan_create(
            opportunity=won,
            by=rep,
            contract_amount=D("100.00"),
            installments=[(day("2026-01-31"), D("100.00") - D(amount)), (day("2026-02-28"), D(amount))],
        )

    assert "installments" in refused.value.message_dict
    assert PaymentPlan.objects.count() == 0


def test_a_plan_needs_an_installment(rep, won):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.plan_create(opportunity=won, by=rep, contract_amount=D("0.00"), installments=[])

    assert refused.value.message_dict == {"installments": ["Add at least one installment."]}


@pytest.mark.parametrize("stage", [Stage.CLOSING, Stage.LOST, Stage.TARGET])
def test_only_a_won_opportunity_gets_a_plan(rep, customer, stage):
    opportunity = OpportunityFactory(
        customer=customer, stage=stage, lost_reason="价格" if stage == Stage.LOST else ""
    )

    with pytest.raises(ValidationError) as refused:
        make_plan(opportunity, rep, ("2026-03-31", "100.00"))

    assert list(refused.value.message_dict) == ["opportunity"]
    assert PaymentPlan.objects.count() == 0


def test_one_plan_per_opportunity(rep, won):
    make_plan(won, rep, ("2026-03-31", "100.00"))

    with pytest.raises(ValidationError) as refused:
        make_plan(won, rep, ("2026-04-30", "100.00"))

    assert list(refused.value.message_dict) == ["opportunity"]
    assert PaymentPlan.objects.count() == 1


def test_who_may_write_a_plan(rep, manager, admin_user, other_rep, customer, won):
    member = UserFactory(username="team-member", role=Role.REP)
    AccountTeamMember.objects.create(customer=customer, user=member)
    other_manager = UserFactory(username="other-manager", role=Role.MANAGER)

    assert services.can_edit_plan(rep, won)
    assert services.can_edit_plan(manager, won)
    assert services.can_edit_plan(admin_user, won)
    assert not services.can_edit_plan(member, won)  # sees it, reads it
    assert not services.can_edit_plan(other_rep, won)
    assert not services.can_edit_plan(other_manager, won)
    with pytest.raises(PermissionDenied):
        make_plan(won, member, ("2026-03-31", "100.00"))
    assert PaymentPlan.objects.count() == 0


# --- Plans: edits until money is applied ----------------------------------------------------


def test_a_plan_is_edited_freely_before_money_is_applied(rep, won):
    plan = make_plan(won, rep, ("2026-03-31", "60.00"), ("2026-06-30", "40.00"))

    services.plan_update(
        plan=plan,
        by=rep,
        contract_amount=D("150.00"),
        installments=[(day("2026-02-28"), D("50.00")), (day("2026-05-31"), D("100.00"))],
        contract_number="HT-2026-001",
    )

    plan.refresh_from_db()
    assert plan.contract_amount == D("150.00")
    assert plan.contract_number == "HT-2026-001"
    assert applied(plan) == [("2026-02-28", "50.00", "0.00"), ("2026-05-31", "100.00", "0.00")]
    assert oldest_open(won.customer) == date(2026, 2, 28)


def test_an_edit_is_checked_against_the_sum_too(rep, won):
    plan = make_plan(won, rep, ("2026-03-31", "100.00"))

    with pytest.raises(ValidationError) as refused:
        services.plan_update(plan=plan, by=rep, contract_amount=D("100.01"))

    assert list(refused.value.message_dict) == ["installments"]
    assert PaymentPlan.objects.get().contract_amount == D("100.00")


def test_amounts_and_dates_are_refused_once_money_is_applied(rep, manager, won):
    plan = make_plan(won, rep, ("2026-03-31", "60.00"), ("2026-06-30", "40.00"))
    pay(won.customer, manager, "ERP-1", "2026-03-20", "10.00")

    with pytest.raises(ValidationError) as refused:
        services.plan_update(
            plan=plan, by=rep, installments=[(day("2026-04-30"), D("60.00")), (day("2026-06-30"), D("40.00"))]
        )
    assert "¥10" in refused.value.message_dict["installments"][0]
    with pytest.raises(ValidationError) as refused:
        services.plan_update(plan=plan, by=rep, contract_amount=D("90.00"))
    assert list(refused.value.message_dict) == ["contract_amount"]
    with pytest.raises(ValidationError):
        services.plan_delete(plan=plan, by=rep)

    # The same schedule again, the contract number, the signing date and notes still may change.
    services.plan_update(
        plan=plan,
        by=rep,
        installments=[(day("2026-06-30"), D("40.00")), (day("2026-03-31"), D("60.00"))],
        contract_number="HT-7",
        signed_on=day("2026-01-15"),
        notes="财务确认",
    )
    plan.refresh_from_db()
    assert (plan.contract_number, plan.signed_on, plan.notes) == ("HT-7", date(2026, 1, 15), "财务确认")
    assert applied(plan) == [("2026-03-31", "60.00", "10.00"), ("2026-06-30", "40.00", "0.00")]


def test_a_plan_without_money_applied_can_be_deleted(rep, won):
    plan = make_plan(won, rep, ("2026-03-31", "100.00"))

    services.plan_delete(plan=plan, by=rep)

    assert PaymentPlan.objects.count() == 0
    assert Installment.objects.count() == 0
    assert oldest_open(won.customer) is None


# --- The allocation, hand-worked ------------------------------------------------------------


def test_two_plans_are_paid_oldest_due_first(rep, manager, customer, won):
    second = won_opportunity(customer, title="二期合同")
    first_plan = make_plan(won, rep, ("2026-01-31", "300.00"), ("2026-07-31", "300.00"))
    second_plan = make_plan(second, rep, ("2026-03-31", "200.00"))

    pay(customer, manager, "ERP-1", "2026-02-10", "600.00")

    assert applied(first_plan) == [("2026-01-31", "300.00", "300.00"), ("2026-07-31", "300.00", "100.00")]
    assert applied(second_plan) == [("2026-03-31", "200.00", "200.00")]
    assert oldest_open(customer) == date(2026, 7, 31)
    assert sorted(PaymentApplication.objects.values_list("amount", flat=True)) == [
        D("100.00"),
        D("200.00"),
        D("300.00"),
    ]


def test_the_same_due_date_in_two_plans_goes_to_the_lower_id_first(rep, manager, customer, won):
    second = won_opportunity(customer, title="二期合同")
    first_plan = make_plan(won, rep, ("2026-03-31", "100.00"))
    second_plan = make_plan(second, rep, ("2026-03-31", "100.00"))

    pay(customer, manager, "ERP-1", "2026-03-01", "150.00")

    assert applied(first_plan) == [("2026-03-31", "100.00", "100.00")]
    assert applied(second_plan) == [("2026-03-31", "100.00", "50.00")]


def test_partial_payments_in_the_order_received(rep, manager, customer, won):
    plan = make_plan(won, rep, ("2026-01-31", "100.00"), ("2026-02-28", "100.00"))

    pay(customer, manager, "B", "2026-02-01", "30.00")
    pay(customer, manager, "A", "2026-01-15", "80.00")  # received earlier, sent later

    assert applied(plan) == [("2026-01-31", "100.00", "100.00"), ("2026-02-28", "100.00", "10.00")]
    applications = {
        (row.payment.reference, row.installment.due_on.isoformat()): row.amount
        for row in PaymentApplication.objects.select_related("payment", "installment")
    }
    assert applications == {
        ("A", "2026-01-31"): D("80.00"),
        ("B", "2026-01-31"): D("20.00"),
        ("B", "2026-02-28"): D("10.00"),
    }


def test_an_overpayment_is_credit_applied_to_a_plan_added_later(rep, manager, customer, won):
    plan = make_plan(won, rep, ("2026-01-31", "600.00"))
    pay(customer, manager, "ERP-1", "2026-01-20", "1000.00")
    assert applied(plan) == [("2026-01-31", "600.00", "600.00")]
    assert oldest_open(customer) is None

    later = make_plan(won_opportunity(customer, title="续约合同"), rep, ("2026-09-30", "500.00"))

    assert applied(later) == [("2026-09-30", "500.00", "400.00")]
    assert oldest_open(customer) == date(2026, 9, 30)
    # The new plan has money on it at once: its amounts and dates are fixed now.
    with pytest.raises(ValidationError):
        services.plan_update(plan=later, by=rep, installments=[(day("2026-10-31"), D("500.00"))])


def test_correcting_or_deleting_a_payment_moves_the_allocation(rep, manager, customer, won):
    plan = make_plan(won, rep, ("2026-01-31", "100.00"), ("2026-02-28", "100.00"))
    pay(customer, manager, "ERP-1", "2026-01-20", "150.00")
    payment = Payment.objects.get()

    services.payment_update(payment=payment, by=manager, amount=D("90.00"))
    assert applied(plan) == [("2026-01-31", "100.00", "90.00"), ("2026-02-28", "100.00", "0.00")]
    assert oldest_open(customer) == date(2026, 1, 31)

    services.payment_delete(payment=Payment.objects.get(), by=manager)
    assert applied(plan) == [("2026-01-31", "100.00", "0.00"), ("2026-02-28", "100.00", "0.00")]
    assert PaymentApplication.objects.count() == 0


def test_a_payment_moved_to_another_customer_rebuilds_both(rep, manager, customer, won):
    other = CustomerFactory(owner=rep)
    plan = make_plan(won, rep, ("2026-01-31", "100.00"))
    other_plan = make_plan(won_opportunity(other), rep, ("2026-01-31", "100.00"))
    pay(customer, manager, "ERP-1", "2026-01-20", "100.00")

    services.payment_update(payment=Payment.objects.get(), by=manager, customer=other)

    assert applied(plan) == [("2026-01-31", "100.00", "0.00")]
    assert applied(other_plan) == [("2026-01-31", "100.00", "100.00")]
    assert oldest_open(customer) == date(2026, 1, 31)
    assert oldest_open(other) is None


def test_the_rebuild_is_idempotent(rep, manager, customer, won):
    make_plan(won, rep, ("2026-01-31", "100.00"), ("2026-02-28", "100.00"))
    pay(customer, manager, "ERP-1", "2026-01-20", "150.00")
    before = sorted(PaymentApplication.objects.values_list("payment_id", "installment_id", "amount"))

    services.allocation_rebuild(customer_ids=[customer.pk])

    assert sorted(PaymentApplication.objects.values_list("payment_id", "installment_id", "amount")) == before


def test_the_rebuild_does_not_touch_the_customers_audit_trail(rep, manager, customer, won):
    make_plan(won, rep, ("2026-01-31", "100.00"))
    customer_rows = AuditEvent.objects.filter(object_type="customer").count()

    pay(customer, manager, "ERP-1", "2026-01-20", "100.00")

    assert oldest_open(customer) is None
    assert AuditEvent.objects.filter(object_type="customer").count() == customer_rows


# --- Payments: idempotent, set-based, who -------------------------------------------------


def rows_for(customers, count, amount="10.00"):
    return [
        PaymentRow(
            customer_id=customers[n % len(customers)].pk,
            reference=f"ERP-{n:05d}",
            received_on=date(2026, 1, 1 + n % 28),
            amount=D(amount),
            source="erp",
        )
        for n in range(count)
    ]


def test_the_same_rows_again_change_nothing(manager, customer):
    rows = rows_for([customer], 3)
    first = services.payments_upsert(rows=rows, by=manager)
    stored = list(Payment.objects.order_by("reference").values())
    audit_rows = AuditEvent.objects.count()

    again = services.payments_upsert(rows=rows, by=manager)

    assert (first.created, first.updated, first.unchanged) == (3, 0, 0)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert list(Payment.objects.order_by("reference").values()) == stored
    assert AuditEvent.objects.count() == audit_rows


def test_a_known_reference_is_updated_not_added(manager, customer):
    services.payments_upsert(rows=rows_for([customer], 2), by=manager)
    changed = PaymentRow(
        customer_id=customer.pk, reference="ERP-00001", received_on=date(2026, 1, 2), amount=D("12.50")
    )

    result = services.payments_upsert(rows=[changed], by=manager)

    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    assert Payment.objects.count() == 2
    assert Payment.objects.get(reference="ERP-00001").amount == D("12.50")


def test_reps_do_not_record_payments(rep, customer):
    with pytest.raises(PermissionDenied):
        services.payments_upsert(rows=rows_for([customer], 1), by=rep)
    assert Payment.objects.count() == 0


def test_a_batch_of_5000_takes_a_bounded_number_of_queries(rep, manager):
    customers = [CustomerFactory(owner=rep) for _ in range(20)]
    for customer in customers:
        make_plan(won_opportunity(customer), rep, ("2026-01-31", "200.00"), ("2026-06-30", "300.00"))
    rows = rows_for(customers, 5000, amount="1.00")  # 250 yuan per customer

    with CaptureQueriesContext(connection) as queries:
        result = services.payments_upsert(rows=rows, by=manager)

    assert result.created == 5000
    # Lock, read, 5 inserts of 1,000, audit labels and 10 inserts of 500, the rebuild's reads
    # and writes: a fixed few, whatever the number of rows.
    assert len(queries) <= 40, [query["sql"][:80] for query in queries]
    assert sorted(set(Installment.objects.values_list("due_on", "applied"))) == [
        (date(2026, 1, 31), D("200.00")),
        (date(2026, 6, 30), D("50.00")),
    ]
    assert set(
        Customer.objects.filter(pk__in=[c.pk for c in customers]).values_list("oldest_open_due_on", flat=True)
    ) == {date(2026, 6, 30)}


def test_a_batch_is_set_based(rep, manager):
    """The query count does not grow with the batch (below 500 rows, the audit trail's batch)."""
    customers = [CustomerFactory(owner=rep) for _ in range(5)]
    counts = []
    for size, offset in ((10, 0), (450, 1000)):
        rows = [
            PaymentRow(
                customer_id=customers[n % 5].pk,
                reference=f"R-{offset + n}",
                received_on=date(2026, 1, 1),
                amount=D("1.00"),
            )
            for n in range(size)
        ]
        with CaptureQueriesContext(connection) as queries:
            services.payments_upsert(rows=rows, by=manager)
        counts.append(len(queries))

    assert counts[0] == counts[1]


# --- The audit trail ------------------------------------------------------------------------


def test_plan_create_and_update_are_in_its_history(rep, manager, won):
    plan = make_plan(won, rep, ("2026-03-31", "60.00"), ("2026-06-30", "40.00"), contract_number="HT-1")

    created = AuditEvent.objects.get(object_type="paymentplan", object_id=plan.pk, action="create")
    assert created.customer_id == won.customer_id
    assert created.changes["contract_number"] == [None, "HT-1"]
    assert created.changes["contract_amount"][1] == "100.00"
    assert created.changes["installments"] == {
        "added": ["2026-03-31: 60.00", "2026-06-30: 40.00"],
        "removed": [],
    }

    services.plan_update(
        plan=plan,
        by=rep,
        installments=[(day("2026-03-31"), D("60.00")), (day("2026-07-31"), D("40.00"))],
        notes="延期一个月",
    )

    updates = AuditEvent.objects.filter(object_type="paymentplan", object_id=plan.pk, action="update")
    changes = {}
    for row in updates:
        changes.update(row.changes)
    assert changes["notes"] == ["", "延期一个月"]
    assert changes["installments"] == {"added": ["2026-07-31: 40.00"], "removed": ["2026-06-30: 40.00"]}


def test_payment_create_update_and_delete_are_in_its_history(manager, customer):
    other = CustomerFactory(owner=customer.owner, name="另一家客户")
    pay(customer, manager, "ERP-9", "2026-01-20", "100.00", notes="首付款")
    payment = Payment.objects.get()

    created = AuditEvent.objects.get(object_type="payment", object_id=payment.pk, action="create")
    assert created.customer_id == customer.pk
    assert created.changes["amount"] == [None, "100.00"]
    assert created.changes["reference"] == [None, "ERP-9"]

    services.payment_update(payment=payment, by=manager, amount=D("120.00"), customer=other)

    updated = AuditEvent.objects.get(object_type="payment", object_id=payment.pk, action="update")
    assert updated.changes["amount"] == ["100.00", "120.00"]
    assert updated.changes["customer"] == [
        {"id": customer.pk, "label": customer.name},
        {"id": other.pk, "label": "另一家客户"},
    ]
    assert updated.customer_id == other.pk

    services.payment_delete(payment=Payment.objects.get(), by=manager)
    assert AuditEvent.objects.filter(object_type="payment", object_id=payment.pk, action="delete").exists()


@pytest.mark.parametrize("amount", ["0.001", "1000000000000.00"])
def test_an_installment_must_fit_its_column(rep, won, amount):
    with pytest.raises(ValidationError) as refused:
        services.plan_create(
            opportunity=won, by=rep, contract_amount=D(amount), installments=[(day("2026-01-31"), D(amount))]
        )

    assert list(refused.value.message_dict) == ["contract_amount", "installments"]
    assert PaymentPlan.objects.count() == 0
