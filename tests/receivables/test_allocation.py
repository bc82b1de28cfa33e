"""The allocation rule (receivables/allocation.py), pure and hand-worked: payments in the order
received fill the open installments oldest due first (ties: lower id first); what is left is
credit, and credit goes to whatever installment comes due later."""

from datetime import date
from decimal import Decimal as D

from receivables.allocation import Application, InstallmentDue, PaymentIn, allocate


def inst(pk, due, amount):
    return InstallmentDue(pk, date.fromisoformat(due), D(amount))


def pay(pk, received, amount):
    return PaymentIn(pk, date.fromisoformat(received), D(amount))


def test_nothing_paid_leaves_everything_open():
    result = allocate([inst(1, "2026-03-31", "100.00")], [])

    assert result.applications == []
    assert result.applied == {1: D("0.00")}
    assert result.credit == D("0.00")
    assert result.oldest_open_due_on == date(2026, 3, 31)


def test_a_payment_fills_the_oldest_due_first_whatever_the_order_given():
    installments = [inst(2, "2026-06-30", "500.00"), inst(1, "2026-03-31", "300.00")]

    result = allocate(installments, [pay(10, "2026-04-05", "400.00")])

    # 300 clears the March installment, the other 100 goes to June.
    assert result.applications == [Application(10, 1, D("300.00")), Application(10, 2, D("100.00"))]
    assert result.applied == {1: D("300.00"), 2: D("100.00")}
    assert result.open_amounts == {1: D("0.00"), 2: D("400.00")}
    assert result.oldest_open_due_on == date(2026, 6, 30)
    assert result.credit == D("0.00")


def test_same_due_date_the_lower_id_first():
    installments = [inst(8, "2026-03-31", "100.00"), inst(7, "2026-03-31", "100.00")]

    result = allocate(installments, [pay(1, "2026-03-01", "150.00")])

    assert result.applied == {7: D("100.00"), 8: D("50.00")}


def test_payments_in_the_order_received_ties_by_id():
    installments = [inst(1, "2026-01-31", "100.00"), inst(2, "2026-02-28", "100.00")]
    payments = [pay(6, "2026-02-01", "120.00"), pay(5, "2026-02-01", "50.00"), pay(4, "2026-01-15", "10.00")]

    result = allocate(installments, payments)

    # 4 (Jan 15): 10 → #1; 5 (Feb 1, lower id): 50 → #1; 6: 40 → #1, 80 → #2.
    assert result.applications == [
        Application(4, 1, D("10.00")),
        Application(5, 1, D("50.00")),
        Application(6, 1, D("40.00")),
        Application(6, 2, D("80.00")),
    ]
    assert result.applied == {1: D("100.00"), 2: D("80.00")}
    assert result.oldest_open_due_on == date(2026, 2, 28)


def test_partial_payments_add_up_on_one_installment():
    result = allocate(
        [inst(1, "2026-01-31", "1000.00")],
        [pay(1, "2026-01-10", "333.33"), pay(2, "2026-01-20", "333.33"), pay(3, "2026-01-30", "333.33")],
    )

    assert result.applied == {1: D("999.99")}
    assert result.open_amounts == {1: D("0.01")}
    assert result.oldest_open_due_on == date(2026, 1, 31)


def test_an_overpayment_is_credit():
    result = allocate([inst(1, "2026-01-31", "100.00")], [pay(1, "2026-01-05", "250.50")])

    assert result.applied == {1: D("100.00")}
    assert result.credit == D("150.50")
    assert result.oldest_open_due_on is None


def test_credit_goes_to_an_installment_added_later():
    first = allocate([inst(1, "2026-01-31", "100.00")], [pay(1, "2026-01-05", "250.00")])
    assert first.credit == D("150.00")

    # A second plan's installment due later: the rebuild applies the credit to it.
    again = allocate(
        [inst(1, "2026-01-31", "100.00"), inst(2, "2026-09-30", "200.00")], [pay(1, "2026-01-05", "250.00")]
    )

    assert again.applications == [Application(1, 1, D("100.00")), Application(1, 2, D("150.00"))]
    assert again.credit == D("0.00")
    assert again.open_amounts[2] == D("50.00")


def test_a_payment_with_no_installments_is_all_credit():
    result = allocate([], [pay(1, "2026-01-05", "99.99")])

    assert result.applications == []
    assert result.credit == D("99.99")
    assert result.oldest_open_due_on is None


def test_everything_is_exact_over_many_small_payments():
    installments = [inst(1, "2026-01-31", "0.30")]
    payments = [pay(n, "2026-01-01", "0.10") for n in range(1, 4)]

    result = allocate(installments, payments)

    assert result.applied == {1: D("0.30")}
    assert result.credit == D("0.00")
    assert result.oldest_open_due_on is None
