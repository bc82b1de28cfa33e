"""The demo pipeline dataset: opportunities and account plans over the demo customers, pure.

~120 opportunities, mostly at key accounts and high-potential customers and prospects, spread
over the five stages plus won and lost, and 10 account plans (联合生意计划) for key accounts.
The further stages go to the accounts whose records carry them there (a coach named, needs
written down, a strong tie to the decision maker…). `opportunity_specs()` and `plan_specs()`
are deterministic (a `random.Random` with a fixed seed over the demo dataset) and touch no
database; dates are days before today.
"""

import math
import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from accounts.models import Attitude, BuyingRole, CustomerStatus
from pipeline.models import DEFAULT_PROBABILITY, FORWARD, OPEN_STAGES, ActionStatus, PlanStep, Stage

from .dataset import DemoContact, DemoCustomer, DemoDataset, DemoVisit

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
