"""The demo's service levels in action (issue 14): account reviews with agreed actions, saved by
`review_create`, and the visits and executive meetings, logged by `visits_log`, that put every
tier's accounts in every coverage state: on track, due and overdue.

Run after the seed's scoring run, because a customer's policy is its tier's. Each customer gets a
target state, drawn from a `random.Random` seeded with the customer's name, so the same customer
gets the same target whatever else changed; then what it lacks for that state is written:

- on track: an in-person visit (and an executive meeting where the tier asks for one) within the
  cadence less the 7-day window when the last is older, and a review well within its cadence;
- due: nothing overdue, and the review (for lead, which has none: the visit) inside the window;
- overdue: nothing new, or (half of them) a review older than its cadence ("overdue by N days").

A customer with any account review, or with a visit this loader logs (its summaries are
SERVICE_VISIT_SUMMARY and EXECUTIVE_SUMMARY), is taken as loaded and left as it is.
"""

import random
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Max
from django.utils import timezone

from accounts.models import BuyingRole, Contact, Customer, Tier, Visit, VisitKind
from accounts.services import VisitRow, visits_log
from servicing.coverage import IN_PERSON_KINDS, Coverage, policy_of, policy_table, requirement_status
from servicing.models import AccountReview, ReviewAction
from servicing.services import ActionRow, review_action_done, review_create
from users.models import User

from ..servicing_dataset import (
    EXECUTIVE_SUMMARY,
    REVIEW_ACTIONS,
    REVIEW_POTENTIAL,
    REVIEW_PROBLEMS,
    REVIEW_SUMMARIES,
    SEED,
    SERVICE_VISIT_SUMMARY,
)

TARGETS = {Coverage.ON_TRACK: 55, Coverage.DUE: 20, Coverage.OVERDUE: 25}
DEMO_REP = "rep1"  # whose My day must show an overdue and a due account, and actions


@dataclass
class ServicingLoaded:
    reviews: int = 0
    actions: int = 0
    actions_done: int = 0
    visits: int = 0
    executive_meetings: int = 0
    targets: dict[str, dict[str, int]] = field(default_factory=dict)  # tier → target → customers


def _rng(customer: Customer) -> random.Random:
    return random.Random(f"{SEED}:{customer.name_normalised}")


def _targets(ordered: list[Customer], policies) -> dict[int, Coverage]:
    """Every customer's target state (for all, loaded or not, so that the choice never depends
    on what an earlier run wrote), with each state present in every tier that has three
    customers or more, and the demo rep owning a due and an overdue key account."""
    targets: dict[int, Coverage] = {}
    by_tier: dict[str, list[Customer]] = defaultdict(list)
    for customer in ordered:
        by_tier[policy_of(policies, customer.tier).tier].append(customer)
        targets[customer.pk] = _rng(customer).choices(list(TARGETS), weights=list(TARGETS.values()))[0]
    for members in by_tier.values():
        for index, state in enumerate((Coverage.ON_TRACK, Coverage.DUE, Coverage.OVERDUE)):
            if len(members) >= 3 and state not in {targets[c.pk] for c in members}:
                targets[members[index].pk] = state
    key_accounts = [
        c
        for c in ordered
        if c.owner_id and c.owner.username == DEMO_REP and c.tier in (Tier.PLATINUM, Tier.GOLD)
    ]
    for state, index in ((Coverage.DUE, 0), (Coverage.OVERDUE, -1)):
        if key_accounts and state not in {targets[c.pk] for c in key_accounts}:
            targets[key_accounts[index].pk] = state
    return targets


def _local_days(rows) -> dict[int, date]:
    return {row["customer_id"]: timezone.localtime(row["last"]).date() for row in rows}


