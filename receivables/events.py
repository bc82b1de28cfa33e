"""What payment collection tells other systems (events.types): payments received and
installments fallen overdue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from accounts.events import event_customers
from events.outbox import Announcement, emit_many
from events.types import EventType

from .models import Installment, Payment


def payments_received(payments: Sequence[Payment]) -> None:
    """payment.received for payments just recorded for the first time, in the caller's transaction."""
    if not payments:
        return
    customers = event_customers({payment.customer_id for payment in payments})
    emit_many(
        [
            Announcement(
                EventType.PAYMENT_RECEIVED,
                {
                    "payment_id": payment.pk,
                    "reference": payment.reference,
                    "customer_id": payment.customer_id,
                    "customer_name": customers[payment.customer_id].name,
                    "amount": str(payment.amount),
                    "received_on": payment.received_on.isoformat(),
                    "source": payment.source,
                },
                payment.customer_id,
                customers[payment.customer_id].audience,
            )
            for payment in payments
        ]
    )


def installments_overdue(installments: Sequence[Installment], *, today: date) -> None:
    """installment.overdue for each installment (its plan loaded), in the caller's transaction."""
    customers = event_customers({installment.customer_id for installment in installments})
    emit_many(
        [
            Announcement(
                EventType.INSTALLMENT_OVERDUE,
                {
                    "installment_id": installment.pk,
                    "plan_id": installment.plan_id,
                    "contract_number": installment.plan.contract_number,
                    "opportunity_id": installment.plan.opportunity_id,
                    "customer_id": installment.customer_id,
                    "customer_name": customers[installment.customer_id].name,
                    "due_on": installment.due_on.isoformat(),
                    "amount": str(installment.amount),
                    "open_amount": str(installment.open_amount),
                    "days_overdue": (today - installment.due_on).days,
                },
                installment.customer_id,
                customers[installment.customer_id].audience,
            )
            for installment in installments
        ]
    )
