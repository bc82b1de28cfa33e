"""The demo data of issue 14, pure: the experience method's industry fits and checklist ticks,
and what the account reviews and service visits say.

`fit_specs()` is deterministic (a `random.Random` with a fixed seed over the demo dataset) and
touches no database. Which accounts get reviews and service visits depends on the tiers, which
are known only after the seed's scoring run: `demo.loaders.servicing` chooses them then, with
its own fixed seed, from the texts here.
"""

import random
from dataclasses import dataclass

from accounts.models import CustomerStatus

from .dataset import INDUSTRIES, DemoDataset

SEED = 20260401

# Industry fit (need, our capability), 1–5 each. 零售 is left out on purpose: "not in the table"
# (industry fit 0) is a state a new user should see.
INDUSTRY_FITS = {
    "制造业": (5, 5, "核心行业：设备与备件需求稳定，我方方案成熟，案例最多"),
    "汽车": (5, 4, "零部件厂商对交期和批次一致性要求高，我方有主机厂配套经验"),
    "电子": (4, 4, "产线自动化改造需求旺盛，我方技术团队熟悉"),
    "能源": (4, 3, "光伏、储能扩产快，我方产品线正在补齐"),
    "医药": (3, 3, "GMP 认证周期长，需求明确但导入慢"),
    "化工": (3, 2, "防爆、耐腐蚀要求高，我方资质尚不齐全"),
    "食品饮料": (2, 2, "需求分散，单客采购额小"),
    "物流": (2, 1, "以仓储设备为主，不是我方强项"),
    "建筑": (1, 1, "项目制采购，价格导向，基本不匹配"),
}
NOT_IN_TABLE = sorted(set(INDUSTRIES) - set(INDUSTRY_FITS))  # ["零售"]

# The default checklist's items (accounts/migrations/0011), by label.
CHECKLIST = (
    "需求已确认",
    "预算已落实",
    "采购过同类产品或方案",
    "选择标准与我方优势匹配",
    "决策流程已清楚",
)
# How many items are ticked: prospects spread from none to all (the new-market shortlist ranks
# them), customers mostly know more of their account.
PROSPECT_TICKS = {0: 18, 1: 22, 2: 22, 3: 18, 4: 12, 5: 8}
CUSTOMER_TICKS = {0: 35, 1: 10, 2: 15, 3: 18, 4: 12, 5: 10}
# Items are not equally often known: the need first, the decision process last.
ITEM_LIKELIHOOD = (10, 6, 6, 4, 3)


@dataclass(frozen=True)
class DemoTicks:
    customer: str
    items: tuple[str, ...]  # labels of CHECKLIST


def _weighted_sample(
    rng: random.Random, items: tuple[str, ...], weights: tuple[int, ...], k: int
) -> list[str]:
    pool, pool_weights, chosen = list(items), list(weights), []
    for _ in range(k):
        item = rng.choices(pool, weights=pool_weights)[0]
        index = pool.index(item)
        chosen.append(pool.pop(index))
        pool_weights.pop(index)
    return chosen


def fit_specs(data: DemoDataset, *, seed: int = SEED) -> list[DemoTicks]:
    """The checklist ticks of every demo customer with any (in checklist order)."""
    rng = random.Random(seed)
    ticks = []
    for customer in data.customers:
        spread = PROSPECT_TICKS if customer.status == CustomerStatus.PROSPECT else CUSTOMER_TICKS
        k = rng.choices(list(spread), weights=list(spread.values()))[0]
        items = set(_weighted_sample(rng, CHECKLIST, ITEM_LIKELIHOOD, k))
        if items:
            ticks.append(DemoTicks(customer.name, tuple(label for label in CHECKLIST if label in items)))
    return ticks


# --- Account reviews and service visits ---------------------------------------------------------

# The summaries of the visits logged to keep an account's coverage: a customer with one of these,
# or with any account review, has had its servicing demo data loaded.
SERVICE_VISIT_SUMMARY = "例行拜访：回顾近期订单和交付，了解下季度采购计划"
EXECUTIVE_SUMMARY = "高层拜访：双方总经理会面，回顾年度合作，商定下一步重点"

REVIEW_POTENTIAL = [
    "新产线明年投产，预计年采购额可增加30%",
    "集团其他事业部尚未覆盖，有交叉销售机会",
    "备件和服务合同还有很大空间",
    "客户在评估进口替代，我方有机会进入核心物料",
    "需求基本饱和，以维护份额为主",
]
REVIEW_PROBLEMS = [
    "上季度两批次交期延误，客户采购部有抱怨",
    "回款周期从60天拉长到90天",
    "竞品以低价切入，份额有被蚕食的风险",
    "对接人变动，新任采购经理关系尚未建立",
    "",
]
REVIEW_SUMMARIES = [
    "整体合作稳定，客户对质量满意，需加强高层互动",
    "销售额低于计划，主要是客户自身减产；关系良好",
    "本期突破新品类，需巩固技术支持",
    "客户满意度下降，需尽快解决交付问题",
    "保持现有节奏，重点推进年度框架协议续签",
]
REVIEW_ACTIONS = [
    "提交下年度框架协议草案",
    "安排技术团队现场解决交付问题",
    "约采购总监沟通回款安排",
    "邀请客户高层来工厂考察",
    "整理本期销售和毛利分析发给客户",
    "拜访新任采购经理，建立联系",
    "准备新品样品并安排试用",
    "与客户确认下季度需求预测",
]
