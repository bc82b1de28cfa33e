"""The demo dataset: ~300 plausible Chinese B2B accounts with three years of activity, pure.

`demo_dataset()` is deterministic (one `random.Random` with a fixed seed) and touches no
database: the same companies, contacts, visits, competitors and transactions every time, as
frozen dataclasses that name each other by the customer's name. Dates are kept as "days before
today", so the data is current whenever it is loaded (see `demo.loaders`).
"""

import math
import random
from dataclasses import dataclass, field
from datetime import date, time
from decimal import ROUND_HALF_UP, Decimal

from accounts.models import Attitude, BuyingRole, CustomerStatus, Source, VisitKind, normalise_company_name

SEED = 20260101
CUSTOMER_COUNT = 300
HISTORY_DAYS = 3 * 365
CENT = Decimal("0.01")
REFERENCE_PREFIX = "DEMO-ERP-"

# --- Vocabulary ------------------------------------------------------------------------------

CITIES = {
    "华东": [
        "上海",
        "苏州",
        "杭州",
        "宁波",
        "南京",
        "无锡",
        "常州",
        "合肥",
        "济南",
        "青岛",
        "厦门",
        "福州",
        "温州",
    ],
    "华南": ["广州", "深圳", "东莞", "佛山", "珠海", "中山", "南宁", "海口"],
    "华北": ["北京", "天津", "石家庄", "太原", "唐山", "呼和浩特"],
    "华中": ["武汉", "长沙", "郑州", "南昌", "洛阳", "襄阳"],
    "西南": ["成都", "重庆", "昆明", "贵阳", "绵阳"],
    "西北": ["西安", "兰州", "银川", "西宁", "乌鲁木齐"],
    "东北": ["沈阳", "大连", "长春", "哈尔滨"],
}
REGION_WEIGHTS = {"华东": 34, "华南": 22, "华北": 14, "华中": 11, "西南": 9, "西北": 5, "东北": 5}

INDUSTRIES = {
    "制造业": ["机械", "精密机械", "装备制造", "重工", "自动化设备"],
    "汽车": ["汽车零部件", "汽车配件", "汽车电子", "车业"],
    "电子": ["电子", "电子科技", "光电", "微电子", "电器"],
    "医药": ["医药", "生物医药", "制药", "医疗器械"],
    "化工": ["化工", "新材料", "精细化工", "塑胶"],
    "食品饮料": ["食品", "饮料", "乳业", "调味品"],
    "物流": ["物流", "供应链管理", "国际货运代理", "仓储"],
    "零售": ["商贸", "连锁超市", "百货", "电子商务"],
    "建筑": ["建设工程", "建筑安装", "建材", "装饰工程"],
    "能源": ["新能源", "能源科技", "电力设备", "光伏科技"],
}
INDUSTRY_WEIGHTS = {
    "制造业": 20,
    "汽车": 13,
    "电子": 15,
    "医药": 8,
    "化工": 10,
    "食品饮料": 8,
    "物流": 7,
    "零售": 6,
    "建筑": 7,
    "能源": 6,
}
BRANDS = (
    "华信 恒通 鑫达 宏远 瑞丰 金龙 天成 永盛 博润 嘉禾 新宇 海川 远大 同创 凯瑞 德诚 广源 泰和 盛世 华美 "
    "协力 众诚 精工 联创 启明 三元 长兴 万隆 汇通 中实 东升 兴业 宝丰 天衡 永泰 瑞达 锦程 鼎盛 合力 "
    "安泰 国邦 华威 百川 宏图 立信 恒昌 信达 振华 金桥 宇航 东泽 南洋 北辰 新锐 佳美 昌盛 富源 利民 "
    "通达 华锐 科达 荣盛 嘉利 丰源 明德 致远 润和 聚源 康达 和信 春晖 世纪 腾达 星辰 晨光 卓越 弘毅"
).split()
LEGAL_FORMS = ["有限公司"] * 7 + ["股份有限公司"] * 3

