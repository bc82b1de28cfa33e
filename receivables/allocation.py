"""The allocation of a customer's payments to their installments, pure: rows in, rows out.

DOMAIN.md "Payment collection": payments, in the order they were received (ties: lower id
first), go to the open installments oldest due date first (ties: lower id first); each payment
fills the oldest open installment before the next one, and what no installment takes is the
customer's credit. Credit needs no rule of its own: computed from scratch every time, a new
installment due later simply takes what the earlier payments left over.

No Django import: `services.allocation_rebuild` loads the rows, calls `allocate` once per
customer and writes the result. Amounts are Decimals and stay exact.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class InstallmentDue:
    id: int
    due_on: date
    amount: Decimal


@dataclass(frozen=True)
class PaymentIn:
    id: int
    received_on: date
    amount: Decimal


@dataclass(frozen=True)
class Application:
    payment_id: int
    installment_id: int
    amount: Decimal


@dataclass(frozen=True)
class Allocation:
    """What the payments put on each installment, how, and what is left."""

    applications: list[Application]
    applied: dict[int, Decimal]  # installment id → Σ applied (every installment, 0 included)
    credit: Decimal  # Σ payments − Σ applications
    oldest_open_due_on: date | None  # the earliest due date with money still open
    open_amounts: dict[int, Decimal] = field(default_factory=dict)  # installment id → amount − applied


def allocate(installments: Iterable[InstallmentDue], payments: Iterable[PaymentIn]) -> Allocation:
    """One customer's allocation, oldest due first."""
    schedule: Sequence[InstallmentDue] = sorted(installments, key=lambda row: (row.due_on, row.id))
    received: Sequence[PaymentIn] = sorted(payments, key=lambda row: (row.received_on, row.id))
    open_amounts = {row.id: row.amount for row in schedule}
    applications: list[Application] = []
    credit = ZERO
    position = 0  # the oldest installment that may still be open
    for payment in received:
        left = payment.amount
        while left > 0 and position < len(schedule):
            installment = schedule[position]
            take = min(left, open_amounts[installment.id])
            if take > 0:
                applications.append(Application(payment.id, installment.id, take))
                open_amounts[installment.id] -= take
                left -= take
            if open_amounts[installment.id] == 0:
                position += 1
        credit += left
    oldest = next((row.due_on for row in schedule if open_amounts[row.id] > 0), None)
    return Allocation(
        applications=applications,
        applied={row.id: row.amount - open_amounts[row.id] for row in schedule},
        credit=credit,
        oldest_open_due_on=oldest,
        open_amounts=open_amounts,
    )
