"""Demo opportunities and account plans for `seed_demo`, on top of the demo customers (accounts.demo).

~120 opportunities, mostly at key accounts and high-potential customers and prospects, spread
over the five stages plus won and lost, each with the history the services would have written:
a StageChange for every step from target to where it is now (dates in the past, `days_in_stage`
from those dates), ticks for the hand-checked gate items of every stage it left, and a reason for
every lost one. The further stages go to the accounts whose records carry them there (a coach
named, needs written down, a strong tie to the decision maker…); a move whose data-backed gate
items the customer's data does not meet is recorded as the manager's override with a reason,
as `opportunity_move` would demand. A won deal brings the executive meeting and the site visit
its closing gate asks for. Then 10 account plans (联合生意计划) for key accounts, with objectives
and actions, and finally the prospect grades.

`opportunity_specs()` and `plan_specs()` are pure and deterministic (a `random.Random` with a
fixed seed over the pure demo dataset); dates are days before today. `demo_pipeline_load()`
writes them in bulk and idempotently: an opportunity is keyed by (customer, title), a plan by
(customer, title), and a key that exists already is left alone, so a second run adds nothing.
"""

import math
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.demo import DemoContact, DemoCustomer, DemoDataset, DemoVisit, demo_dataset
from accounts.models import (
    Attitude,
    BuyingRole,
    Contact,
    Customer,
    CustomerStatus,
    Visit,
    VisitKind,
    normalise_company_name,
)
from users.models import User

from .models import (
    DEFAULT_PROBABILITY,
    FORWARD,
    OPEN_STAGES,
    AccountPlan,
    ActionStatus,
    GateCheck,
    GateRule,
    Opportunity,
    PlanAction,
    PlanObjective,
    PlanStep,
    Stage,
    StageChange,
    StageGateItem,
)
from .services import _rule_facts, prospect_grades_refresh

SEED = 20260301
OPPORTUNITY_COUNT = 120
PLAN_COUNT = 10
# Where the opportunities are now: open and won ones by stage, lost ones by the stage they were lost from.
STAGE_MIX = {
    Stage.WON: 16,
    Stage.CLOSING: 11,
    Stage.RELATIONSHIP: 14,
    Stage.EVALUATION: 18,
    Stage.INFORMATION: 21,
    Stage.TARGET: 25,
}
LOST_FROM = {
    Stage.CLOSING: 1,
    Stage.RELATIONSHIP: 2,
    Stage.EVALUATION: 3,
    Stage.INFORMATION: 3,
    Stage.TARGET: 6,
}
# Days spent in a stage before leaving it.
DWELL = {
    Stage.TARGET: (7, 30),
    Stage.INFORMATION: (10, 40),
    Stage.EVALUATION: (10, 35),
    Stage.RELATIONSHIP: (14, 45),
    Stage.CLOSING: (8, 30),
}
# Days from today to the expected close of an open opportunity, by stage.
CLOSE_IN = {
    Stage.TARGET: (60, 180),
    Stage.INFORMATION: (45, 170),
    Stage.EVALUATION: (30, 150),
    Stage.RELATIONSHIP: (20, 120),
    Stage.CLOSING: (5, 75),
}
# How much more often an account is picked the further its record carries an opportunity.
READINESS_WEIGHT = {0: 0.3, 1: 0.6, 2: 0.8, 3: 1.3, 4: 3.0}
# A won deal's closing gate is met by the executive meeting and site visit logged with it.
BROUGHT_BY_WON = {GateRule.EXECUTIVE_MEETING, GateRule.SITE_VISIT}
CENT = Decimal("0.01")

# --- Vocabulary ------------------------------------------------------------------------------

