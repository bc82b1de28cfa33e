"""Celery tasks of the scoring engine: thin shells that own only the retry/failure policy."""

import logging
from datetime import timedelta

from celery import Task, current_app, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from web.outage import broker_unreachable

from . import history, selectors, services
from .models import RunStatus, ScoringRun

logger = logging.getLogger(__name__)


class ScoringRunTask(Task):
    """A run whose message cannot reach the broker fails at once.

    Otherwise it would stay "queued" with no message behind it, and as the one run in flight
    it would block every later run. The error still reaches the caller (a request answers 503).
    """

    def apply_async(self, args=None, kwargs=None, **options):
        try:
            return super().apply_async(args, kwargs, **options)
        except Exception as error:
            if not broker_unreachable(error):
                raise
            run_id = args[0] if args else kwargs["run_id"]
            services.run_mark_failed(run_id=run_id, error=f"could not be queued, broker unreachable: {error}")
            raise


@shared_task(
    bind=True,
    base=ScoringRunTask,
    name="scoring.run",
    max_retries=3,
    acks_late=True,
    reject_on_worker_lost=True,
    # The run's row is its result; queueing it needs only the broker, not the result store.
    ignore_result=True,
)
def run_scoring(self, run_id: int) -> int:
    """Score the whole population for run `run_id`. Idempotent: a finished run is left alone.

    The database going away is retried with backoff (the run's writes are one transaction,
    so a failed attempt left nothing half-written); any other error fails the run with its
    message. A killed worker process gets the task redelivered (acks_late +
    reject_on_worker_lost), and the run starts over. A second delivery that ran alongside the
    first fails on the unique snapshot and tier-change rows without writing anything; when the
    first attempt has finished the run meanwhile, that is a success, not a failure.
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
        if ScoringRun.objects.filter(pk=run_id, status=RunStatus.SUCCEEDED).exists():
            logger.info("scoring run %s: finished by another delivery meanwhile (%s)", run_id, error)
            return run_id
        services.run_mark_failed(run_id=run_id, error=f"{type(error).__name__}: {error}")
        raise
    return run_id


def longest_possible_run() -> timedelta:
    """How long after its request a run can still legitimately be in flight.

    A redelivered attempt (its worker died) starts up to a visibility timeout after the first
    and ends within the task time limit; one more time limit covers waiting in the queue.
    """
    conf = current_app.conf
    visibility = (conf.broker_transport_options or {}).get("visibility_timeout", 3600)
    return timedelta(seconds=visibility + 2 * (conf.task_time_limit or 3600))


@shared_task(name="scoring.nightly")
def nightly_scoring() -> int | None:
    """Beat's nightly entry: queue a run for today unless one is already in flight.

    A run still in flight long after any worker could have finished it has lost its message
    (Redis restarted without persistence, say). It is failed so that tonight's run starts,
    instead of it blocking every run from then on.
    """
    in_flight = selectors.run_in_flight()
    if in_flight is not None and in_flight.created_at < timezone.now() - longest_possible_run():
        logger.warning(
            "scoring run %s: in flight since %s, failing it as lost", in_flight.pk, in_flight.created_at
        )
        services.run_mark_failed(run_id=in_flight.pk, error="lost: no worker finished it in time")
    run, created = services.run_request(by=None, trigger="schedule")
    return run.pk if created else None


@shared_task(name="scoring.prune_history")
def prune_history() -> int:
    """Beat's daily entry: drop the snapshots the history rule no longer keeps (scoring.history)."""
    pruned = history.history_prune()
    if pruned.runs:
        logger.info("score history: %s runs pruned, %s snapshots dropped", pruned.runs, pruned.snapshots)
    return pruned.runs
