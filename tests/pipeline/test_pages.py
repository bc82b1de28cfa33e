"""The pipeline pages: who sees what, the board's columns, moves through the gates (refused,
ticked, overridden), lost reasons, bad input, and how many queries each page runs.

Assertions look at data (ids, amounts, data-testid hooks, gate item labels), never at
translated labels.
"""

import re
from datetime import date
from decimal import Decimal

import pytest

from pipeline import selectors
from pipeline.models import GateCheck, Opportunity, StageChange, StageGateItem
from pipeline.services import gate_check_set, opportunity_create, opportunity_move
from tests.factories import ContactFactory, CustomerFactory, OpportunityFactory, UserFactory, VisitFactory
from users.models import Role

pytestmark = pytest.mark.django_db

FETCH = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
TARGET_ITEMS = ["存在潜在需求", "已首次接触", "“有没有机会？”答案为是"]


def page_html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def card_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-testid="card" data-opportunity-id="(\d+)"', html)]


def columns(html: str) -> dict[str, tuple[int, str]]:
    """Each board column's (count, amount) from its data attributes."""
    found = re.findall(r'data-column="(\w+)" data-count="(\d+)" data-amount="([\d.]+)"', html)
    return {stage: (int(count), amount) for stage, count, amount in found}


def gate_items(html: str) -> dict[str, str]:
    """The gate checklist shown: label → data-met ('1' or '0')."""
    items = re.findall(
        r'data-testid="gate-item" data-item-id="\d+" data-met="([01])".*?data-testid="gate-label">([^<]+)<',
        html,
        flags=re.S,
    )
    return {label: met for met, label in items}


def snapshot(opportunity: Opportunity) -> tuple:
    row = Opportunity.objects.get(pk=opportunity.pk)
    return (
        row.stage,
        row.title,
        row.expected_amount,
        row.probability,
        row.owner_id,
        row.lost_reason,
        StageChange.objects.filter(opportunity=row).count(),
        GateCheck.objects.filter(opportunity=row).count(),
    )


@pytest.fixture
def prospect(rep):
    return CustomerFactory(
        owner=rep, name="苏州新材料有限公司", status="prospect", region="华东", tier="gold"
    )


@pytest.fixture
def opportunity(prospect, rep, gate_items):
    return opportunity_create(
        customer=prospect, by=rep, title="年度框架协议", expected_amount=Decimal(500_000)
    )


@pytest.fixture
def theirs(other_rep, gate_items):
    customer = CustomerFactory(owner=other_rep, name="广州南方电子有限公司", region="华南")
    return opportunity_create(
        customer=customer, by=other_rep, title="华南项目", expected_amount=Decimal(80_000)
    )


def tick_manual(opportunity, by):
    for item in StageGateItem.objects.filter(stage=opportunity.stage, rule=""):
        gate_check_set(opportunity=opportunity, item=item, checked=True, by=by)


# --- Access ----------------------------------------------------------------------------------


def test_pages_need_a_login(client, opportunity):
    for url in (
        "/pipeline/",
        "/pipeline/list/",
        "/pipeline/forecast/",
        f"/pipeline/opportunities/{opportunity.pk}/",
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize(
    "path",
    [
        "/pipeline/opportunities/{opportunity}/",
        "/pipeline/opportunities/{opportunity}/edit/",
        "/pipeline/customers/{customer}/panel/",
        "/customers/{customer}/opportunities/new/",
    ],
)
def test_another_reps_opportunity_does_not_exist_for_a_rep(client, rep, theirs, path):
    client.force_login(rep)
    assert client.get(path.format(opportunity=theirs.pk, customer=theirs.customer_id)).status_code == 404


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/pipeline/opportunities/{opportunity}/move/", {"to": "information"}),
        ("/pipeline/opportunities/{opportunity}/move/", {"to": "information", "override_reason": "试试"}),
        ("/pipeline/opportunities/{opportunity}/move/", {"to": "lost", "reason": "不要了"}),
        ("/pipeline/opportunities/{opportunity}/gate/", {"items": "{item}", "checked": "{item}"}),
        ("/pipeline/opportunities/{opportunity}/edit/", {"title": "改了", "expected_amount": "1"}),
        ("/customers/{customer}/opportunities/new/", {"title": "新的", "expected_amount": "1"}),
    ],
)
@pytest.mark.parametrize("headers", [{}, FETCH], ids=["form", "fetch"])
def test_another_reps_opportunity_cannot_be_changed(client, rep, theirs, path, data, headers):
    item = StageGateItem.objects.get(stage="target", label="存在潜在需求")
    before = snapshot(theirs)
    client.force_login(rep)

    url = path.format(opportunity=theirs.pk, customer=theirs.customer_id)
    response = client.post(url, {key: value.format(item=item.pk) for key, value in data.items()}, **headers)

    assert response.status_code == 404
    assert snapshot(theirs) == before
    assert Opportunity.objects.count() == 1


