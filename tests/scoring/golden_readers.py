"""A scored population and what every reader of its scoring results answers, as plain data.

Issue 17 moved a run's numbers (score, 12-month sales, their rank, scored_at) off the customer
row. `build_population()` builds the same customers, transactions, visits, opportunities and
fit data on any tree of this project and scores them twice (so movements and trends exist),
never setting a scoring field itself; `dump_readers(...)` asks every page and API that reads
scores, sales, ranks, tiers or classes, and returns what they answer with what differs from one
build to the next (database ids, run ids) replaced by names. The time is frozen: each phase
(building, the two runs, reading) has its own fixed instant, so "today" is 2026-06-30 for every
reader and timestamps are the same in every build (they are shown as `<time:phase>`).

tests/scoring/golden_readers.json holds the answers of the code before the change (2f7407b);
test_golden_readers.py compares with it. To write the file again:
`KAM_GOLDEN_READERS_WRITE=tests/scoring/golden_readers.json pytest tests/scoring/test_golden_readers.py`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from unittest import mock
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Customer, FitCriterion, IndustryFit
from pipeline.models import Opportunity
from scoring.models import ScoringRun
from scoring.services import run_execute, run_request
from tests.factories import (
    CustomerFactory,
    OpportunityFactory,
    TeamFactory,
    TransactionFactory,
    UserFactory,
    VisitFactory,
)
from users.models import Role, Team, User

SHANGHAI = ZoneInfo("Asia/Shanghai")
AS_OF = date(2026, 6, 30)  # the second run's as-of date, and "today" for every reader
FIRST_AS_OF = date(2026, 3, 31)  # the first run's


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


# Each phase's frozen instant (timezone.now()).
PHASES = {
    "build": _at(date(2026, 3, 20), 9),
    "run1": _at(FIRST_AS_OF, 22),
    "between": _at(date(2026, 4, 15), 9),
    "run2": _at(AS_OF, 22),
    "after": _at(AS_OF, 22, 30),
    "read": _at(AS_OF, 23),
}


@contextmanager
def frozen_clock(phase: str) -> Iterator[None]:
    """`django.utils.timezone.now` (and so `localdate`, auto_now, the runs) at the phase's instant."""
    moment = PHASES[phase].astimezone(UTC)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


# --- The population -------------------------------------------------------------------------

USERS = {
    # key: (username, last name, first name, role)
    "admin": ("golden_admin", "赵", "敏", Role.ADMIN),
    "manager": ("golden_manager", "王", "芳", Role.MANAGER),
    "rep": ("golden_rep1", "张", "伟", Role.REP),
    "rep2": ("golden_rep2", "李", "娜", Role.REP),
    "rep3": ("golden_rep3", "陈", "刚", Role.REP),  # another team: the manager does not see his
}

INDUSTRY_FITS = [("制造业", 5, 4), ("医药", 4, 3), ("电子", 3, 5), ("新材料", 5, 5), ("海洋", 4, 4)]
FIT_CRITERIA = [("有海外工厂", Decimal("2"), True), ("年采购额超千万", Decimal("3"), True), ("决策链清晰", Decimal("1"), False)]  # fmt: skip


def _ago(days: int) -> date:
    return AS_OF - timedelta(days=days)