def servicing_load(
    *, customers: Mapping[str, Customer], users: Mapping[str, User], today: date
) -> ServicingLoaded:
    """Write what the demo customers (the mapping's order is the dataset's) lack for their
    target coverage state; see the module's docstring."""
    tz = timezone.get_current_timezone()
    policies = policy_table()
    ids = [customer.pk for customer in customers.values()]
    ordered = list(Customer.objects.filter(pk__in=ids).select_related("owner"))
    position = {pk: index for index, pk in enumerate(ids)}
    ordered.sort(key=lambda customer: position[customer.pk])
    targets = _targets(ordered, policies)

    loaded = set(AccountReview.objects.filter(customer_id__in=ids).values_list("customer_id", flat=True))
    loaded |= set(
        Visit.objects.filter(customer_id__in=ids, summary__in=[SERVICE_VISIT_SUMMARY, EXECUTIVE_SUMMARY])
        .values_list("customer_id", flat=True)
        .distinct()
    )
    before_tomorrow = datetime.combine(today + timedelta(days=1), time.min, tzinfo=tz)
    visits = Visit.objects.filter(customer_id__in=ids, occurred_at__lt=before_tomorrow).order_by()
    last_visit = _local_days(
        visits.filter(kind__in=IN_PERSON_KINDS).values("customer_id").annotate(last=Max("occurred_at"))
    )
    last_executive = _local_days(
        visits.filter(kind=VisitKind.EXECUTIVE).values("customer_id").annotate(last=Max("occurred_at"))
    )
    contacts: dict[int, list[Contact]] = defaultdict(list)
    for contact in Contact.objects.filter(customer_id__in=ids).order_by("id"):
        contacts[contact.customer_id].append(contact)

    result = ServicingLoaded()
    visit_rows: list[VisitRow] = []
    pinned = False  # the demo rep's first recent review gets actions overdue and due this week
    for customer in ordered:
        tier = policy_of(policies, customer.tier).tier
        target = targets[customer.pk]
        counts = result.targets.setdefault(tier, {})
        counts[target] = counts.get(target, 0) + 1
        if customer.pk in loaded:
            continue
        rng = _rng(customer)
        rng.random()  # the draw of the target
        policy = policy_of(policies, customer.tier)
        by = customer.owner or users["manager"]
        people = contacts[customer.pk]
        decision_maker = next((c for c in people if c.buying_role == BuyingRole.DECISION_MAKER), None)

        def log(
            days_ago: int,
            kind: str,
            customer=customer,
            by=by,
            people=people,
            decision_maker=decision_maker,
            rng=rng,
        ):
            when = datetime.combine(today - timedelta(days=days_ago), time(rng.randint(9, 16), 0), tzinfo=tz)
            present = [decision_maker] if kind == VisitKind.EXECUTIVE and decision_maker else people[:1]
            visit_rows.append(
                VisitRow(
                    customer=customer,
                    by=by,
                    occurred_at=when,
                    kind=kind,
                    contacts=present,
                    summary=EXECUTIVE_SUMMARY if kind == VisitKind.EXECUTIVE else SERVICE_VISIT_SUMMARY,
                    next_step=rng.choice(REVIEW_ACTIONS),
                )
            )

        def status(last: date | None, cadence: int) -> Coverage:
            return requirement_status(last=last, cadence=cadence, today=today)

        def lacking(last: date | None, cadence: int, target=target) -> bool:
            """Whether the target state needs one more of a requirement."""
            current = status(last, cadence)
            return current == Coverage.OVERDUE or (
                target == Coverage.ON_TRACK and current != Coverage.ON_TRACK
            )

        visit_last, executive_last = last_visit.get(customer.pk), last_executive.get(customer.pk)
        if target != Coverage.OVERDUE:
            # Executive meeting first: it is an in-person visit too.
            cadence = policy.executive_days
            if cadence and lacking(executive_last, cadence):
                days = rng.randint(1, cadence - 8)
                log(days, VisitKind.EXECUTIVE)
                result.executive_meetings += 1
                executive_last = today - timedelta(days=days)
                visit_last = max(visit_last or executive_last, executive_last)
            cadence = policy.visit_days
            if cadence:
                if (
                    target == Coverage.DUE
                    and not policy.review_days
                    and status(visit_last, cadence) == Coverage.OVERDUE
                ):
                    log(rng.randint(cadence - 6, cadence), VisitKind.VISIT)  # lead: the visit is what is due
                    result.visits += 1
                elif lacking(visit_last, cadence):
                    log(rng.randint(1, cadence - 8), VisitKind.VISIT)
                    result.visits += 1
        cadence = policy.review_days
        if not cadence:
            continue
        if target == Coverage.ON_TRACK:
            days_ago = rng.randint(7, cadence - 8)
        elif target == Coverage.DUE:
            days_ago = rng.randint(cadence - 6, cadence)
        elif rng.random() < 0.5:
            days_ago = cadence + rng.randint(5, 60)
        else:
            continue  # overdue: no review on record
        if not pinned and by.username == DEMO_REP and target == Coverage.ON_TRACK:
            days_ago, pinned = 10, True
            dues = [today - timedelta(days=3), today + timedelta(days=2), today + timedelta(days=21)]
        else:
            dues = [
                _due_on(rng, today=today, reviewed_on=today - timedelta(days=days_ago))
                for _ in range(rng.randint(1, 3))
            ]
        reviewed_on = today - timedelta(days=days_ago)
        review = review_create(
            customer=customer,
            by=by,
            reviewed_on=reviewed_on,
            period_start=reviewed_on - timedelta(days=min(cadence, 180)),
            period_end=reviewed_on - timedelta(days=1),
            potential=rng.choice(REVIEW_POTENTIAL),
            problems=rng.choice(REVIEW_PROBLEMS),
            relationship_health=rng.randint(2, 5),
            summary=rng.choice(REVIEW_SUMMARIES),
            actions=[
                ActionRow(description=description, owner=by, due_on=due_on)
                for description, due_on in zip(rng.sample(REVIEW_ACTIONS, len(dues)), dues, strict=True)
            ],
        )
        result.reviews += 1
        result.actions += len(dues)
        # Actions of a review long past were mostly done, about when they were due.
        for action in review.actions.all():
            if action.due_on < today - timedelta(days=7) and rng.random() < 0.92:
                review_action_done(action=action, by=by)
                ReviewAction.objects.filter(pk=action.pk).update(
                    done_at=datetime.combine(action.due_on, time(17, 30), tzinfo=tz)
                )
                result.actions_done += 1
    visits_log(visits=visit_rows)
    return result