def test_a_manager_sees_the_team_but_not_other_teams(client, manager, opportunity, theirs):
    client.force_login(manager)
    assert card_ids(page_html(client.get("/pipeline/"))) == [opportunity.pk]
    assert page_html(client.get(f"/pipeline/opportunities/{opportunity.pk}/"))
    assert client.get(f"/pipeline/opportunities/{theirs.pk}/").status_code == 404


def test_the_board_list_and_forecast_leave_out_what_one_cannot_see(client, rep, opportunity, theirs):
    client.force_login(rep)
    board = page_html(client.get("/pipeline/"))
    assert card_ids(board) == [opportunity.pk]
    assert "华南项目" not in board
    listing = page_html(client.get("/pipeline/list/"))
    assert re.findall(r'data-testid="opportunity-row" data-opportunity-id="(\d+)"', listing) == [
        str(opportunity.pk)
    ]
    forecast = page_html(client.get("/pipeline/forecast/"))
    assert 'data-testid="open-amount" data-value="500000.00"' in forecast
    # A gate asked for by id shows only for a visible opportunity.
    assert 'data-testid="gate"' not in page_html(client.get("/pipeline/", {"gate": theirs.pk}))


# --- The board -------------------------------------------------------------------------------


@pytest.fixture
def spread(rep, manager, prospect, gate_items):
    """Opportunities in several stages, owners and months."""
    other_customer = CustomerFactory(owner=rep, region="华北", tier="iron")
    rows = [
        OpportunityFactory(customer=prospect, expected_amount=Decimal(100_000), expected_close_on=date(2036, 12, 15)),
        OpportunityFactory(customer=prospect, expected_amount=Decimal(50_000), expected_close_on=date(2037, 1, 5)),
        OpportunityFactory(customer=other_customer, stage="evaluation", probability=40, expected_amount=Decimal(200_000)),
        OpportunityFactory(customer=prospect, stage="closing", probability=80, expected_amount=Decimal(300_000),
                           owner=manager),
        OpportunityFactory(customer=prospect, stage="won", probability=100, expected_amount=Decimal(70_000)),
        OpportunityFactory(customer=prospect, stage="lost", probability=0, lost_reason="价格", expected_amount=Decimal(9_000)),
    ]  # fmt: skip
    return rows


def test_board_columns_count_and_sum(client, rep, spread, theirs):
    client.force_login(rep)

    html = page_html(client.get("/pipeline/"))

    assert columns(html) == {
        "target": (2, "150000.00"),
        "information": (0, "0.00"),
        "evaluation": (1, "200000.00"),
        "relationship": (0, "0.00"),
        "closing": (1, "300000.00"),
        "won": (1, "70000.00"),
        "lost": (1, "9000.00"),
    }
    assert sorted(card_ids(html)) == sorted(row.pk for row in spread)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"region": "华北"}, [2]),
        ({"tier": "gold"}, [0, 1, 3, 4, 5]),
        ({"close_month": "2036-12"}, [0]),
        ({"owner": "{manager}"}, [3]),
        ({"team": "{team}"}, [0, 1, 2, 4, 5]),  # the manager manages the team, is not a member
    ],
)
def test_board_filters(client, rep, manager, team, spread, query, expected):
    client.force_login(rep)
    params = {key: value.format(manager=manager.pk, team=team.pk) for key, value in query.items()}

    html = page_html(client.get("/pipeline/", params))

    assert sorted(card_ids(html)) == sorted(spread[index].pk for index in expected)
    assert 'data-testid="filter-errors"' not in html