# name, owner, status, region, industry, (potential, demonstration, winnability),
# transactions [(days before AS_OF, amount, margin)], visits [(days before AS_OF, kind)], ticks
CUSTOMERS = [
    ("上海华信精密机械有限公司", "rep", "customer", "华东", "制造业", (5, 4, 4),
     [(10, 500_000, 90_000), (70, 400_000, 70_000), (200, 300_000, 50_000), (400, 800_000, 120_000)],
     [(3, "visit"), (40, "executive")], ["有海外工厂"]),
    ("南京百川生物医药有限公司", "rep", "customer", "华东", "医药", (4, 3, 3),
     [(30, 650_000, 80_000), (500, 700_000, 90_000)], [(20, "visit")], []),
    ("苏州恒达电子科技有限公司", "rep2", "customer", "华东", "电子", (3, 3, 2),
     [(45, 650_000, 60_000), (600, 300_000, 30_000)], [(100, "call")], []),
    ("杭州永盛汽车零部件有限公司", "rep2", "customer", "华东", "制造业", (2, 2, 3),
     [(15, 3_600_000, -50_000), (150, 2_000_000, 10_000), (420, 4_000_000, 100_000)], [(120, "visit")], []),
    ("深圳南方电子有限公司", "rep3", "customer", "华南", "电子", (5, 5, 4),
     [(5, 2_000_000, 300_000)], [(2, "site_visit")], []),
    ("广州天河贸易有限公司", "rep3", "customer", "华南", "贸易", (1, 1, 1),
     [(60, 90_000, 9_000), (380, 85_000, 8_000)], [], []),
    ("无锡蓝天化工有限公司", "rep", "customer", "华东", "化工", (3, 2, 2),
     [(400, 400_000, 40_000)], [(200, "visit")], []),
    ("宁波港城物流有限公司", "rep", "customer", "华东", "物流", (2, 3, 3),
     [(25, 120_000, 15_000)], [(25, "meeting")], []),
    ("合肥科大智能设备有限公司", "rep2", "customer", "华东", "制造业", (4, 4, 3),
     [(80, 300_000, 45_000), (450, 100_000, 12_000)], [(8, "visit")], ["年采购额超千万"]),
    ("常州龙城新材料有限公司", "rep2", "prospect", "华东", "新材料", (4, None, 3),
     [], [(12, "visit")], ["有海外工厂", "年采购额超千万", "决策链清晰"]),
    ("扬州瘦西湖食品有限公司", "rep", "prospect", "华东", "食品", (2, None, None), [], [], []),
    ("徐州矿山机械有限公司", "rep", "customer", "华东", "制造业", (3, 3, 3),
     [(100, 300_000, 30_000), (470, 400_000, 35_000)], [(95, "visit")], []),
    ("温州瓯江阀门有限公司", "rep2", "customer", "华东", "制造业", (3, 3, 3),
     [(50, 45_000, 5_000), (420, 60_000, 6_000)], [], []),
    ("嘉兴南湖纺织有限公司", "rep2", "customer", "华东", "纺织", (3, 3, 3),
     [(50, 45_000, 5_000), (420, 60_000, 6_000)], [], []),
    ("厦门鹭岛海洋科技有限公司", "rep3", "prospect", "华南", "海洋", (5, 3, 2), [], [], ["有海外工厂"]),
    ("佛山顺德家电有限公司", "rep3", "customer", "华南", "家电", (4, 3, 3),
     [(20, 1_500_000, 150_000), (500, 2_500_000, 250_000)], [(150, "visit")], []),
    ("成都天府软件有限公司", "manager", "customer", "西南", "软件", (4, 2, 2),
     [(35, 210_000, 60_000)], [(35, "visit")], []),
    ("北京中关村信息技术有限公司", None, "customer", "华北", "软件", (3, 2, 2),
     [(330, 900_000, 100_000), (40, 75_000, 7_000)], [], []),
    ("青岛海风啤酒有限公司", "rep", "customer", "华北", "食品", (2, 2, 2),
     [(90, 30_000, 3_000), (60, -30_000, -3_000)], [(60, "call")], []),
    ("天津滨海重工有限公司", "rep2", "customer", "华北", "制造业", (5, 4, 5),
     [(45, 3_000_000, 400_000), (300, 200_000, 20_000)], [(45, "executive")], []),
]  # fmt: skip
# Created between the runs (scored by the second only), and after both (never scored).
LATE_CUSTOMERS = [
    ("between", "重庆山城火锅连锁有限公司", "rep", "customer", "西南", "餐饮", (3, 2, 2),
     [(70, 50_000, 10_000)], [(70, "visit")], []),
    ("after", "西安古城文化传媒有限公司", "rep", "prospect", "西北", "文化", (3, None, None), [], [], []),
    ("after", "长沙湘江机电有限公司", "rep2", "customer", "华中", "制造业", (4, 3, 3),
     [(1, 20_000, 2_000)], [(1, "visit")], []),
]  # fmt: skip


