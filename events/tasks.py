"""Celery tasks of the outbox: fan-out, sending, and the periodic sweep.

Every task is idempotent and safe to run twice (the sweep and a late redelivery may both queue
the same work): the fan-out skips events already dispatched, a send claims its delivery first.
Tasks go to settings.KAM_EVENTS_QUEUE (Celery's default queue when unset).
"""

from celery import shared_task
from django.conf import settings


def _options(**options) -> dict:
    if settings.KAM_EVENTS_QUEUE:
        options["queue"] = settings.KAM_EVENTS_QUEUE
    return options


def queue_dispatch(event_ids: list) -> None:
    dispatch_events.apply_async(args=[[str(pk) for pk in event_ids]], **_options())


# A retry further off than this is left to the sweep rather than held by the broker as an ETA
# task (Redis would redeliver a long-held unacknowledged task after its visibility timeout).
COUNTDOWN_MAX = 300


def queue_send(delivery_id, *, countdown: float | None = None) -> None:
    """Queue one attempt of the delivery; a retry due later than COUNTDOWN_MAX is left to the sweep."""
    if countdown and countdown > COUNTDOWN_MAX:
        return
    send_delivery.apply_async(args=[str(delivery_id)], **_options(countdown=countdown or None))


@shared_task(name="events.dispatch_events", ignore_result=True)
def dispatch_events(event_ids: list[str]) -> None:
    """Fan the events out into deliveries and notifications, then send the deliveries."""
    from .dispatch import dispatch  # noqa: PLC0415

    dispatch(event_ids=event_ids)


@shared_task(name="events.send_delivery", ignore_result=True)
def send_delivery(delivery_id: str) -> None:
    """One attempt of one delivery (a no-op when it is not due, taken or finished)."""
    from .delivery import attempt  # noqa: PLC0415

    attempt(delivery_id)


@shared_task(name="events.sweep", ignore_result=True)
def sweep() -> None:
    """Every minute (CELERY_BEAT_SCHEDULE): what a dead worker or a lost message left behind."""
    from .dispatch import sweep as run_sweep  # noqa: PLC0415

    run_sweep()