def test_a_tampered_filter_is_reported_and_ignored(client, rep, spread):
    client.force_login(rep)
    html = page_html(client.get("/pipeline/", {"owner": "abc", "close_month": "2026-13", "region": "华北"}))
    assert 'data-testid="filter-error-owner"' in html
    assert 'data-testid="filter-error-close_month"' in html
    assert card_ids(html) == [spread[2].pk]  # the valid filter still applies


def test_a_long_column_brings_only_its_first_cards(rep, prospect):
    OpportunityFactory.create_batch(3, customer=prospect, stage="lost", probability=0, lost_reason="价格")
    OpportunityFactory(customer=prospect)

    board = {column.stage: column for column in selectors.board(user=rep, cards_per_column=2)}

    assert (board["lost"].count, len(board["lost"].cards)) == (3, 2)
    assert (board["target"].count, len(board["target"].cards)) == (1, 1)


# --- Moves through the gates -----------------------------------------------------------------


def test_a_refused_move_shows_the_unmet_items_on_the_card(client, rep, opportunity):
    client.force_login(rep)

    response = client.post(
        f"/pipeline/opportunities/{opportunity.pk}/move/",
        {"to": "information", "next": "/pipeline/?tier=gold"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/pipeline/?tier=gold&gate={opportunity.pk}#gate-{opportunity.pk}"
    html = page_html(client.get(response["Location"]))
    assert gate_items(html) == dict.fromkeys(TARGET_ITEMS, "0")
    assert f'id="gate-{opportunity.pk}"' in html
    assert 'data-testid="override-reason"' not in html  # a rep cannot override
    assert snapshot(opportunity)[0] == "target"


def test_a_refused_move_answers_fetch_with_the_checklist(client, rep, opportunity):
    VisitFactory(customer=opportunity.customer, by=rep)
    client.force_login(rep)

    response = client.post(
        f"/pipeline/opportunities/{opportunity.pk}/move/",
        {"to": "information", "next": "/pipeline/"},
        **FETCH,
    )

    assert response.status_code == 200
    assert response.json()["ok"] is False
    assert gate_items(response.json()["gate_html"]) == {
        "存在潜在需求": "0",
        "已首次接触": "1",  # the visit meets it
        "“有没有机会？”答案为是": "0",
    }
    assert snapshot(opportunity)[0] == "target"


def test_ticking_the_manual_items_then_moving_succeeds(client, rep, opportunity):
    client.force_login(rep)
    manual = list(StageGateItem.objects.filter(stage="target", rule=""))

    ticked = client.post(
        f"/pipeline/opportunities/{opportunity.pk}/gate/",
        {
            "items": [item.pk for item in manual],
            "checked": [item.pk for item in manual],
            "next": "/pipeline/",
        },
        **FETCH,
    )

    assert ticked.status_code == 200
    assert gate_items(ticked.json()["gate_html"]) == {
        "存在潜在需求": "1",
        "已首次接触": "0",
        "“有没有机会？”答案为是": "1",
    }
    assert set(GateCheck.objects.values_list("item_id", "checked_by")) == {
        (item.pk, rep.pk) for item in manual
    }

    VisitFactory(customer=opportunity.customer, by=rep)  # the first contact
    moved = client.post(
        f"/pipeline/opportunities/{opportunity.pk}/move/", {"to": "information", "next": "/pipeline/"}
    )

    assert moved.status_code == 302
    assert moved["Location"] == "/pipeline/"
    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.probability) == ("information", 25)
    change = StageChange.objects.filter(opportunity=opportunity).last()
    assert (change.from_stage, change.to_stage, change.by, change.override_reason) == (
        "target",
        "information",
        rep,
        "",
    )
    assert card_ids(page_html(client.get("/pipeline/"))) == [opportunity.pk]
    assert columns(page_html(client.get("/pipeline/")))["information"] == (1, "500000.00")


def test_a_single_tick_and_untick_without_javascript(client, rep, opportunity):
    client.force_login(rep)
    first, _visit, last = StageGateItem.objects.filter(stage="target").order_by("position")
    url = f"/pipeline/opportunities/{opportunity.pk}/gate/"

    response = client.post(url, {"items": [first.pk, last.pk], "checked": [first.pk], "next": "/pipeline/"})
    assert response["Location"] == f"/pipeline/?gate={opportunity.pk}#gate-{opportunity.pk}"
    assert list(GateCheck.objects.values_list("item_id", flat=True)) == [first.pk]

    client.post(url, {"items": [first.pk], "next": "/pipeline/"})
    assert not GateCheck.objects.exists()


@pytest.mark.parametrize(
    "tampered",
    [
        lambda items: {
            "items": [items["manual"], items["rule"]],
            "checked": [items["manual"], items["rule"]],
        },
        lambda items: {
            "items": [items["manual"], items["closing"]],
            "checked": [items["manual"], items["closing"]],
        },
        lambda items: {"items": [items["manual"], "abc"], "checked": [items["manual"]]},
        lambda items: {"items": [items["manual"]], "checked": [items["other_manual"]]},
        lambda items: {"checked": [items["manual"]]},
    ],
    ids=["data-rule item", "another stage's item", "not an id", "ticked but not shown", "no items"],
)
def test_a_tampered_checklist_writes_nothing(client, rep, opportunity, tampered):
    target = StageGateItem.objects.filter(stage="target")
    items = {
        "manual": target.filter(rule="").order_by("position")[0].pk,
        "other_manual": target.filter(rule="").order_by("position")[1].pk,
        "rule": target.get(rule="has_visit").pk,
        "closing": StageGateItem.objects.filter(stage="closing", rule="").first().pk,
    }
    client.force_login(rep)

    response = client.post(f"/pipeline/opportunities/{opportunity.pk}/gate/", tampered(items), **FETCH)

    assert response.status_code == 400
    assert response.json()["errors"]
    assert not GateCheck.objects.exists()


def test_ids_no_database_could_hold_are_bad_input_not_errors(client, manager, opportunity):
    huge = "9" * 25
    client.force_login(manager)
    ticked = client.post(
        f"/pipeline/opportunities/{opportunity.pk}/gate/", {"items": [huge], "checked": [huge]}, **FETCH
    )
    assert ticked.status_code == 400
    assert client.get(f"/pipeline/opportunities/{huge}/").status_code == 404
    assert client.get(f"/pipeline/customers/{huge}/panel/").status_code == 404
    assert 'data-testid="filter-error-owner"' in page_html(
        client.get("/pipeline/", {"gate": huge, "owner": huge})
    )
    created = client.post(
        f"/customers/{opportunity.customer_id}/opportunities/new/",
        {"title": "新的", "expected_amount": "1", "owner": huge},
    )
    assert 'data-testid="error-owner"' in page_html(created)
    assert Opportunity.objects.count() == 1
    assert not GateCheck.objects.exists()


def test_a_manager_overrides_a_gate_with_a_reason(client, manager, opportunity):
    client.force_login(manager)
    html = page_html(client.get(f"/pipeline/opportunities/{opportunity.pk}/"))
    assert 'data-testid="override-reason"' in html

    response = client.post(
        f"/pipeline/opportunities/{opportunity.pk}/move/",
        {"to": "information", "override_reason": "老客户转介绍，已充分接触", "next": "/pipeline/"},
        **FETCH,
    )

    assert response.status_code == 200
    assert response.json() == {"ok": True, "redirect": "/pipeline/"}
    change = StageChange.objects.filter(opportunity=opportunity).last()
    assert (change.to_stage, change.by, change.override_reason) == (
        "information",
        manager,
        "老客户转介绍，已充分接触",
    )
    assert change.unmet_items == TARGET_ITEMS
    history = page_html(client.get(f"/pipeline/opportunities/{opportunity.pk}/"))
    assert 'data-testid="history-override-reason"' in history
    assert "老客户转介绍，已充分接触" in history


@pytest.mark.parametrize("headers", [{}, FETCH], ids=["form", "fetch"])
def test_a_rep_cannot_override(client, rep, opportunity, headers):
    before = snapshot(opportunity)
    client.force_login(rep)

    response = client.post(
        f"/pipeline/opportunities/{opportunity.pk}/move/",
        {"to": "information", "override_reason": "我觉得可以", "next": "/pipeline/"},
        **headers,
    )

    assert response.status_code == (403 if headers else 302)
    assert snapshot(opportunity) == before


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"to": "closing"}, 200),  # more than one step: refused, as the page expects
        ({"to": "won"}, 200),
        ({"to": "target"}, 200),
        ({"to": "lost"}, 200),  # no reason
        ({"to": "lost", "reason": "   "}, 200),
        ({"to": "paused"}, 400),  # input no page sends
        ({"to": ""}, 400),
        ({"to": "information", "override_reason": "x" * 2001}, 400),
    ],
)
def test_a_bad_move_is_refused_and_changes_nothing(client, manager, opportunity, data, status):
    before = snapshot(opportunity)
    client.force_login(manager)

    response = client.post(f"/pipeline/opportunities/{opportunity.pk}/move/", data, **FETCH)

    assert response.status_code == status
    assert response.json()["ok"] is False
    assert response.json()["errors"]
    assert snapshot(opportunity) == before