def _users() -> dict[str, User]:
    users = {}
    for key, (username, last_name, first_name, role) in USERS.items():
        users[key] = UserFactory(
            username=username,
            last_name=last_name,
            first_name=first_name,
            role=role,
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
        )
    east = TeamFactory(name="华东一部")
    east.members.add(users["rep"], users["rep2"])
    east.managers.add(users["manager"])
    TeamFactory(name="华南一部").members.add(users["rep3"])
    return users


_references = iter(range(1, 10_000))


def _customer(users: dict[str, User], spec: tuple, criteria: dict[str, FitCriterion]) -> Customer:
    name, owner, status, region, industry, ratings, transactions, visits, ticks = spec
    potential, demonstration, winnability = ratings
    customer = CustomerFactory(
        name=name,
        owner=users[owner] if owner else None,
        status=status,
        region=region,
        industry=industry,
        potential=potential,
        demonstration=demonstration,
        winnability=winnability,
    )
    for days, amount, margin in transactions:
        TransactionFactory(
            customer=customer,
            reference=f"GOLDEN-{next(_references):05d}",
            occurred_on=_ago(days),
            amount=Decimal(amount),
            margin=Decimal(margin),
        )
    for days, kind in visits:
        VisitFactory(
            customer=customer,
            by=customer.owner or users["admin"],
            kind=kind,
            occurred_at=_at(_ago(days), 10),
            summary=f"{kind}:{name}",
        )
    customer.fit_criteria.add(*(criteria[label] for label in ticks))
    return customer


def _score(as_of: date) -> ScoringRun:
    run, _created = run_request(by=None, as_of=as_of, enqueue=False)
    return run_execute(run_id=run.pk)


def build_population() -> dict[str, User]:
    """The customers, scored on FIRST_AS_OF and AS_OF; returns the users by key."""
    global _references
    _references = iter(range(1, 10_000))
    with frozen_clock("build"):
        users = _users()
        for industry, need, capability in INDUSTRY_FITS:
            IndustryFit.objects.create(industry=industry, need=need, capability=capability)
        criteria = {
            label: FitCriterion.objects.create(label=label, weight=weight, is_active=active, position=i)
            for i, (label, weight, active) in enumerate(FIT_CRITERIA)
        }
        customers = {spec[0]: _customer(users, spec, criteria) for spec in CUSTOMERS}
        # rep sees a customer of another team through its account team.
        customers["厦门鹭岛海洋科技有限公司"].team_memberships.create(user=users["rep"], role="技术支持")
        # Open follow-ups (My day), and opportunities (an open one makes a prospect "acquisition").
        VisitFactory(
            customer=customers["南京百川生物医药有限公司"],
            by=users["rep"],
            occurred_at=_at(_ago(5), 15),
            summary="跟进报价",
            next_step="发送报价单",
            follow_up_on=_ago(1),
        )
        OpportunityFactory(
            customer=customers["常州龙城新材料有限公司"],
            title="龙城新材料首单",
            expected_amount=Decimal("800000.00"),
            stage="evaluation",
            probability=40,
            expected_close_on=date(2026, 9, 30),
        )
        OpportunityFactory(
            customer=customers["上海华信精密机械有限公司"],
            title="华信二期设备",
            expected_amount=Decimal("1200000.00"),
            stage="closing",
            probability=80,
            expected_close_on=date(2026, 7, 31),
        )
    with frozen_clock("run1"):
        _score(FIRST_AS_OF)
    with frozen_clock("between"):
        late = [spec[1:] for spec in LATE_CUSTOMERS if spec[0] == "between"]
        for spec in late:
            _customer(users, spec, criteria)
        Customer.objects.filter(name="扬州瘦西湖食品有限公司").update(potential=5)
    with frozen_clock("run2"):
        _score(AS_OF)
    with frozen_clock("after"):
        for spec in (spec[1:] for spec in LATE_CUSTOMERS if spec[0] == "after"):
            _customer(users, spec, criteria)
    return users


def clients_for(users: dict[str, User]) -> tuple[Client, Client, Client]:
    """Signed-in clients (English pages) of the admin, the manager and the rep."""
    clients = []
    for key in ("admin", "manager", "rep"):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(users[key])
        clients.append(client)
    return tuple(clients)