# Group accounts (集团客户): the group and the industries of its subsidiaries.
GROUPS = [
    ("鼎盛", "华东", "制造业", ["制造业", "汽车", "能源"]),
    ("华威", "华南", "电子", ["电子", "电子", "零售"]),
    ("国邦", "华北", "化工", ["化工", "医药"]),
    ("南洋", "华南", "食品饮料", ["食品饮料", "物流", "零售"]),
    ("北辰", "东北", "汽车", ["汽车", "制造业"]),
    ("百川", "华中", "建筑", ["建筑", "能源", "建筑"]),
]

SURNAMES = "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹 彭 曾 肖 田 董 潘 袁 蒋 蔡 余".split()
GIVEN = (
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英 建华 建国 志强 海燕 晓东 "
    "文斌 国庆 春梅 玉兰 宏伟 德明 立新 红梅 永胜 雪 婷 浩 鹏 晨 欣怡 子涵 俊杰 思远 雅琴"
).split()
ROLE_TITLES = {
    BuyingRole.DECISION_MAKER: [
        ("总经理", "总经办"),
        ("副总经理", "总经办"),
        ("采购总监", "采购部"),
        ("董事长", "董事会"),
    ],
    BuyingRole.INFLUENCER: [
        ("生产经理", "生产部"),
        ("财务总监", "财务部"),
        ("质量经理", "质量部"),
        ("供应链经理", "供应链部"),
    ],
    BuyingRole.USER: [
        ("车间主任", "生产部"),
        ("工艺工程师", "工艺部"),
        ("仓储主管", "物流部"),
        ("设备主管", "设备部"),
    ],
    BuyingRole.GATEKEEPER: [("技术总监", "技术部"), ("研发经理", "研发中心"), ("总工程师", "技术部")],
    BuyingRole.COACH: [("采购专员", "采购部"), ("项目经理", "项目部"), ("总经理助理", "总经办")],
}
INFLUENCE = {
    BuyingRole.DECISION_MAKER: (4, 5),
    BuyingRole.INFLUENCER: (3, 4),
    BuyingRole.USER: (1, 3),
    BuyingRole.GATEKEEPER: (3, 4),
    BuyingRole.COACH: (2, 3),
}
PROVINCES = [
    "浙江温州",
    "江苏南通",
    "山东潍坊",
    "湖南长沙",
    "湖北黄冈",
    "广东潮汕",
    "福建泉州",
    "四川绵阳",
    "河南周口",
    "安徽安庆",
    "辽宁大连",
    "陕西宝鸡",
]
INTERESTS = [
    "高尔夫",
    "钓鱼",
    "茶道",
    "马拉松",
    "书法",
    "摄影",
    "篮球",
    "徒步",
    "围棋",
    "红酒",
    "京剧",
    "羽毛球",
]
PERSONALITIES = [
    "稳重务实，重数据",
    "直爽，决策快",
    "谨慎，风险意识强",
    "重感情，讲关系",
    "强势，注重面子",
    "开放，喜欢新技术",
]
WORKING_STYLES = [
    "喜欢提前收到书面资料，会前会细读",
    "只看结论和价格，不爱听长篇介绍",
    "重视现场考察，愿意到工厂看",
    "凡事要下属先评估，再拍板",
    "习惯晚上回微信，白天会多",
]
FAMILIES = ["已婚，儿子读高中", "已婚，女儿在国外读大学", "已婚，两个孩子", "单身", "已婚，父母同住"]
AUTHORITIES = [
    "100万元以下采购可直接拍板",
    "新供应商准入需他签字",
    "年度框架协议由他与董事会共同决定",
    "主导技术方案选型，价格由采购定",
]

