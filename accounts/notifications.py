"""Follow-ups falling due, told to the people who promised them (events.notifications)."""

from datetime import date

from django.db.models import F
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from events.models import NotificationKind
from events.notifications import notify

from .models import Visit


def notify_follow_ups_due(*, day: date | None = None) -> int:
    """A "follow-up due today" notification for each open follow-up set for `day` (today), to
    the rep who logged the visit (the customer's owner when that rep is gone). Once per visit
    and day, however often it runs."""
    day = day or timezone.localdate()
    due = (
        Visit.objects.follow_ups_open()
        .filter(follow_up_on=day)
        .annotate(person_id=Coalesce("by_id", "customer__owner_id"), customer_name=F("customer__name"))
        .values_list("pk", "customer_id", "customer_name", "person_id")
    )
    made = 0
    for visit_id, customer_id, customer_name, person_id in due.iterator():
        if person_id is None:
            continue
        made += notify(
            [person_id],
            kind=NotificationKind.FOLLOW_UP_DUE,
            params={"customer_id": customer_id, "customer_name": customer_name, "visit_id": visit_id},
            url=reverse("accounts:customer-detail", args=[customer_id]),
            object_key=f"visit:{visit_id}",
            day=day,
        )
    return made