def _due_on(rng: random.Random, *, today: date, reviewed_on: date) -> date:
    """An action's due date: soon after the review; for a recent review, some already overdue,
    some this week, some later."""
    if (today - reviewed_on).days > 45:
        return reviewed_on + timedelta(days=rng.randint(7, 30))
    kind = rng.choices(["overdue", "week", "later"], weights=[25, 35, 40])[0]
    if kind == "overdue" and (today - reviewed_on).days >= 2:
        return today - timedelta(days=rng.randint(1, min(5, (today - reviewed_on).days)))
    if kind == "week":
        return today + timedelta(days=rng.randint(0, 6))
    return today + timedelta(days=rng.randint(10, 45))


def servicing_summary(*, today: date) -> dict:
    """Coverage per tier of all customers, and what the demo rep's My day shows, for the report."""
    from servicing.coverage import coverage_summary, my_day

    policies = policy_table()
    summary = coverage_summary(Customer.objects.all(), today=today, policies=policies)
    rep = User.objects.filter(username=DEMO_REP).first()
    day = my_day(user=rep, today=today, limit=1000) if rep else None
    return {
        "by_tier": summary.by_tier,
        "reviews": AccountReview.objects.count(),
        "actions": ReviewAction.objects.count(),
        "rep_overdue": sum(1 for row in day.accounts_due if row.status == Coverage.OVERDUE) if day else 0,
        "rep_due": sum(1 for row in day.accounts_due if row.status == Coverage.DUE) if day else 0,
        "rep_actions": len(day.actions_due) if day else 0,
    }