def test_a_bad_move_without_javascript_comes_back_with_a_message(client, rep, opportunity):
    client.force_login(rep)
    response = client.post(
        f"/pipeline/opportunities/{opportunity.pk}/move/", {"to": "won", "next": "/pipeline/"}, follow=True
    )
    assert response.redirect_chain == [("/pipeline/", 302)]
    assert 'data-testid="message"' in response.content.decode()
    assert snapshot(opportunity)[0] == "target"


def test_mark_lost_with_a_reason(client, rep, opportunity):
    client.force_login(rep)

    response = client.post(
        f"/pipeline/opportunities/{opportunity.pk}/move/",
        {"to": "lost", "reason": "无则终止：客户无采购计划", "next": "/pipeline/"},
    )

    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.lost_reason, opportunity.probability) == (
        "lost",
        "无则终止：客户无采购计划",
        0,
    )
    html = page_html(client.get("/pipeline/"))
    assert columns(html)["lost"] == (1, "500000.00")
    assert 'data-testid="move-next"' not in html  # closed cards have no actions
    # A closed opportunity moves no more.
    again = client.post(f"/pipeline/opportunities/{opportunity.pk}/move/", {"to": "information"}, **FETCH)
    assert again.json()["ok"] is False
    assert Opportunity.objects.get(pk=opportunity.pk).stage == "lost"


