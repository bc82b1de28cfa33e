"""Celery tasks of the scoring engine: thin shells that own only the retry/failure policy."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from . import services

logger = logging.getLogger(__name__)


@shared_task(bind=True, name="scoring.run", max_retries=3, acks_late=True, reject_on_worker_lost=True)
def run_scoring(self, run_id: int) -> int:
    """Score the whole population for run `run_id`. Idempotent: a finished run is left alone.

    The database going away is retried with backoff (the run's writes are one transaction,
    so a failed attempt left nothing half-written); any other error fails the run with its
    message. A killed worker process gets the task redelivered (acks_late +
    reject_on_worker_lost), and the run starts over.
    """
    try:
        services.run_execute(run_id=run_id)
    except (OperationalError, InterfaceError) as error:
        if self.request.retries < self.max_retries:
            logger.warning("scoring run %s: database unavailable, retrying: %s", run_id, error)
            raise self.retry(exc=error, countdown=15 * 2**self.request.retries) from error
        services.run_mark_failed(run_id=run_id, error=f"database unavailable: {error}")
        raise
    except SoftTimeLimitExceeded:
        services.run_mark_failed(run_id=run_id, error="time limit exceeded")
        raise
    except Exception as error:
        services.run_mark_failed(run_id=run_id, error=f"{type(error).__name__}: {error}")
        raise
    return run_id


@shared_task(name="scoring.nightly")
def nightly_scoring() -> int | None:
    """Beat's nightly entry: queue a run for today unless one is already in flight."""
    run, created = services.run_request(by=None, trigger="schedule")
    return run.pk if created else None
