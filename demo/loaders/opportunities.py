"""Demo opportunities, created by `opportunity_create`, with the history of how they got where they are.

Each one is created by its owner through `opportunity_create`. Its moves since then happened
on the dataset's dates (days before today), and no service can back-date a move or a tick:
`opportunity_move` and `gate_check_set` stamp "now" and judge today's gate. So the history
is written here as those services would have written it on those dates: a StageChange for
every step from target to where it is now, with `days_in_stage` from those dates; a tick for
each hand-checked gate item of every stage it left; the gate's data-backed items judged by
the service's own `gate_status` over the customer's data, and any it finds unmet recorded as
the manager's override with a reason, as `opportunity_move` would demand. A won deal's
closing gate gets the executive meeting and the site visit it asks for from `visit_log`.

Keyed by (customer, title): one that exists already is left alone, so a second run adds nothing.
"""

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import BuyingRole, Customer, VisitKind
from accounts.services import visit_log
from pipeline.models import OPEN_STAGES, GateCheck, GateRule, Opportunity, Stage, StageChange, StageGateItem
from pipeline.services import gate_status, opportunity_create
from users.models import User

from ..pipeline_dataset import DemoOpportunity

OVERRIDE_REASONS = [
    "客户年底前必须定标，经理批准先推进，材料后补",
    "客户总经理直接推动，缺的记录随后补齐",
    "战略客户，经理决定跳过关口加快推进",
    "竞争对手已入场，需抢时间进入下一阶段",
]
# kind, the gate rule it meets, summary, next step
CLOSING_VISITS = [
    (
        VisitKind.EXECUTIVE,
        GateRule.EXECUTIVE_MEETING,
        "高层拜访：双方总经理会面，确认合作意向和年度采购规模",
        "准备合同文本",
    ),
    (VisitKind.SITE_VISIT, GateRule.SITE_VISIT, "客户来我司考察验厂，质量与生产部门陪同", "提交整改回复"),
]


@dataclass(frozen=True)
class OpportunitiesLoaded:
    opportunities: int
    stage_changes: int
    overrides: int
    gate_checks: int
    visits: int


@dataclass(frozen=True)
class _History:
    """What one opportunity went through, ready to write."""

    opportunity: Opportunity  # its fields set to where the moves took it, on the dataset's dates
    changes: list[StageChange]  # its moves (the first stage change is opportunity_create's)
    checks: list[GateCheck]
    visits: int