def test_an_offsite_next_is_not_followed(client, rep, opportunity):
    client.force_login(rep)
    response = client.post(
        f"/pipeline/opportunities/{opportunity.pk}/move/",
        {"to": "lost", "reason": "价格", "next": "https://evil.example/"},
    )
    assert response["Location"] == f"/pipeline/opportunities/{opportunity.pk}/"


# --- The opportunity page, the forecast, the customer panel ----------------------------------


def test_the_opportunity_page_shows_gate_and_history(client, rep, manager, opportunity):
    tick_manual(opportunity, rep)
    opportunity_move(
        opportunity_id=opportunity.pk, to="information", by=manager, override_reason="客户已确认"
    )
    client.force_login(rep)

    html = page_html(client.get(f"/pipeline/opportunities/{opportunity.pk}/"))

    assert 'data-testid="opportunity-stage" data-stage="information"' in html
    assert gate_items(html) == {
        "已确定内线": "0",
        "已提供样品（如适用）": "0",
        "信息充分，含关键决策人档案": "0",
        "需求明确": "0",
    }
    assert re.findall(r'data-testid="history-row" data-from="(\w*)" data-to="(\w+)"', html) == [
        ("", "target"),
        ("target", "information"),
    ]
    assert "客户已确认" in html
    assert 'data-testid="override-reason"' not in html