VISIT_KINDS = [
    (VisitKind.VISIT, 40),
    (VisitKind.CALL, 30),
    (VisitKind.MEETING, 10),
    (VisitKind.SITE_VISIT, 8),
    (VisitKind.EXECUTIVE, 5),
    (VisitKind.OTHER, 7),
]
SUMMARIES = [
    "介绍新品线，客户对交期表示关注",
    "季度业务回顾，确认下季度需求预测",
    "陪同技术团队做现场诊断",
    "拜访采购部，了解年度招标安排",
    "与生产部沟通样品试用反馈",
    "高层会面，讨论战略合作方向",
    "电话跟进报价，客户在内部比价",
    "参加客户供应商大会",
]
NEEDS = [
    "希望交期从4周缩短到2周",
    "关注批次一致性，去年有过质量投诉",
    "今年有5%的降本目标",
    "新产线明年投产，需要配套方案",
    "希望供应商提供VMI寄售库存",
    "需要本地化技术支持，响应4小时内",
    "",
]
OBJECTIONS = [
    "价格比竞品高8%——说明了全生命周期成本更低",
    "担心切换供应商的风险——提出先小批量试用",
    "账期希望90天——回复需内部审批",
    "对我们的产能有疑虑——邀请来工厂考察",
    "",
    "",
]
NEXT_STEPS = [
    "提供样品",
    "安排技术交流会",
    "提交正式报价",
    "邀请来工厂考察",
    "准备年度框架协议草案",
    "约采购总监面谈",
]
COMPETITORS = [
    ("远东精密", "价格低10%左右", "质量不稳定，投诉多", "账期90天", "价格不会低于成本加5%"),
    ("凯斯特工业", "本地仓库，交货快", "技术支持弱", "免费驻场服务", "不接受小批量订单"),
    ("海德森", "外资品牌，口碑好", "价格高，响应慢", "全球统一质量标准", "最多降价3%"),
    ("诺维科技", "产品线全，一站式采购", "定制能力弱", "打包价", "年采购额低于50万不给折扣"),
    ("利达实业", "与采购总监是老关系", "产能有限", "灵活的付款方式", "愿意亏本抢首单"),
    ("北辰电气", "国企背景，资质齐全", "流程慢", "联合投标", "坚持先款后货"),
    ("三禾集团", "规模大，价格有优势", "服务标准化，不灵活", "年度返利2%", "返利不超过3%"),
]
TEAM_ROLES = ["方案销售", "地区销售", "技术支持"]


# --- The dataset -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoCustomer:
    name: str
    industry: str
    region: str
    owner: str  # username
    status: str
    source: str = ""
    referred_by: str = ""  # a customer's name
    parent: str = ""  # the group account's name
    potential: int | None = None
    demonstration: int | None = None
    winnability: int | None = None
    notes: str = ""
    team: tuple[tuple[str, str], ...] = ()  # (username, role on the account)


@dataclass(frozen=True)
class DemoContact:
    customer: str
    name: str
    title: str
    department: str
    phone: str
    email: str
    buying_role: str
    influence: int
    relationship_strength: int
    attitude: str
    profile: dict = field(default_factory=dict)  # decision makers only


@dataclass(frozen=True)
class DemoVisit:
    customer: str
    by: str
    kind: str
    days_ago: int
    at: time
    contacts: tuple[str, ...]
    summary: str
    needs: str
    objections: str
    next_step: str
    follow_up_in: int | None = None  # days from today: 0 due today, negative overdue
    follow_up_done: bool = False


@dataclass(frozen=True)
class DemoTransaction:
    customer: str
    reference: str
    days_ago: int
    amount: Decimal
    margin: Decimal | None
    description: str


@dataclass(frozen=True)
class DemoCompetitor:
    customer: str
    competitor: str
    strengths: str
    weaknesses: str
    offer: str
    bottom_line: str
    share_of_wallet: int


@dataclass(frozen=True)
class DemoDataset:
    customers: list[DemoCustomer]
    contacts: list[DemoContact]
    visits: list[DemoVisit]
    transactions: list[DemoTransaction]
    competitors: list[DemoCompetitor]


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, 2))).quantize(CENT, rounding=ROUND_HALF_UP)


