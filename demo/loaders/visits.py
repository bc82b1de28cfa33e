"""Demo visits, calls and meetings of the last half year, logged by `visits_log`."""

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from accounts.models import Contact, Customer, Visit
from accounts.services import VisitRow, follow_up_mark_done, visits_log
from users.models import User

from ..dataset import DemoVisit


def visits_load(
    *, visits: Sequence[DemoVisit], customers: Mapping[str, Customer], users: Mapping[str, User], today: date
) -> int:
    """Log the demo visits of the demo customers that have none yet; how many were logged.

    Visits have no natural key, so a customer with any visit at all is taken as loaded. A
    follow-up the dataset marks done is ticked off with `follow_up_mark_done`, which stamps
    "now" and cannot back-date; the tick is then moved to 17:30 on the day it was due.
    """
    tz = timezone.get_current_timezone()
    ids = [customer.pk for customer in customers.values()]
    visited = set(Visit.objects.filter(customer_id__in=ids).values_list("customer_id", flat=True).distinct())
    contacts = {
        (contact.customer_id, contact.name): contact
        for contact in Contact.objects.filter(customer_id__in=ids)
    }
    specs = [spec for spec in visits if customers[spec.customer].pk not in visited]
    logged = visits_log(
        visits=[
            VisitRow(
                customer=customers[spec.customer],
                by=users[spec.by],
                occurred_at=datetime.combine(today - timedelta(days=spec.days_ago), spec.at, tzinfo=tz),
                kind=spec.kind,
                contacts=[contacts[(customers[spec.customer].pk, name)] for name in spec.contacts],
                summary=spec.summary,
                needs=spec.needs,
                objections=spec.objections,
                next_step=spec.next_step,
                follow_up_on=today + timedelta(days=spec.follow_up_in)
                if spec.follow_up_in is not None
                else None,
            )
            for spec in specs
        ]
    )
    done = []
    for spec, visit in zip(specs, logged, strict=True):
        if spec.follow_up_done:
            follow_up_mark_done(visit=visit, by=users[spec.by])
            visit.follow_up_done_at = datetime.combine(visit.follow_up_on, time(17, 30), tzinfo=tz)
            done.append(visit)
    Visit.objects.bulk_update(done, ["follow_up_done_at"], batch_size=500)
    return len(logged)