# --- Normalising --------------------------------------------------------------------------------


class _Names:
    """Database ids → names, read once the population is built."""

    def __init__(self) -> None:
        self.customers = dict(Customer.objects.values_list("pk", "name"))
        self.users = dict(User.objects.values_list("pk", "username"))
        self.teams = dict(Team.objects.values_list("pk", "name"))
        self.criteria = dict(FitCriterion.objects.values_list("pk", "label"))
        self.opportunities = dict(Opportunity.objects.values_list("pk", "title"))
        runs = ScoringRun.objects.order_by("as_of", "pk").values_list("pk", flat=True)
        self.runs = {pk: f"run{i}" for i, pk in enumerate(runs, start=1)}
        self.by_name = {name: pk for pk, name in self.customers.items()}
        self.user_ids = {username: pk for pk, username in self.users.items()}

    @staticmethod
    def _get(table: dict, kind: str):
        def name(value):
            if value is None or value == "":
                return value
            if isinstance(value, str) and value.isdigit():
                value = int(value)
            return table.get(value, f"<unknown {kind} {value}>")

        return name

    def customer(self, value):
        return self._get(self.customers, "customer")(value)

    def user(self, value):
        return self._get(self.users, "user")(value)

    def team(self, value):
        return self._get(self.teams, "team")(value)

    def run(self, value):
        if isinstance(value, dict):  # movements: {"id", "as_of", "finished_at"}
            return {**value, "id": self.run(value["id"]), "finished_at": when(value.get("finished_at"))}
        return self._get(self.runs, "run")(value)

    def criterion_list(self, values):
        return sorted(self._get(self.criteria, "fit criterion")(value) for value in values)

    def user_list(self, values):
        return sorted(self.user(value) for value in values)

    def opportunity(self, value):
        return self._get(self.opportunities, "opportunity")(value)


_INSTANTS = {moment.astimezone(UTC): phase for phase, moment in PHASES.items()}


def when(value):
    """A timestamp as the phase it was taken in ("<time:run2>"); None stays None."""
    if value is None or value == "":
        return value
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)  # exports write local naive times
    return f"<time:{_INSTANTS.get(moment.astimezone(UTC), 'other')}>"


TIMESTAMPS = ("scored_at", "created_at", "updated_at", "started_at", "finished_at")


def _walk(value, rules: dict[str, Callable]):
    if isinstance(value, dict):
        return {key: rules[key](item) if key in rules else _walk(item, rules) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, rules) for item in value]
    return value