TITLES = [
    "年度框架协议",
    "新产线配套",
    "试点项目",
    "二期扩容",
    "备件年度采购",
    "设备更新改造",
    "进口替代方案",
    "VMI寄售库存",
    "新工厂配套",
    "降本替代项目",
    "技术升级改造",
    "海外工厂配套",
    "自动化改造",
    "战略供应商入围",
    "新品联合开发",
]
LOST_REASONS = {
    Stage.TARGET: ["无则终止：客户暂无相关需求", "无则终止：今年预算未列入", "无则终止：项目由集团统一采购"],
    "later": [
        "价格过高，客户选择了低价方案",
        "选择了竞争对手（远东精密）",
        "选择了竞争对手（海德森）",
        "客户项目取消",
        "关键决策人更换，项目搁置",
        "付款条件谈不拢",
    ],
}
OVERRIDE_REASONS = [
    "客户年底前必须定标，经理批准先推进，材料后补",
    "客户总经理直接推动，缺的记录随后补齐",
    "战略客户，经理决定跳过关口加快推进",
    "竞争对手已入场，需抢时间进入下一阶段",
]
OBSTACLES = [
    "现有供应商关系稳固，切换意愿低",
    "价格比竞品高约8%",
    "客户担心产能和交期",
    "技术部要求完成三个月的试用验证",
    "采购流程长，需集团审批",
]
DEVELOPMENT_PLANS = [
    "先做小批量试用，再谈年度协议；安排技术交流会和工厂考察",
    "通过内线了解招标时间表，提前准备技术方案和报价",
    "邀请客户高层来访，争取进入合格供应商名录",
    "以备件业务切入，逐步扩大到主线产品",
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

PLAN_TITLES = [
    "年度联合生意计划",
    "降本增效联合计划",
    "新品导入联合计划",
    "供应链协同提升计划",
    "区域市场拓展计划",
]
PLAN_SUMMARIES = [
    "双方约定以季度业务回顾推动计划执行，重点是份额提升和交付改善。",
    "围绕客户新产线投产，共同制定配套方案和导入节奏。",
    "通过VMI和联合预测降低客户库存，同时提升我方份额。",
    "在标杆工厂试点成功后，复制到集团其他工厂。",
]
# description, unit, target as a share of the customer's yearly sales (None: a fixed range)
OBJECTIVES = [
    ("年度采购额", "元", None),
    ("我方份额", "%", (30, 60)),
    ("交付准时率", "%", (95, 99)),
    ("新品导入数量", "个", (2, 6)),
    ("库存周转天数", "天", (20, 40)),
    ("质量投诉次数", "次", (1, 4)),
]
ACTIONS = [
    "季度业务回顾会（QBR）",
    "联合制定降本方案",
    "安排双方高层互访",
    "提交VMI方案并试运行",
    "新品送样及验证",
    "培训客户设备维护人员",
    "年度框架协议续签谈判",
    "试点工厂经验总结并推广",
]
PLAN_STEP_WEIGHTS = {
    PlanStep.OPPORTUNITY: 1,
    PlanStep.JOINT_PLAN: 2,
    PlanStep.EXECUTION: 4,
    PlanStep.EVALUATION: 2,
    PlanStep.REPLICATION: 1,
}


# --- The dataset (pure) ----------------------------------------------------------------------


@dataclass(frozen=True)
class DemoOpportunity:
    customer: str  # the customer's name in the demo dataset
    title: str
    stage: str
    lost_from: str  # the stage it was lost from ('' unless lost)
    # (days ago, minute of the day) of its creation and of every move after it, oldest first
    moves_at: tuple[tuple[int, int], ...]
    expected_amount: Decimal
    probability: int
    probability_overridden: bool
    close_in: int  # days from today to the expected close (negative: in the past)
    obstacles: str
    expected_cost: Decimal | None
    development_plan: str
    lost_reason: str

    @property
    def path(self) -> list[str]:
        """The stages it entered, in order."""
        last = self.lost_from or (Stage.CLOSING if self.stage == Stage.WON else self.stage)
        stages = list(OPEN_STAGES[: OPEN_STAGES.index(last) + 1])
        return [*stages, self.stage] if self.stage in (Stage.WON, Stage.LOST) else stages


@dataclass(frozen=True)
class DemoObjective:
    description: str
    target: Decimal
    actual: Decimal | None
    unit: str


@dataclass(frozen=True)
class DemoAction:
    description: str
    owner: str  # username
    due_in: int  # days after the plan's start
    status: str


@dataclass(frozen=True)
class DemoPlan:
    customer: str
    title: str
    months_back: int  # it started on the first of the month this many months ago
    months: int
    step: str
    summary: str
    owner: str
    objectives: tuple[DemoObjective, ...]
    actions: tuple[DemoAction, ...]


def _money(value: float, step: int = 10_000) -> Decimal:
    return Decimal(max(round(value / step), 1) * step).quantize(CENT)


def _sales_12m(data: DemoDataset) -> dict[str, Decimal]:
    sales: dict[str, Decimal] = defaultdict(Decimal)
    for row in data.transactions:
        if row.days_ago < 365:
            sales[row.customer] += row.amount
    return sales


def _key_accounts(data: DemoDataset) -> list[str]:
    """The top 20% by 12-month sales, best first: near enough the first scoring run's key accounts."""
    sales = _sales_12m(data)
    ranked = sorted(data.customers, key=lambda customer: -sales.get(customer.name, Decimal(0)))
    return [customer.name for customer in ranked[: math.ceil(len(ranked) * 0.2)]]


def _readiness(customer: DemoCustomer, contacts: list[DemoContact], visits: list[DemoVisit]) -> int:
    """How many stages in a row the account's record carries an opportunity out of (4: it may
    be closing or won). A rough reading of the data-backed gate items; the loader applies the
    real ones and records any move they do not allow as an override."""
    roles = {contact.buying_role for contact in contacts}
    committee = (BuyingRole.DECISION_MAKER, BuyingRole.INFLUENCER)
    gates = [
        bool(visits),  # first contact made
        BuyingRole.COACH in roles and any(visit.needs for visit in visits),  # insider, needs
        customer.winnability is not None,  # win likelihood (the rest is the opportunity's own)
        any(c.buying_role == BuyingRole.DECISION_MAKER and c.relationship_strength >= 4 for c in contacts)
        and BuyingRole.INFLUENCER in roles
        and not any(c.buying_role in committee and c.attitude == Attitude.OPPONENT for c in contacts),
    ]
    ready = 0
    for met in gates:
        if not met:
            break
        ready += 1
    return ready


class _OpportunityGenerator:
    def __init__(self, data: DemoDataset, seed: int):
        self.rng = random.Random(seed)
        self.key = set(_key_accounts(data))
        self.customers = {customer.name: customer for customer in data.customers}
        contacts, visits = defaultdict(list), defaultdict(list)
        for contact in data.contacts:
            contacts[contact.customer].append(contact)
        for visit in data.visits:
            visits[visit.customer].append(visit)
        self.ready = {
            customer.name: _readiness(customer, contacts[customer.name], visits[customer.name])
            for customer in data.customers
        }

    def weight(self, customer: DemoCustomer) -> float:
        potential = customer.potential or 0
        if customer.name in self.key:
            base = 8
        elif customer.status == CustomerStatus.PROSPECT:
            base = 5 if potential >= 4 else 2 if potential == 3 else 0.2
        else:
            base = 4 if potential >= 4 else 0.2
        return base * READINESS_WEIGHT[self.ready[customer.name]]

    def picks(self) -> list[tuple[str, str]]:
        """(customer, title) of every opportunity: up to three at a key account, two elsewhere."""
        rng = self.rng
        room = {name: 3 if name in self.key else 2 for name in self.customers}
        weights = {name: self.weight(customer) for name, customer in self.customers.items()}
        titles: dict[str, list[str]] = defaultdict(list)
        picks = []
        while len(picks) < OPPORTUNITY_COUNT:
            names = [name for name, left in room.items() if left]
            name = rng.choices(names, weights=[weights[name] for name in names])[0]
            room[name] -= 1
            title = rng.choice([title for title in TITLES if title not in titles[name]])
            titles[name].append(title)
            picks.append((name, title))
        return picks

    def assign(self, picks: list[tuple[str, str]]) -> list[tuple[str, str, str, str]]:
        """(customer, title, stage, lost from): the furthest stages to the accounts whose
        records carry them furthest, with a little noise; only customers win deals."""
        rng = self.rng
        depth = {stage: index for index, stage in enumerate(FORWARD)}
        slots = [(stage, "") for stage, count in STAGE_MIX.items() for _ in range(count)]
        slots += [(Stage.LOST, stage) for stage, count in LOST_FROM.items() for _ in range(count)]
        slots.sort(key=lambda slot: -depth[slot[1] or slot[0]])
        order = sorted(
            picks, key=lambda pick: -(self.ready[pick[0]] + rng.uniform(0, 2.0) + (pick[0] in self.key) * 0.3)
        )
        assigned = []
        for stage, lost_from in slots:
            for index, (name, _title) in enumerate(order):
                if stage != Stage.WON or self.customers[name].status == CustomerStatus.CUSTOMER:
                    assigned.append((*order.pop(index), stage, lost_from))
                    break
        return assigned

    def opportunity(self, name: str, title: str, stage: str, lost_from: str) -> DemoOpportunity:
        rng = self.rng
        last = lost_from or (Stage.CLOSING if stage == Stage.WON else stage)
        entered = list(OPEN_STAGES[: OPEN_STAGES.index(last) + 1])
        closed = stage in (Stage.WON, Stage.LOST)
        # Walk back from the last move: the time spent in each stage it left.
        days = [rng.randint(3, 120) if closed else rng.randint(1, 40)]
        for left in reversed(entered if closed else entered[:-1]):
            days.append(days[-1] + rng.randint(*DWELL[left]))
        moves_at = tuple((days_ago, rng.randint(9 * 60, 17 * 60 + 50)) for days_ago in reversed(days))

        past_evaluation = OPEN_STAGES.index(last) > OPEN_STAGES.index(Stage.EVALUATION)
        evaluated = past_evaluation or (last == Stage.EVALUATION and rng.random() < 0.6)
        amount = rng.lognormvariate(math.log(600_000 if name in self.key else 250_000), 0.9)
        probability, overridden = DEFAULT_PROBABILITY[stage], False
        if not closed and rng.random() < 0.08:  # the owner's own estimate
            probability, overridden = min(max(probability + rng.choice([-10, -5, 5, 10]), 5), 95), True
        if closed:
            close_in = -days[0] + (rng.randint(-10, 20) if stage == Stage.LOST else 0)
        elif rng.random() < 0.07:
            close_in = -rng.randint(3, 30)  # overdue
        else:
            close_in = rng.randint(*CLOSE_IN[stage])
        lost_reason = ""
        if stage == Stage.LOST:
            lost_reason = rng.choice(LOST_REASONS[Stage.TARGET if lost_from == Stage.TARGET else "later"])
        return DemoOpportunity(
            customer=name,
            title=title,
            stage=stage,
            lost_from=lost_from,
            moves_at=moves_at,
            expected_amount=_money(min(amount, 30_000_000)),
            probability=probability,
            probability_overridden=overridden,
            close_in=close_in,
            obstacles=rng.choice(OBSTACLES) if evaluated else "",
            expected_cost=_money(amount * rng.uniform(0.02, 0.08), 1_000) if evaluated else None,
            development_plan=rng.choice(DEVELOPMENT_PLANS) if evaluated else "",
            lost_reason=lost_reason,
        )


def opportunity_specs(data: DemoDataset, *, seed: int = SEED) -> list[DemoOpportunity]:
    """The demo opportunities, identical on every call with the same dataset and seed."""
    generator = _OpportunityGenerator(data, seed)
    return [generator.opportunity(*row) for row in generator.assign(generator.picks())]


def plan_specs(data: DemoDataset, *, seed: int = SEED) -> list[DemoPlan]:
    """Account plans for PLAN_COUNT of the key accounts that are customers already."""
    rng = random.Random(seed + 1)
    sales = _sales_12m(data)
    by_name = {customer.name: customer for customer in data.customers}
    key = [name for name in _key_accounts(data) if by_name[name].status == CustomerStatus.CUSTOMER]
    plans = []
    for name in rng.sample(key[:40], PLAN_COUNT):
        customer = by_name[name]
        people = [customer.owner, *(username for username, _role in customer.team)]
        step = rng.choices(list(PLAN_STEP_WEIGHTS), weights=list(PLAN_STEP_WEIGHTS.values()))[0]
        progress = {
            PlanStep.EXECUTION: (0.3, 0.8),
            PlanStep.EVALUATION: (0.7, 1.1),
            PlanStep.REPLICATION: (0.85, 1.15),
        }.get(step)
        objectives = []
        for description, unit, scale in [OBJECTIVES[0], *rng.sample(OBJECTIVES[1:], rng.randint(1, 3))]:
            if scale is None:  # purchases: this year's sales and some more
                target = _money(float(sales.get(name, 0)) * rng.uniform(1.1, 1.4), 100_000)
            else:
                target = Decimal(rng.randint(*scale)).quantize(CENT)
            actual = None
            if progress:
                actual = target * Decimal(str(round(rng.uniform(*progress), 2)))
                # Counts are whole numbers; the rest to one decimal.
                actual = actual.quantize(Decimal(1) if unit in ("个", "次") else Decimal("0.1")).quantize(
                    CENT
                )
            objectives.append(DemoObjective(description, target, actual, unit))
        months = rng.choice([6, 12, 12])
        months_back = rng.randint(0, months - 2)
        actions = []
        for description in rng.sample(ACTIONS, rng.randint(3, 5)):
            due_in = rng.randint(15, months * 30 - 5)
            if due_in < months_back * 30:
                status = rng.choices([ActionStatus.DONE, ActionStatus.DOING], weights=[5, 1])[0]
            else:
                status = rng.choices([ActionStatus.TO_DO, ActionStatus.DOING], weights=[3, 1])[0]
            actions.append(DemoAction(description, rng.choice(people), due_in, status))
        plans.append(
            DemoPlan(
                customer=name,
                title=rng.choice(PLAN_TITLES),
                months_back=months_back,
                months=months,
                step=step,
                summary=rng.choice(PLAN_SUMMARIES),
                owner=customer.owner,
                objectives=tuple(objectives),
                actions=tuple(sorted(actions, key=lambda action: action.due_in)),
            )
        )
    return plans


# --- Loading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PipelineLoadResult:
    opportunities_created: int
    stage_changes_created: int
    overrides: int
    gate_checks_created: int
    visits_created: int
    plans_created: int
    objectives_created: int
    actions_created: int
    grades_changed: int


def _month_start(day: date, months: int) -> date:
    """The first of the month `months` after (negative: before) `day`'s month."""
    month = day.year * 12 + day.month - 1 + months
    return date(month // 12, month % 12 + 1, 1)


class _Writer:
    """Turns the specs into rows, with the gate checks and overrides the real gate rules call for."""

    def __init__(self, *, seed: int, now: datetime, manager: User | None):
        self.rng = random.Random(seed + 2)
        self.now = now
        self.today = timezone.localdate(now)
        self.tz = timezone.get_current_timezone()
        self.manager = manager
        items = list(StageGateItem.objects.filter(is_active=True).order_by("stage", "position", "id"))
        self.items = {stage: [item for item in items if item.stage == stage] for stage in OPEN_STAGES}
        self.rules = {item.rule for item in items if item.rule}
        self.facts: dict[int, dict[str, bool]] = {}

    def load_facts(self, customers: list[Customer]) -> None:
        """Which data-backed gate items each customer's data meets, by the services' own rules
        (the opportunity's own fields are filled in by the time its gate needs them)."""
        for customer in customers:
            probe = Opportunity(
                customer=customer, obstacles="-", expected_cost=Decimal(1), development_plan="-"
            )
            self.facts[customer.pk] = _rule_facts(probe, self.rules)

    def moment(self, days_ago: int, minute: int) -> datetime:
        return datetime.combine(
            self.today - timedelta(days=days_ago), time(minute // 60, minute % 60), tzinfo=self.tz
        )

    def between(self, start: datetime, end: datetime) -> datetime:
        return start + (end - start) * self.rng.uniform(0.2, 0.9)

    def rows(self, spec: DemoOpportunity, customer: Customer) -> dict:
        rng, owner_id = self.rng, customer.owner_id
        moments = [self.moment(*at) for at in spec.moves_at]
        opportunity = Opportunity(
            customer_id=customer.pk,
            title=spec.title,
            expected_amount=spec.expected_amount,
            stage=spec.stage,
            probability=spec.probability,
            probability_overridden=spec.probability_overridden,
            expected_close_on=self.today + timedelta(days=spec.close_in),
            owner_id=owner_id,
            obstacles=spec.obstacles,
            expected_cost=spec.expected_cost,
            development_plan=spec.development_plan,
            lost_reason=spec.lost_reason,
            closed_at=moments[-1] if spec.stage in (Stage.WON, Stage.LOST) else None,
        )
        # Set again after the insert, which stamps "now" on auto_now(_add) fields.
        times = {"created_at": moments[0], "stage_entered_at": moments[-1], "updated_at": moments[-1]}
        changes = [StageChange(from_stage="", to_stage=Stage.TARGET, by_id=owner_id, at=moments[0])]
        checks, visits = [], []
        facts = self.facts[customer.pk]
        path = spec.path
        for index, (left, to) in enumerate(zip(path, path[1:], strict=False)):
            entered, moved = moments[index], moments[index + 1]
            unmet = []
            if to != Stage.LOST:
                unmet = [
                    item
                    for item in self.items[left]
                    if item.rule and item.rule not in BROUGHT_BY_WON and not facts.get(item.rule, False)
                ]
                checks += [
                    GateCheck(item=item, checked_by_id=owner_id, checked_at=self.between(entered, moved))
                    for item in self.items[left]
                    if not item.rule
                ]
            if to == Stage.WON:
                for kind, rule, summary, next_step in CLOSING_VISITS:
                    if not facts.get(rule, False):
                        visits.append(
                            Visit(
                                customer_id=customer.pk,
                                by_id=owner_id,
                                kind=kind,
                                occurred_at=self.between(entered, moved),
                                summary=summary,
                                next_step=next_step,
                            )
                        )
                        facts[rule] = True  # logged now, for the customer's other deals too
            override = bool(unmet) and self.manager is not None
            changes.append(
                StageChange(
                    from_stage=left,
                    to_stage=to,
                    by_id=self.manager.pk if override else owner_id,
                    at=moved,
                    override_reason=rng.choice(OVERRIDE_REASONS) if override else "",
                    unmet_items=[item.label for item in unmet] if override else [],
                    days_in_stage=Decimal(str(round((moved - entered).total_seconds() / 86400, 2))),
                )
            )
        if spec.stage in OPEN_STAGES:  # some of the current stage's hand-checked items ticked already
            checks += [
                GateCheck(item=item, checked_by_id=owner_id, checked_at=self.between(moments[-1], self.now))
                for item in self.items[spec.stage]
                if not item.rule and rng.random() < 0.4
            ]
        return {
            "opportunity": opportunity,
            "times": times,
            "changes": changes,
            "checks": checks,
            "visits": visits,
        }


@transaction.atomic
def demo_pipeline_load(
    *, dataset: DemoDataset | None = None, now: datetime | None = None, seed: int = SEED
) -> PipelineLoadResult:
    """Write the demo opportunities and account plans (see the module docstring), then the
    prospect grades. Needs the demo users and customers: seed_demo loads them first."""
    data = dataset or demo_dataset()
    now = now or timezone.now()
    users = {
        user.username: user for user in User.objects.filter(username__in=["manager", "rep1", "rep2", "rep3"])
    }
    loaded = Customer.objects.filter(
        name_normalised__in=[normalise_company_name(c.name) for c in data.customers]
    )
    by_key = {customer.name_normalised: customer for customer in loaded}
    customers = {
        spec.name: by_key[normalise_company_name(spec.name)]
        for spec in data.customers
        if normalise_company_name(spec.name) in by_key
    }

    # Opportunities, keyed by (customer, title).
    have = set(
        Opportunity.objects.filter(customer__in=list(by_key.values())).values_list("customer_id", "title")
    )
    specs = [
        spec
        for spec in opportunity_specs(data, seed=seed)
        if spec.customer in customers and (customers[spec.customer].pk, spec.title) not in have
    ]
    writer = _Writer(seed=seed, now=now, manager=users.get("manager"))
    writer.load_facts(
        list({customers[spec.customer].pk: customers[spec.customer] for spec in specs}.values())
    )
    built = [writer.rows(spec, customers[spec.customer]) for spec in specs]
    opportunities = [row["opportunity"] for row in built]
    for opportunity in opportunities:
        opportunity.full_clean(exclude=["customer", "owner"], validate_constraints=False)
    Opportunity.objects.bulk_create(opportunities, batch_size=500)
    if opportunities and opportunities[0].pk is None:  # a database that returns no ids from bulk inserts
        raise RuntimeError("demo_pipeline_load needs a database that returns ids from bulk_create")
    for row in built:
        for name, value in row["times"].items():
            setattr(row["opportunity"], name, value)
        for child in (*row["changes"], *row["checks"]):
            child.opportunity = row["opportunity"]
    Opportunity.objects.bulk_update(
        opportunities, ["created_at", "stage_entered_at", "updated_at"], batch_size=500
    )
    changes = [change for row in built for change in row["changes"]]
    checks = [check for row in built for check in row["checks"]]
    visits = [visit for row in built for visit in row["visits"]]
    StageChange.objects.bulk_create(changes, batch_size=1000)
    checked_at = [check.checked_at for check in checks]
    GateCheck.objects.bulk_create(checks, batch_size=1000)  # stamps "now" on checked_at (auto_now_add)
    for check, at in zip(checks, checked_at, strict=True):
        check.checked_at = at
    GateCheck.objects.bulk_update(checks, ["checked_at"], batch_size=1000)
    Visit.objects.bulk_create(visits, batch_size=500)
    decision_makers = dict(
        Contact.objects.filter(
            customer_id__in={visit.customer_id for visit in visits}, buying_role=BuyingRole.DECISION_MAKER
        )
        .order_by("customer_id", "-id")
        .values_list("customer_id", "pk")
    )
    Visit.contacts.through.objects.bulk_create(
        [
            Visit.contacts.through(visit_id=visit.pk, contact_id=decision_makers[visit.customer_id])
            for visit in visits
            if visit.customer_id in decision_makers
        ]
    )

    plans, objectives, actions = _plans_load(data, customers, users, seed=seed, today=timezone.localdate(now))
    return PipelineLoadResult(
        opportunities_created=len(opportunities),
        stage_changes_created=len(changes),
        overrides=sum(1 for change in changes if change.override_reason),
        gate_checks_created=len(checks),
        visits_created=len(visits),
        plans_created=plans,
        objectives_created=objectives,
        actions_created=actions,
        grades_changed=prospect_grades_refresh(),
    )


def _plans_load(
    data: DemoDataset, customers: dict[str, Customer], users: dict[str, User], *, seed: int, today: date
) -> tuple[int, int, int]:
    """Account plans keyed by (customer, title): how many plans, objectives and actions were created."""
    specs = [spec for spec in plan_specs(data, seed=seed) if spec.customer in customers]
    have = set(
        AccountPlan.objects.filter(customer__in=[customers[spec.customer] for spec in specs]).values_list(
            "customer_id", "title"
        )
    )
    specs = [spec for spec in specs if (customers[spec.customer].pk, spec.title) not in have]
    plans = []
    for spec in specs:
        start = _month_start(today, -spec.months_back)
        plan = AccountPlan(
            customer=customers[spec.customer],
            title=spec.title,
            period_start=start,
            period_end=_month_start(start, spec.months) - timedelta(days=1),
            step=spec.step,
            summary=spec.summary,
            created_by=users[spec.owner],
        )
        plan.full_clean(exclude=["customer", "created_by"], validate_constraints=False)
        plans.append(plan)
    AccountPlan.objects.bulk_create(plans)
    objectives = [
        PlanObjective(
            plan=plan, description=row.description, target=row.target, actual=row.actual, unit=row.unit
        )
        for plan, spec in zip(plans, specs, strict=True)
        for row in spec.objectives
    ]
    actions = [
        PlanAction(
            plan=plan,
            description=row.description,
            owner=users[row.owner],
            due_on=plan.period_start + timedelta(days=row.due_in),
            status=row.status,
        )
        for plan, spec in zip(plans, specs, strict=True)
        for row in spec.actions
    ]
    PlanObjective.objects.bulk_create(objectives)
    PlanAction.objects.bulk_create(actions)
    return len(plans), len(objectives), len(actions)


def demo_pipeline_summary() -> dict[str, int]:
    """Opportunities by stage (open, won, lost) in the database, for the command's report."""
    by_stage = dict(Opportunity.objects.order_by().values_list("stage").annotate(n=Count("id")))
    return {str(stage): by_stage.get(stage, 0) for stage in (*FORWARD, Stage.LOST)}