def test_a_closed_opportunity_page_has_no_gate(client, rep, prospect, gate_items):
    won = OpportunityFactory(customer=prospect, stage="won", probability=100)
    client.force_login(rep)
    html = page_html(client.get(f"/pipeline/opportunities/{won.pk}/"))
    assert 'data-testid="gate"' not in html
    assert 'data-testid="mark-lost"' not in html


def test_the_forecast_page(client, rep, spread):
    client.force_login(rep)
    html = page_html(client.get("/pipeline/forecast/"))
    # Open: 100k×10% + 50k×10% + 200k×40% + 300k×80% = 335k.
    assert 'data-testid="open-weighted" data-value="335000.00"' in html
    assert re.findall(r'data-testid="forecast-row" data-weighted="([\d.]+)"', html)[:3] == [
        "10000.00",  # 2036-12
        "5000.00",  # 2037-01
        "320000.00",  # no date
    ]
    filtered = page_html(client.get("/pipeline/forecast/", {"region": "华北"}))
    assert 'data-testid="open-weighted" data-value="80000.00"' in filtered


def test_the_customer_panel_lists_the_customers_opportunities(client, rep, prospect, opportunity, spread):
    client.force_login(rep)
    html = page_html(client.get(f"/pipeline/customers/{prospect.pk}/panel/"))
    assert "<html" not in html  # a fragment
    shown = re.findall(
        r'data-testid="panel-opportunity" data-opportunity-id="(\d+)" data-stage="(\w+)"', html
    )
    expected = [opportunity, *(row for row in spread if row.customer_id == prospect.pk)]
    assert sorted(int(pk) for pk, _stage in shown) == sorted(row.pk for row in expected)
    assert [stage for _pk, stage in shown][-2:] == ["won", "lost"]  # open ones first
    assert f'href="/customers/{prospect.pk}/opportunities/new/"' in html


def test_the_customer_page_loads_the_panel(client, rep, prospect):
    client.force_login(rep)
    html = page_html(client.get(f"/customers/{prospect.pk}/"))
    assert f'data-panel-url="/pipeline/customers/{prospect.pk}/panel/"' in html


def test_the_nav_links_to_the_board(client, rep):
    client.force_login(rep)
    assert 'data-testid="nav-pipeline"' in page_html(client.get("/"))


# --- Query counts ----------------------------------------------------------------------------


def _fill(rep, n):
    for index in range(n):
        customer = CustomerFactory(owner=rep, region=f"区域{index % 3}", tier="gold")
        stage = ["target", "information", "evaluation", "closing", "won", "lost"][index % 6]
        OpportunityFactory(
            customer=customer, stage=stage, lost_reason="价格" if stage == "lost" else "",
            expected_close_on=date(2026, 1 + index % 12, 1),
        )  # fmt: skip


@pytest.mark.parametrize("n", [2, 24])
def test_the_board_runs_a_fixed_number_of_queries(client, rep, n, django_assert_num_queries):
    _fill(rep, n)
    client.force_login(rep)
    # session, user; filter choices: visibility check, owners, teams, regions, months;
    # the board: visibility check, column totals, the first cards of each column.
    with django_assert_num_queries(11):  # +1: the bell's unread count (base.html)
        page_html(client.get("/pipeline/"))


@pytest.mark.parametrize("n", [2, 40])
def test_the_list_runs_a_fixed_number_of_queries(client, rep, n, django_assert_num_queries):
    _fill(rep, n)
    client.force_login(rep)
    # session, user, 5 for the filter choices, visibility check, count, page.
    with django_assert_num_queries(11):  # +1: the bell's unread count (base.html)
        page_html(client.get("/pipeline/list/", {"tier": "gold"}))


