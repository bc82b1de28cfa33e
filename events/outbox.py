"""Recording events in the change's own transaction: the one entry point for every app.

    from events.outbox import emit
    emit(EventType.VISIT_LOGGED, data={...}, customer_id=visit.customer_id, audience=[owner_id])

`emit` and `emit_many` must run inside the transaction that makes the change (they insert the
Event rows there); dispatching is queued with `transaction.on_commit`, so a rolled-back change
announces nothing. `emit_many` writes a batch (a scoring run's tier changes) with one insert.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import transaction

from .models import Event
from .types import EventType


@dataclass(frozen=True)
class Announcement:
    type: EventType | str
    data: dict
    customer_id: int | None = None
    audience: Sequence[int] = field(default_factory=tuple)


def emit(
    type: EventType | str, *, data: dict, customer_id: int | None = None, audience: Iterable[int] = ()
) -> Event:
    return emit_many([Announcement(type, data, customer_id, tuple(audience))])[0]


def emit_many(announcements: Sequence[Announcement], *, batch_size: int = 2000) -> list[Event]:
    events = [
        Event(type=str(a.type), data=a.data, customer_id=a.customer_id, audience=list(a.audience))
        for a in announcements
    ]
    if not events:
        return []
    Event.objects.bulk_create(events, batch_size=batch_size)
    ids = [event.pk for event in events]
    transaction.on_commit(lambda: _dispatch_later(ids))
    return events


def emitted(event_ids: Sequence) -> None:
    """For events the caller inserted with its own set-based SQL (scoring's INSERT … SELECT of a
    run's tier changes, `RETURNING id`), in its transaction: queue their dispatch after the
    commit, as `emit_many` does."""
    ids = list(event_ids)
    if ids:
        transaction.on_commit(lambda: _dispatch_later(ids))


# Events per dispatch task: a scoring run's tens of thousands of tier changes become many
# small messages, each fanned out by whichever worker is free.
DISPATCH_CHUNK = 1000


def _dispatch_later(event_ids: list) -> None:
    """After the commit: hand the new events to the dispatcher (a Celery task). If the broker is
    down or the process dies here, the periodic sweep finds them undispatched."""
    from .tasks import queue_dispatch  # noqa: PLC0415 - tasks import Celery; keep emit light

    try:
        for start in range(0, len(event_ids), DISPATCH_CHUNK):
            queue_dispatch(event_ids[start : start + DISPATCH_CHUNK])
    except Exception:  # noqa: BLE001 - the sweep re-queues; the change itself has committed
        import logging

        logging.getLogger(__name__).warning("events: could not queue dispatch; the sweep will", exc_info=True)