def _plain(value):
    """JSON-able: Decimals and dates as text."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal | date):
        return str(value)
    return value


# --- HTML ---------------------------------------------------------------------------------------

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_BREAKS = {
    "tr", "td", "th", "dt", "dd", "li", "p", "div", "h1", "h2", "h3", "h4", "label", "option",
    "summary", "section", "table", "ul", "dl", "thead", "tbody", "span", "a", "time",
}  # fmt: skip


class _Capture(HTMLParser):
    """The text of every element `match(tag, attrs, ancestors)` accepts, as a list of cells
    (text between element boundaries, whitespace collapsed)."""

    def __init__(self, match: Callable[[str, dict, list], bool]) -> None:
        super().__init__(convert_charrefs=True)
        self.match = match
        self.stack: list[tuple[str, dict, list | None]] = []
        self.found: list[list[str]] = []

    def _text(self, piece: str) -> None:
        for _tag, _attrs, pieces in self.stack:
            if pieces is not None:
                pieces.append(piece)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in _BREAKS:
            self._text("\n")
        if tag == "img" and attrs.get("alt"):  # the admin's boolean icons
            self._text(f"[{attrs['alt']}]")
        if tag in _VOID:
            return
        pieces = [] if self.match(tag, attrs, self.stack) else None
        if pieces is not None:
            self.found.append(pieces)
        self.stack.append((tag, attrs, pieces))

    def handle_startendtag(self, tag, attrs):
        if tag in _BREAKS:
            self._text("\n")

    def handle_endtag(self, tag):
        if tag in _BREAKS:
            self._text("\n")
        if tag in _VOID or all(open_tag != tag for open_tag, _attrs, _pieces in self.stack):
            return
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data):
        self._text(data)

    def cells(self) -> list[list[str]]:
        return [
            [" ".join(line.split()) for line in "".join(pieces).split("\n") if line.strip()]
            for pieces in self.found
        ]


def html_cells(html: str, match: Callable[[str, dict, list], bool]) -> list[list[str]]:
    parser = _Capture(match)
    parser.feed(html)
    parser.close()
    return parser.cells()


def testid(*names: str) -> Callable[[str, dict, list], bool]:
    return lambda tag, attrs, stack: attrs.get("data-testid") in names


# --- Asking the readers ----------------------------------------------------------------------


class _Reader:
    def __init__(self, clients: dict[str, Client], names: _Names) -> None:
        self.clients = clients
        self.names = names
        self.queries: dict[str, int] = {}

    def get(self, who: str, path: str, params: dict | None = None, *, language: str = "en"):
        url = f"{path}?{urlencode(params)}" if params else path
        ContentType.objects.clear_cache()
        with CaptureQueriesContext(connection) as queries:
            response = self.clients[who].get(url, HTTP_ACCEPT_LANGUAGE=language)
            body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200, (who, url, response.status_code, body[:500])
        self.queries[f"{who} {language} {url}"] = len(queries)
        return response, body

    def json(self, who: str, path: str, params: dict | None = None, *, language: str = "en"):
        return json.loads(self.get(who, path, params, language=language)[1])

    def html(self, who: str, path: str, params: dict | None = None, *, language: str = "en") -> str:
        return self.get(who, path, params, language=language)[1].decode()


def _customer_rules(names: _Names) -> dict[str, Callable]:
    return {
        "id": names.customer,
        "parent": names.customer,
        "referred_by": names.customer,
        "owner": names.user,
        "account_team": names.user_list,
        "fit_criteria": names.criterion_list,
        **dict.fromkeys(TIMESTAMPS, when),
    }


def _dashboard_rules(names: _Names) -> dict[str, Callable]:
    return {
        "id": names.customer,
        "customer": names.customer,
        "owner": names.user,
        "rep": names.user,
        "team": names.team,
        "run": names.run,
        **dict.fromkeys(TIMESTAMPS, when),
    }


# The compact view of a customer in a list read many ways: what ordering and filters decide on.
COMPACT = ("name", "score", "sales_12m", "sales_rank", "tier", "abc_class", "is_key_account", "scored_at")

# Every ordering the lists offer (accounts.selectors.CUSTOMER_ORDERINGS).
ORDERINGS = (
    "name", "-name", "score", "-score", "fit_score", "-fit_score", "sales_12m", "-sales_12m",
    "updated_at", "-updated_at", "last_visit_at", "-last_visit_at",
)  # fmt: skip

API_LIST_QUERIES: list[dict] = [
    *({"ordering": ordering} for ordering in ORDERINGS),
    *({"tier": tier} for tier in ("platinum", "gold", "iron", "lead")),
    *({"abc_class": cls, "ordering": "-sales_12m"} for cls in ("A", "B", "C")),
    {"is_key_account": "true", "ordering": "-score"},
    {"is_key_account": "false", "ordering": "score"},
    {"status": "prospect", "ordering": "-score"},
    {"region": "华东", "ordering": "sales_12m"},
    {"industry": "制造业", "ordering": "-score"},
    {"fit_score_min": "50", "ordering": "-fit_score"},
    {"search": "电子", "ordering": "-score"},
    {"search": "nanjing"},
    {"search": "youxian", "ordering": "-sales_12m"},
    {"tier": "gold", "ordering": "-sales_12m"},
    {"tier": "lead", "ordering": "score"},
    {"credit_risk": "false", "ordering": "-score"},
    {"owner": "<rep>", "ordering": "-score"},
]

PAGE_QUERIES: list[dict] = [
    {},
    *({"ordering": ordering} for ordering in ("-score", "score", "-sales_12m", "sales_12m", "-fit_score")),
    {"tier": "gold"},
    {"tier": "lead", "ordering": "-score"},
    {"abc_class": "A", "ordering": "-sales_12m"},
    {"is_key_account": "yes", "ordering": "-score"},
    {"is_key_account": "no", "ordering": "-sales_12m"},
    {"search": "电子", "ordering": "-score"},
    {"owner": "<rep>", "ordering": "score"},
]

EXPORT_QUERIES: list[dict] = [
    {},
    {"ordering": "-score"},
    {"ordering": "sales_12m"},
    {"tier": "iron", "ordering": "-sales_12m"},
    {"is_key_account": "yes"},
]

DASHBOARDS = ("pyramid", "pareto", "matrix", "movements", "concentration", "churn", "funnel", "activity", "trend")  # fmt: skip
PERIOD = {"start": str(AS_OF - timedelta(days=29)), "end": str(AS_OF)}


def _label(params: dict) -> str:
    return urlencode(params) if params else "(default)"


def _resolve(params: dict, names: _Names) -> dict:
    """`<rep>` → the rep's user id (ids differ from one build to the next)."""
    return {
        key: names.user_ids["golden_rep1"] if value == "<rep>" else value for key, value in params.items()
    }