class _Generator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.names: set[str] = set()  # normalised names taken (membership only: never iterated)
        self.customers: list[DemoCustomer] = []
        self.annual_sales: dict[str, float] = {}  # customer name → yearly revenue (0: prospect)
        self.contacts: list[DemoContact] = []
        self.visits: list[DemoVisit] = []
        self.transactions: list[DemoTransaction] = []
        self.competitors: list[DemoCompetitor] = []
        self.reference = 0

    # Customers

    def company_name(self, *, city: str, brand: str, industry: str) -> str | None:
        rng = self.rng
        for _attempt in range(20):
            name = f"{city}{brand}{rng.choice(INDUSTRIES[industry])}{rng.choice(LEGAL_FORMS)}"
            if normalise_company_name(name) not in self.names:
                self.names.add(normalise_company_name(name))
                return name
            brand = rng.choice(BRANDS)
        return None

    def owner_for(self, region: str) -> str:
        rng = self.rng
        if rng.random() < 0.05:
            return "manager"
        if region in ("华南", "西南"):
            return "rep3" if rng.random() < 0.85 else rng.choice(["rep1", "rep2"])
        return rng.choices(["rep1", "rep2", "rep3"], weights=[50, 40, 10])[0]

    def ratings(self, annual: float) -> tuple[int | None, int | None, int | None]:
        rng = self.rng
        size = min(max(int(math.log10(annual + 1) - 3.5), 0), 3) if annual else 0

        def rating(bias: int) -> int | None:
            if rng.random() < 0.1:
                return None
            return min(max(round(rng.gauss(2.6 + bias * 0.5, 1.0)), 1), 5)

        return rating(size), rating(size), rating(size // 2)

    def add_customer(
        self, *, name: str, industry: str, region: str, parent: str = "", big: bool = False
    ) -> None:
        rng = self.rng
        buys = big or rng.random() < 0.64
        annual = 0.0
        if buys:
            annual = min(rng.lognormvariate(math.log(280_000), 1.55) * (4 if big else 1), 60_000_000)
        owner = self.owner_for(region)
        source = rng.choices(
            [Source.WEB, Source.TRADE_FAIR, Source.ASSOCIATION, Source.REFERRAL, Source.OTHER, ""],
            weights=[26, 24, 14, 18, 8, 10],
        )[0]
        referred_by = ""
        referrers = [c.name for c in self.customers[-60:] if self.annual_sales[c.name] > 0]
        if source == Source.REFERRAL and referrers:
            referred_by = rng.choice(referrers)
        team = ()
        if rng.random() < 0.16:
            others = [u for u in ("rep1", "rep2", "rep3") if u != owner]
            team = ((rng.choice(others), rng.choice(TEAM_ROLES)),)
        potential, demonstration, winnability = self.ratings(annual)
        self.customers.append(
            DemoCustomer(
                name=name,
                industry=industry,
                region=region,
                owner=owner,
                status=CustomerStatus.CUSTOMER if buys else CustomerStatus.PROSPECT,
                source=source,
                referred_by=referred_by,
                parent=parent,
                potential=potential,
                demonstration=demonstration,
                winnability=winnability,
                notes=rng.choice(
                    ["", "", "年度框架协议客户", "行业标杆，可做案例", "付款及时", "注意回款周期"]
                ),
                team=team,
            )
        )
        self.annual_sales[name] = annual

    def build_customers(self, count: int) -> None:
        rng = self.rng
        for brand, region, industry, subsidiaries in GROUPS:
            group = f"{brand}控股集团股份有限公司"
            self.names.add(normalise_company_name(group))
            self.add_customer(name=group, industry=industry, region=region, big=True)
            for sub_industry in subsidiaries:
                sub_region = _pick(rng, REGION_WEIGHTS) if rng.random() < 0.4 else region
                name = self.company_name(
                    city=rng.choice(CITIES[sub_region]), brand=brand, industry=sub_industry
                )
                if name:
                    self.add_customer(name=name, industry=sub_industry, region=sub_region, parent=group)
        while len(self.customers) < count:
            region = _pick(rng, REGION_WEIGHTS)
            industry = _pick(rng, INDUSTRY_WEIGHTS)
            name = self.company_name(
                city=rng.choice(CITIES[region]), brand=rng.choice(BRANDS), industry=industry
            )
            if name:
                self.add_customer(name=name, industry=industry, region=region)

    # Contacts

    def build_contacts(self, customer: DemoCustomer) -> list[DemoContact]:
        rng = self.rng
        annual = self.annual_sales[customer.name]
        count = min(5, max(1, round(rng.gauss(2 + math.log10(annual + 10) / 3, 1))))
        roles = [BuyingRole.DECISION_MAKER] + rng.sample(
            [
                BuyingRole.INFLUENCER,
                BuyingRole.USER,
                BuyingRole.GATEKEEPER,
                BuyingRole.COACH,
                BuyingRole.INFLUENCER,
            ],
            count - 1,
        )
        taken: set[str] = set()
        contacts = []
        for role in roles:
            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            while name in taken:
                name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            taken.add(name)
            title, department = rng.choice(ROLE_TITLES[role])
            profile = {}
            if role == BuyingRole.DECISION_MAKER:
                birthday = date(rng.randint(1962, 1988), rng.randint(1, 12), rng.randint(1, 28))
                profile = {
                    "hometown": rng.choice(PROVINCES),
                    "birthday": birthday,
                    "interests": "、".join(rng.sample(INTERESTS, 2)),
                    "tenure": f"在公司{rng.randint(3, 20)}年，任现职{rng.randint(1, 8)}年",
                    "authority": rng.choice(AUTHORITIES),
                    "personality": rng.choice(PERSONALITIES),
                    "working_style": rng.choice(WORKING_STYLES),
                    "family": rng.choice(FAMILIES),
                }
            low, high = INFLUENCE[role]
            contacts.append(
                DemoContact(
                    customer=customer.name,
                    name=name,
                    title=title,
                    department=department,
                    phone=f"1380013{rng.randint(0, 9999):04d}",
                    email=f"contact{len(self.contacts) + len(contacts) + 1:04d}@example.com",
                    buying_role=role,
                    influence=rng.randint(low, high),
                    relationship_strength=rng.randint(1, 5),
                    attitude=rng.choices(
                        [Attitude.SUPPORTER, Attitude.NEUTRAL, Attitude.OPPONENT, ""],
                        weights=[40, 35, 12, 13],
                    )[0],
                    profile=profile,
                )
            )
        return contacts

    # Visits

    def build_visits(self, customer: DemoCustomer, contacts: list[DemoContact]) -> list[DemoVisit]:
        rng = self.rng
        annual = self.annual_sales[customer.name]
        mean = 1.2 + min(annual / 1_000_000, 3) + (customer.potential or 0) * 0.3
        count = min(max(int(rng.gauss(mean, 1.2)), 0), 8)
        visitors = [customer.owner] + [user for user, _role in customer.team]
        kinds, weights = zip(*VISIT_KINDS, strict=True)
        visits = []
        for days_ago in sorted(rng.sample(range(1, 181), count), reverse=True):
            follow_up_in = None
            done = False
            if rng.random() < 0.4:
                follow_up_in = -days_ago + rng.randint(3, 21)
                done = follow_up_in < 0 and rng.random() < 0.85
            present = rng.sample(contacts, min(len(contacts), rng.randint(1, 2)))
            visits.append(
                DemoVisit(
                    customer=customer.name,
                    by=visitors[0] if rng.random() < 0.8 else rng.choice(visitors),
                    kind=rng.choices(kinds, weights=weights)[0],
                    days_ago=days_ago,
                    at=time(rng.randint(9, 17), rng.choice([0, 15, 30, 45])),
                    contacts=tuple(contact.name for contact in present),
                    summary=rng.choice(SUMMARIES),
                    needs=rng.choice(NEEDS),
                    objections=rng.choice(OBJECTIONS),
                    next_step=rng.choice(NEXT_STEPS),
                    follow_up_in=follow_up_in,
                    follow_up_done=done,
                )
            )
        return visits

    def my_day_follow_ups(self, contacts_of: dict[str, list[DemoContact]]) -> None:
        """rep1's to-do list is never empty: follow-ups due today, overdue, and coming up."""
        rng = self.rng
        mine = [customer for customer in self.customers if customer.owner == "rep1"][:5]
        for customer, (days_ago, follow_up_in) in zip(
            mine, [(6, 0), (9, -2), (14, -5), (3, 0), (2, 4)], strict=False
        ):
            contact = contacts_of[customer.name][0]
            self.visits.append(
                DemoVisit(
                    customer=customer.name,
                    by="rep1",
                    kind=VisitKind.VISIT,
                    days_ago=days_ago,
                    at=time(10, 30),
                    contacts=(contact.name,),
                    summary=rng.choice(SUMMARIES),
                    needs=rng.choice(NEEDS[:-1]),
                    objections=rng.choice(OBJECTIONS[:4]),
                    next_step=rng.choice(NEXT_STEPS),
                    follow_up_in=follow_up_in,
                )
            )

    # Transactions

    def next_reference(self) -> str:
        self.reference += 1
        # Stable across runs and days (the dates move with today, the references never do).
        return f"{REFERENCE_PREFIX}{self.reference:06d}"

    def build_transactions(self, customer: DemoCustomer) -> list[DemoTransaction]:
        rng = self.rng
        annual = self.annual_sales[customer.name]
        if not annual:
            return []
        # History: most buy for the whole three years; some started recently; a few stopped.
        first_day = HISTORY_DAYS if rng.random() < 0.7 else rng.randint(40, HISTORY_DAYS)
        last_day = rng.randint(380, 900) if rng.random() < 0.07 else 0
        if last_day >= first_day:
            last_day = 0
        growth = rng.lognormvariate(0.05, 0.25)  # revenue this year / the year before
        margin_rate = min(max(rng.gauss(0.22, 0.06), 0.05), 0.45)
        if rng.random() < 0.02:
            margin_rate = -0.04  # a customer we lose money on (BZC)
        per_order = rng.lognormvariate(math.log(55_000), 0.6)
        orders_per_year = min(max(round(annual / per_order), 2), 60)
        rows = []
        for year_back in range(3):
            revenue = annual / growth**year_back
            start, end = 365 * year_back, 365 * (year_back + 1)
            for _order in range(orders_per_year):
                days_ago = rng.randrange(start, end)
                if days_ago >= first_day or days_ago < last_day:
                    continue
                amount = revenue / orders_per_year * rng.lognormvariate(0, 0.35)
                rate = margin_rate + rng.gauss(0, 0.04)
                if rng.random() < 0.02:
                    rate = -rng.uniform(0.03, 0.15)  # sold below cost to keep the account
                rows.append(
                    DemoTransaction(
                        customer=customer.name,
                        reference=self.next_reference(),
                        days_ago=days_ago,
                        amount=_money(amount),
                        margin=_money(amount * rate),
                        description=rng.choice(
                            ["销售订单", "销售订单", "年度协议订单", "备件订单", "项目订单"]
                        ),
                    )
                )
                if rng.random() < 0.03:
                    share = rng.uniform(0.05, 0.4)
                    rows.append(
                        DemoTransaction(
                            customer=customer.name,
                            reference=self.next_reference(),
                            days_ago=max(days_ago - rng.randint(5, 40), 0),
                            amount=_money(-amount * share),
                            margin=_money(-amount * rate * share),
                            description=rng.choice(["退货红字发票", "价格折让", "质量扣款"]),
                        )
                    )
        return rows

    def build_competitors(self, customer: DemoCustomer) -> list[DemoCompetitor]:
        rng = self.rng
        if rng.random() >= 0.32:
            return []
        chosen = rng.sample(COMPETITORS, rng.randint(1, 2))
        return [
            DemoCompetitor(
                customer.name, name, strengths, weaknesses, offer, bottom_line, rng.randint(1, 7) * 10
            )
            for name, strengths, weaknesses, offer, bottom_line in chosen
        ]


def demo_dataset(*, seed: int = SEED, count: int = CUSTOMER_COUNT) -> DemoDataset:
    """The demo data, identical on every call with the same seed; dates are days before today."""
    generator = _Generator(seed)
    generator.build_customers(count)
    contacts_of = {}
    for customer in generator.customers:
        contacts_of[customer.name] = generator.build_contacts(customer)
        generator.contacts.extend(contacts_of[customer.name])
        generator.visits.extend(generator.build_visits(customer, contacts_of[customer.name]))
        generator.transactions.extend(generator.build_transactions(customer))
        generator.competitors.extend(generator.build_competitors(customer))
    generator.my_day_follow_ups(contacts_of)
    return DemoDataset(
        customers=generator.customers,
        contacts=generator.contacts,
        visits=generator.visits,
        transactions=generator.transactions,
        competitors=generator.competitors,
    )