class _Historian:
    def __init__(self, *, seed: int, now: datetime, manager: User):
        # The same draws in the same order as ever, so the demo's history is the same too.
        self.rng = random.Random(seed + 2)
        self.now = now
        self.today = timezone.localdate(now)
        self.tz = timezone.get_current_timezone()
        self.manager = manager
        items = StageGateItem.objects.filter(is_active=True, rule="").order_by("stage", "position", "id")
        self.manual = {stage: [item for item in items if item.stage == stage] for stage in OPEN_STAGES}

    def moment(self, days_ago: int, minute: int) -> datetime:
        return datetime.combine(
            self.today - timedelta(days=days_ago), time(minute // 60, minute % 60), tzinfo=self.tz
        )

    def between(self, start: datetime, end: datetime) -> datetime:
        return start + (end - start) * self.rng.uniform(0.2, 0.9)

    def history(self, spec: DemoOpportunity, customer: Customer, owner: User) -> _History:
        rng = self.rng
        moments = [self.moment(*at) for at in spec.moves_at]
        # The owner's own estimate, if any; otherwise the stage's default, as after every move.
        estimate = {"probability": spec.probability} if spec.probability_overridden else {}
        opportunity = opportunity_create(
            customer=customer,
            by=owner,
            title=spec.title,
            expected_amount=spec.expected_amount,
            expected_close_on=self.today + timedelta(days=spec.close_in),
            obstacles=spec.obstacles,
            expected_cost=spec.expected_cost,
            development_plan=spec.development_plan,
            **estimate,
        )
        changes, checks, visits = [], [], 0
        path = spec.path
        for index, (left, to) in enumerate(zip(path, path[1:], strict=False)):
            entered, moved = moments[index], moments[index + 1]
            unmet = []
            if to != Stage.LOST:  # losing needs no gate
                checks += [
                    GateCheck(
                        opportunity=opportunity,
                        item=item,
                        checked_by=owner,
                        checked_at=self.between(entered, moved),
                    )
                    for item in self.manual[left]
                ]
                if to == Stage.WON:
                    visits += self.log_closing_visits(opportunity, owner, entered, moved)
                # Every hand-checked item is ticked above: what is left unmet is the data's.
                unmet = [
                    item
                    for item in gate_status(opportunity=opportunity, stage=left)
                    if item.rule and not item.met
                ]
            changes.append(
                StageChange(
                    opportunity=opportunity,
                    from_stage=left,
                    to_stage=to,
                    by=self.manager if unmet else owner,
                    at=moved,
                    override_reason=rng.choice(OVERRIDE_REASONS) if unmet else "",
                    unmet_items=[item.label for item in unmet],
                    days_in_stage=Decimal(str(round((moved - entered).total_seconds() / 86400, 2))),
                )
            )
        if spec.stage in OPEN_STAGES:  # some of the current stage's hand-checked items ticked already
            checks += [
                GateCheck(
                    opportunity=opportunity,
                    item=item,
                    checked_by=owner,
                    checked_at=self.between(moments[-1], self.now),
                )
                for item in self.manual[spec.stage]
                if rng.random() < 0.4
            ]
        # Where the moves took it, as opportunity_move leaves an opportunity (the dataset lets
        # only customers win, so no prospect becomes a customer here).
        opportunity.stage = spec.stage
        opportunity.probability = spec.probability
        opportunity.lost_reason = spec.lost_reason
        opportunity.created_at = moments[0]
        opportunity.stage_entered_at = opportunity.updated_at = moments[-1]
        opportunity.closed_at = moments[-1] if spec.stage in (Stage.WON, Stage.LOST) else None
        return _History(opportunity, changes, checks, visits)

    def log_closing_visits(
        self, opportunity: Opportunity, owner: User, entered: datetime, moved: datetime
    ) -> int:
        """The closing gate's executive meeting and site visit, unless the customer's visits
        meet them already (for another deal, say); with its latest decision maker present."""
        met = {item.rule for item in gate_status(opportunity=opportunity, stage=Stage.CLOSING) if item.met}
        customer = opportunity.customer
        decision_maker = (
            customer.contacts.filter(buying_role=BuyingRole.DECISION_MAKER).order_by("-id").first()
        )
        logged = 0
        for kind, rule, summary, next_step in CLOSING_VISITS:
            if rule in met:
                continue
            visit_log(
                customer=customer,
                by=owner,
                occurred_at=self.between(entered, moved),
                kind=kind,
                contacts=[decision_maker] if decision_maker else [],
                summary=summary,
                next_step=next_step,
            )
            logged += 1
        return logged


def _write(histories: Sequence[_History]) -> None:
    """The moves and ticks in bulk, and the opportunities and their first stage change moved to
    the dataset's dates (bulk updates set exactly the values given, auto_now fields included)."""
    opportunities = [history.opportunity for history in histories]
    created = {opportunity.pk: opportunity.created_at for opportunity in opportunities}
    first = list(StageChange.objects.filter(opportunity__in=opportunities))  # opportunity_create's
    for change in first:
        change.at = created[change.opportunity_id]
    StageChange.objects.bulk_update(first, ["at"], batch_size=1000)
    StageChange.objects.bulk_create([c for history in histories for c in history.changes], batch_size=1000)
    checks = [check for history in histories for check in history.checks]
    checked_at = [check.checked_at for check in checks]
    GateCheck.objects.bulk_create(checks, batch_size=1000)  # stamps "now" on checked_at (auto_now_add)
    for check, at in zip(checks, checked_at, strict=True):
        check.checked_at = at
    GateCheck.objects.bulk_update(checks, ["checked_at"], batch_size=1000)
    Opportunity.objects.bulk_update(
        opportunities,
        ["stage", "probability", "lost_reason", "created_at", "stage_entered_at", "updated_at", "closed_at"],
        batch_size=500,
    )


def opportunities_load(
    *,
    opportunities: Sequence[DemoOpportunity],
    customers: Mapping[str, Customer],
    users: Mapping[str, User],
    now: datetime,
    seed: int,
) -> OpportunitiesLoaded:
    """Create the demo opportunities that are not there yet, with their history (see the module
    docstring). Needs the demo users, the manager among them, and the demo customers."""
    have = set(
        Opportunity.objects.filter(customer__in=list(customers.values())).values_list("customer_id", "title")
    )
    specs = [
        spec
        for spec in opportunities
        if spec.customer in customers and (customers[spec.customer].pk, spec.title) not in have
    ]
    historian = _Historian(seed=seed, now=now, manager=users["manager"])
    by_pk = {user.pk: user for user in users.values()}
    histories = []
    for spec in specs:
        customer = customers[spec.customer]
        # The customer's owner works its deals (whoever that is now, should a demo owner have changed).
        owner = by_pk.get(customer.owner_id) or customer.owner
        histories.append(historian.history(spec, customer, owner))
    _write(histories)
    changes = [change for history in histories for change in history.changes]
    return OpportunitiesLoaded(
        opportunities=len(histories),
        stage_changes=len(histories) + len(changes),
        overrides=sum(1 for change in changes if change.override_reason),
        gate_checks=sum(len(history.checks) for history in histories),
        visits=sum(history.visits for history in histories),
    )
