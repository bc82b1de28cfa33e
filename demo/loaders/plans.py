"""Demo account plans (联合生意计划) for key accounts, saved by `account_plan_save`."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from accounts.models import Customer
from pipeline.models import AccountPlan
from pipeline.services import account_plan_save
from users.models import User

from ..pipeline_dataset import DemoPlan


@dataclass(frozen=True)
class PlansLoaded:
    plans: int
    objectives: int
    actions: int


def _month_start(day: date, months: int) -> date:
    """The first of the month `months` after (negative: before) `day`'s month."""
    month = day.year * 12 + day.month - 1 + months
    return date(month // 12, month % 12 + 1, 1)


def plans_load(
    *, plans: Sequence[DemoPlan], customers: Mapping[str, Customer], users: Mapping[str, User], today: date
) -> PlansLoaded:
    """Create the demo account plans that are not there yet, keyed by (customer, title), with
    their objectives and actions; each is written by the plan's author, the customer's owner."""
    specs = [spec for spec in plans if spec.customer in customers]
    have = set(
        AccountPlan.objects.filter(customer__in=[customers[spec.customer] for spec in specs]).values_list(
            "customer_id", "title"
        )
    )
    created = objectives = actions = 0
    for spec in specs:
        customer = customers[spec.customer]
        if (customer.pk, spec.title) in have:
            continue
        start = _month_start(today, -spec.months_back)
        account_plan_save(
            plan=AccountPlan(
                customer=customer,
                title=spec.title,
                period_start=start,
                period_end=_month_start(start, spec.months) - timedelta(days=1),
                step=spec.step,
                summary=spec.summary,
            ),
            by=users[spec.owner],
            objectives=[
                {"description": row.description, "target": row.target, "actual": row.actual, "unit": row.unit}
                for row in spec.objectives
            ],
            actions=[
                {
                    "description": row.description,
                    "owner": users[row.owner],
                    "due_on": start + timedelta(days=row.due_in),
                    "status": row.status,
                }
                for row in spec.actions
            ],
        )
        created += 1
        objectives += len(spec.objectives)
        actions += len(spec.actions)
    return PlansLoaded(plans=created, objectives=objectives, actions=actions)
