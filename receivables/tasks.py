"""Celery tasks of payment collection: thin shells that own only the retry/failure policy."""

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="receivables.announce_overdue", ignore_result=True)
def announce_overdue_installments() -> int:
    """Beat's daily entry: installment.overdue for what fell overdue since the last run.

    Idempotent (services.installments_announce_overdue), so a run repeated, redelivered or
    started by hand announces nothing twice; a run that dies part-way leaves its committed
    batches announced and the rest for the next run. No retries: tomorrow's run catches up.
    """
    return services.installments_announce_overdue(today=timezone.localdate())
