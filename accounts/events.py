"""What the accounts app tells other systems (events.types), and the customer facts every app's
events carry: the customer's name for a bot's message, and who the event concerns (its
`audience`: the customer's owner and account team) for people's notifications."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from events.outbox import Announcement, emit_many
from events.types import EventType

from .models import AccountTeamMember, Customer, Visit


@dataclass(frozen=True)
class EventCustomer:
    name: str
    audience: tuple[int, ...]  # owner first, then the account team by id


def event_customers(
    customer_ids: Iterable[int], *, known: Iterable[Customer] = ()
) -> dict[int, EventCustomer]:
    """Name and audience of each customer, in one query: the account team's, plus the
    customers' own rows for those not passed in `known` (already loaded by the caller)."""
    ids = set(customer_ids)
    if not ids:
        return {}
    rows = {customer.pk: (customer.name, customer.owner_id) for customer in known if customer.pk in ids}
    members: dict[int, list[int]] = {}
    if missing := ids - set(rows):
        for pk, name, owner_id, member_id in Customer.objects.filter(pk__in=missing).values_list(
            "pk", "name", "owner_id", "team_memberships__user_id"
        ):
            rows[pk] = (name, owner_id)
            if member_id is not None:
                members.setdefault(pk, []).append(member_id)
    if known_ids := ids - missing:
        for pk, member_id in AccountTeamMember.objects.filter(customer_id__in=known_ids).values_list(
            "customer_id", "user_id"
        ):
            members.setdefault(pk, []).append(member_id)
    return {
        pk: EventCustomer(name=name, audience=audience(owner_id, members.get(pk, ())))
        for pk, (name, owner_id) in rows.items()
    }


def audience(*user_ids_or_lists) -> tuple[int, ...]:
    """The distinct user ids of ids and lists of ids, in order, without None."""
    seen: dict[int, None] = {}
    for value in user_ids_or_lists:
        for user_id in value if isinstance(value, list | tuple | set | frozenset) else (value,):
            if user_id is not None:
                seen.setdefault(user_id, None)
    return tuple(seen)


def visits_logged(visits: Sequence[Visit]) -> None:
    """visit.logged for each new visit, in the caller's transaction (no notes: see events.types)."""
    customers = event_customers(
        {visit.customer_id for visit in visits}, known={visit.customer for visit in visits}
    )
    emit_many(
        [
            Announcement(
                EventType.VISIT_LOGGED,
                {
                    "visit_id": visit.pk,
                    "customer_id": visit.customer_id,
                    "customer_name": customers[visit.customer_id].name,
                    "kind": visit.kind,
                    "occurred_at": visit.occurred_at.isoformat(),
                    "by_id": visit.by_id,
                    "by_name": visit.by.display_name if visit.by_id else "",
                },
                visit.customer_id,
                customers[visit.customer_id].audience,
            )
            for visit in visits
        ]
    )