def _customer_api(read: _Reader, names: _Names, out: dict) -> None:
    rules = _customer_rules(names)
    full, compact, details = {}, {}, {}
    for who in read.clients:
        data = read.json(who, "/api/v1/customers/")
        assert data["next"] is None, "the population fits on one page"
        full[who] = _walk(data["results"], rules)
        compact[who] = {}
        for params in API_LIST_QUERIES:
            data = read.json(who, "/api/v1/customers/", _resolve(params, names))
            compact[who][_label(params)] = [
                [row[key] for key in COMPACT] for row in _walk(data["results"], rules)
            ]
    for pk, name in sorted(names.customers.items(), key=lambda item: item[1]):
        details[name] = _walk(read.json("admin", f"/api/v1/customers/{pk}/"), rules)
    out["api_customer_list"] = full
    out["api_customer_list_compact"] = compact
    out["api_customer_detail"] = details
    out["api_customer_shortlist"] = {
        who: _walk(read.json(who, "/api/v1/customers/shortlist/")["results"], rules) for who in read.clients
    }


def _customer_pages(read: _Reader, names: _Names, out: dict) -> None:
    pages = {}
    for who in read.clients:
        pages[who] = {}
        for params in PAGE_QUERIES:
            html = read.html(who, "/customers/", _resolve(params, names))
            count = html_cells(html, testid("customer-count"))
            pages[who][_label(params)] = {"count": count, "rows": html_cells(html, testid("customer-row"))}
    out["page_customer_list"] = pages
    detail, history, service = {}, {}, {}
    for pk, name in sorted(names.customers.items(), key=lambda item: item[1]):
        html = read.html("admin", f"/customers/{pk}/")
        detail[name] = {
            "head": html_cells(html, testid("customer-head")),
            "scoring": html_cells(html, testid("scoring")),
            "sales": html_cells(html, testid("sales")),
        }
        history[name] = html_cells(
            read.html("admin", f"/scoring/customers/{pk}/history/"), testid("score-history")
        )
        service[name] = html_cells(
            read.html("admin", f"/service-levels/customers/{pk}/panel/"), testid("service-level")
        )
    out["page_customer_detail"] = detail
    out["page_score_history_panel"] = history
    out["page_service_level_panel"] = service
    # The same pages in the site's language (zh-hans): labels come from the catalogue.
    chinese = {}
    for name in ("天津滨海重工有限公司", "西安古城文化传媒有限公司"):
        html = read.html("admin", f"/customers/{names.by_name[name]}/", language="zh-hans")
        chinese[name] = html_cells(html, testid("customer-head", "scoring"))
    html = read.html("rep", "/customers/", {"ordering": "-score"}, language="zh-hans")
    chinese["list"] = html_cells(html, testid("customer-table"))
    out["page_zh_hans"] = chinese
    out["page_shortlist"] = {
        who: html_cells(read.html(who, "/customers/shortlist/"), testid("shortlist-row"))
        for who in read.clients
    }


