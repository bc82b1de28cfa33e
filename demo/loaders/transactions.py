"""Demo transactions, three years of ERP rows, written by `transactions_upsert` as an ERP push is."""

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from accounts.models import Customer, Transaction
from accounts.services import TransactionRow, UpsertResult, transactions_upsert

from ..dataset import REFERENCE_PREFIX, DemoTransaction


def transactions_load(
    *, transactions: Sequence[DemoTransaction], customers: Mapping[str, Customer], today: date
) -> UpsertResult:
    """Write the demo transactions, keyed by reference, dated as many days before `today` as
    the dataset says: a new reference is created, a known one whose row differs (on a later day,
    its date) is updated, and one that is already as it should be is not sent at all."""
    current = {
        reference: tuple(values)
        for reference, *values in Transaction.objects.filter(
            reference__startswith=REFERENCE_PREFIX
        ).values_list("reference", "customer_id", "occurred_on", "amount", "margin", "description")
    }
    rows = [
        TransactionRow(
            customer_id=customers[spec.customer].pk,
            reference=spec.reference,
            occurred_on=today - timedelta(days=spec.days_ago),
            amount=spec.amount,
            margin=spec.margin,
            description=spec.description,
        )
        for spec in transactions
    ]
    return transactions_upsert(
        rows=[
            row
            for row in rows
            if current.get(row.reference)
            != (row.customer_id, row.occurred_on, row.amount, row.margin, row.description)
        ]
    )