@pytest.mark.parametrize("n", [1, 12])
def test_the_opportunity_page_runs_a_fixed_number_of_queries(
    client, rep, manager, prospect, gate_items, n, django_assert_num_queries
):
    opportunity = opportunity_create(customer=prospect, by=rep, title="多轮推进", expected_amount=Decimal(1))
    for index in range(n):
        VisitFactory(customer=prospect, by=rep, needs="交期" if index else "")
        ContactFactory(customer=prospect, buying_role="coach" if index else "decision_maker")
    tick_manual(opportunity, rep)
    opportunity_move(opportunity_id=opportunity.pk, to="information", by=manager, override_reason="x")
    for _ in range(n):  # a long history: moved to lost and back is not possible, so add rows
        StageChange.objects.create(
            opportunity=opportunity,
            from_stage="target",
            to_stage="information",
            by=manager,
            at=opportunity.created_at,
        )
    tick_manual(Opportunity.objects.get(pk=opportunity.pk), rep)
    client.force_login(rep)
    # session, user, visibility check, opportunity (+customer, owner), history (+by);
    # the gate: items, checks, visits, contacts.
    with django_assert_num_queries(10):  # +1: the bell's unread count (base.html)
        page_html(client.get(f"/pipeline/opportunities/{opportunity.pk}/"))


def test_viewing_pages_writes_nothing(client, rep, opportunity, spread):
    client.force_login(rep)
    before = [snapshot(row) for row in (opportunity, *spread)]
    for url in (
        "/pipeline/",
        "/pipeline/list/",
        "/pipeline/forecast/",
        f"/pipeline/opportunities/{opportunity.pk}/",
        f"/pipeline/customers/{opportunity.customer_id}/panel/",
    ):
        page_html(client.get(url))
    assert [snapshot(row) for row in (opportunity, *spread)] == before


def test_an_admin_sees_everything(client, admin_user, opportunity, theirs):
    UserFactory(role=Role.REP)
    client.force_login(admin_user)
    assert sorted(card_ids(page_html(client.get("/pipeline/")))) == sorted([opportunity.pk, theirs.pk])


def test_money_is_short_on_the_board_and_tiles_and_exact_in_tables(client, rep, prospect, gate_items):
    # Given an opportunity of ¥1,848,160 at 50%
    big = OpportunityFactory(customer=prospect, probability=50, expected_amount=Decimal("1848160.00"))
    client.force_login(rep)

    # Then in Chinese the board card and column show 万, the exact figure on hover
    board = page_html(client.get("/pipeline/"))
    card = re.search(rf'id="card-{big.pk}".*?</dl>', board, flags=re.S).group(0)
    assert '<span class="money" title="¥1,848,160">¥184.8万</span>' in card
    assert (
        '<span data-testid="column-amount"><span class="money" title="¥1,848,160">¥184.8万</span></span>'
        in board
    )
    assert '<span class="money" title="¥924,080">¥92.4万</span>' in board  # the column's weighted sum
    # the forecast tiles likewise, its tables exactly; the list and the opportunity page exactly
    forecast = page_html(client.get("/pipeline/forecast/"))
    assert 'data-value="1848160.00"><span class="money" title="¥1,848,160">¥184.8万</span>' in forecast
    assert '<td class="num hide-phone">¥1,848,160</td>' in forecast
    assert '<td class="num">¥924,080</td>' in forecast
    listed = page_html(client.get("/pipeline/list/"))
    assert 'data-testid="opportunity-amount">¥1,848,160</td>' in listed
    detail = page_html(client.get(f"/pipeline/opportunities/{big.pk}/"))
    assert 'data-testid="opportunity-amount">¥1,848,160</dd>' in detail

    # And in English the board keeps the exact figure, no 万
    english = page_html(client.get("/pipeline/", HTTP_ACCEPT_LANGUAGE="en"))
    assert '<span class="money">¥1,848,160</span>' in english
    assert "万" not in english