def _csv_rows(body: bytes, rules: dict[str, Callable]) -> list[dict]:
    return _walk(list(csv.DictReader(io.StringIO(body.decode("utf-8-sig")))), rules)


def _exports(read: _Reader, names: _Names, out: dict) -> None:
    from openpyxl import load_workbook

    exports = {}
    for who in read.clients:
        exports[who] = {}
        for params in EXPORT_QUERIES if who == "admin" else EXPORT_QUERIES[:2]:
            _response, body = read.get(who, "/customers/export.csv", _resolve(params, names))
            exports[who][_label(params)] = _csv_rows(body, {"id": names.customer, "scored_at": when})
    out["export_csv"] = exports
    xlsx = {}
    for params in ({}, {"ordering": "-score"}):
        _response, body = read.get("admin", "/customers/export.xlsx", params)
        sheet = load_workbook(io.BytesIO(body), read_only=True).active
        header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        xlsx[_label(params)] = [
            _walk(_plain(dict(zip(header, row, strict=True))), {"id": names.customer, "scored_at": when})
            for row in rows
        ]
    out["export_xlsx"] = xlsx


def _scoring(read: _Reader, names: _Names, out: dict) -> None:
    rules = _dashboard_rules(names)
    out["api_scoring_summary"] = {who: read.json(who, "/api/v1/scoring/summary/") for who in read.clients}
    out["api_scoring_runs"] = _walk(
        read.json("admin", "/api/v1/scoring/runs/")["results"], {**rules, "id": names.run}
    )
    out["api_score_history"] = {
        name: _walk(read.json("admin", f"/api/v1/customers/{pk}/score-history/"), rules)
        for pk, name in sorted(names.customers.items(), key=lambda item: item[1])
    }
    dashboards = {}
    for who in read.clients:
        dashboards[who] = {}
        for name in (*DASHBOARDS, "coverage", "aging"):
            dashboards[who][name] = _walk(read.json(who, f"/api/v1/dashboard/{name}/", PERIOD), rules)
    east = next(pk for pk, name in names.teams.items() if name == "华东一部")
    for name in DASHBOARDS:
        dashboards["manager"][f"{name}?region=华东"] = _walk(
            read.json("manager", f"/api/v1/dashboard/{name}/", {**PERIOD, "region": "华东"}), rules
        )
        dashboards["admin"][f"{name}?team"] = _walk(
            read.json("admin", f"/api/v1/dashboard/{name}/", {**PERIOD, "team": east}), rules
        )
        _response, body = read.get("admin", f"/api/v1/dashboard/{name}/", {**PERIOD, "download": "csv"})
        dashboards["admin"][f"{name}.csv"] = _csv_rows(body, rules)
    out["api_dashboard"] = dashboards
    out["page_scoring_home_summary"] = {
        who: html_cells(read.html(who, "/scoring/"), testid("summary")) for who in ("admin", "manager")
    }


def _my_day(read: _Reader, names: _Names, out: dict) -> None:
    sections = ("follow-ups", "coverage-due", "recent-activity")
    out["page_my_day"] = {
        who: {section: html_cells(read.html(who, "/my-day/"), testid(section)) for section in sections}
        for who in read.clients
    }


def _pipeline(read: _Reader, names: _Names, out: dict) -> None:
    rules = {**_dashboard_rules(names), "id": names.opportunity}
    pipeline = {}
    for who in read.clients:
        for tier in ("", "platinum", "gold", "iron", "lead"):
            params = {"tier": tier} if tier else {}
            rows = read.json(who, "/api/v1/opportunities/", params)["results"]
            pipeline[f"{who} opportunities {_label(params)}"] = sorted(
                (row["title"], names.customer(row["customer"]), row["stage"]) for row in rows
            )
            forecast = read.json(who, "/api/v1/pipeline/forecast/", params)
            pipeline[f"{who} forecast {_label(params)}"] = _walk(forecast, rules)
    out["api_pipeline_by_tier"] = pipeline


