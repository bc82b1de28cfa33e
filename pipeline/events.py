"""What the pipeline tells other systems (events.types): its opportunities' stage moves."""

from __future__ import annotations

from accounts.events import audience, event_customers
from events.outbox import Announcement, emit_many
from events.types import EventType
from users.models import User

from .models import Opportunity, Stage

CLOSING_EVENTS = {Stage.WON: EventType.OPPORTUNITY_WON, Stage.LOST: EventType.OPPORTUNITY_LOST}


def opportunity_moved(*, opportunity: Opportunity, from_stage: str, by: User, override: bool) -> None:
    """opportunity.stage_changed for a move just written (and .won / .lost for a close), in the
    caller's transaction. The audience: the opportunity's owner, the customer's owner and team."""
    customer = event_customers([opportunity.customer_id], known=[opportunity.customer])[
        opportunity.customer_id
    ]
    owner = opportunity.owner if opportunity.owner_id else None
    data = {
        "opportunity_id": opportunity.pk,
        "title": opportunity.title,
        "customer_id": opportunity.customer_id,
        "customer_name": customer.name,
        "from_stage": from_stage,
        "to_stage": opportunity.stage,
        "amount": str(opportunity.expected_amount),
        "owner_id": opportunity.owner_id,
        "owner_name": owner.display_name if owner else None,
        "by_id": by.pk,
        "by_name": by.display_name,
        "override": override,
        "lost_reason": opportunity.lost_reason if opportunity.stage == Stage.LOST else "",
    }
    concerned = audience(opportunity.owner_id, customer.audience)
    types = [EventType.OPPORTUNITY_STAGE_CHANGED]
    if opportunity.stage in CLOSING_EVENTS:
        types.append(CLOSING_EVENTS[opportunity.stage])
    emit_many([Announcement(type, data, opportunity.customer_id, concerned) for type in types])