def _admin(read: _Reader, names: _Names, out: dict) -> None:
    def result_row(tag, attrs, stack):
        return (
            tag == "tr"
            and any(a.get("id") == "result_list" for _t, a, _p in stack)
            and stack[-1][0] == "tbody"
        )

    def result_head(tag, attrs, stack):
        return tag == "thead" and any(a.get("id") == "result_list" for _t, a, _p in stack)

    changelist = {}
    # list_display, after the action checkbox: … 7 tier, 8 abc_class, 9 score, 10 sales_12m
    for params in (
        {},
        {"o": "9"},
        {"o": "-9"},
        {"o": "10"},
        {"o": "-10"},
        {"o": "7.-9"},
        {"tier__exact": "gold"},
    ):
        html = read.html("admin", "/admin/accounts/customer/", params)
        changelist[_label(params)] = {
            "head": html_cells(html, result_head),
            "rows": html_cells(html, result_row),
        }
    out["admin_customer_changelist"] = changelist
    fields = Customer.SCORING_FIELDS

    def readonly(tag, attrs, stack):
        return tag == "div" and any(f"field-{name}" in attrs.get("class", "").split() for name in fields)

    change = {}
    for pk, name in sorted(names.customers.items(), key=lambda item: item[1]):
        change[name] = html_cells(read.html("admin", f"/admin/accounts/customer/{pk}/change/"), readonly)
    for name in ("天津滨海重工有限公司", "西安古城文化传媒有限公司"):
        html = read.html(
            "admin", f"/admin/accounts/customer/{names.by_name[name]}/change/", language="zh-hans"
        )
        change[f"{name} (zh-hans)"] = html_cells(html, readonly)
    html = read.html("admin", "/admin/accounts/customer/", {"o": "-9"}, language="zh-hans")
    out["admin_customer_changelist"]["o=-9 (zh-hans)"] = {
        "head": html_cells(html, result_head),
        "rows": html_cells(html, result_row),
    }
    out["admin_customer_change"] = change


def _api_description(read: _Reader, out: dict) -> None:
    fields = Customer.SCORING_FIELDS
    out["api_schema_customer"] = {}
    for language in ("en", "zh-hans"):
        schema = read.json("admin", "/api/schema/", {"format": "json"}, language=language)
        component = schema["components"]["schemas"]["Customer"]
        out["api_schema_customer"][language] = {
            "properties": {name: component["properties"].get(name) for name in fields},
            "required": sorted(set(component.get("required", [])) & set(fields)),
        }
    options = {}
    for language in ("en", "zh-hans"):
        response = read.clients["admin"].options("/api/v1/customers/", HTTP_ACCEPT_LANGUAGE=language)
        post = json.loads(response.content).get("actions", {}).get("POST", {})
        options[language] = {name: post.get(name) for name in fields}
    out["api_options_customer"] = options


def dump_readers(client_for_admin: Client, client_for_manager: Client, client_for_rep: Client) -> dict:
    """What every reader of the scoring results answers, as JSON-able data (see the module)."""
    clients = {"admin": client_for_admin, "manager": client_for_manager, "rep": client_for_rep}
    out: dict = {}
    with frozen_clock("read"):
        names = _Names()
        read = _Reader(clients, names)
        _customer_api(read, names, out)
        _customer_pages(read, names, out)
        _exports(read, names, out)
        _scoring(read, names, out)
        _my_day(read, names, out)
        _pipeline(read, names, out)
        _admin(read, names, out)
        _api_description(read, out)
    out["query_counts"] = _query_counts(read.queries, names)
    return json.loads(json.dumps(_plain(out), default=str))


def _query_counts(queries: dict[str, int], names: _Names) -> dict[str, int]:
    """Queries per request, the ids in its URL named."""
    counts = {}
    for key, count in queries.items():
        for pk, name in names.customers.items():
            key = key.replace(f"/{pk}/", f"/<{name}>/")
        for username, pk in names.user_ids.items():
            key = key.replace(f"owner={pk}", f"owner=<{username}>")
        for pk, name in names.teams.items():
            key = key.replace(f"team={pk}", f"team=<{name}>")
        counts[key] = count
    return counts


def write_json(data: dict, path: str | Path) -> None:
    Path(path).write_text(json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False) + "\n")
