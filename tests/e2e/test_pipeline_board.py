"""A rep works the pipeline board: a move refused by the stage gate shows the missing items on
the card; ticking them and logging the visit lets the retry through; a card dragged to the next
column moves, dropped elsewhere it explains the one-step rule. On a phone the columns scroll
sideways and a card is marked lost with a reason."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from pipeline.models import Opportunity
from pipeline.services import opportunity_create
from tests.e2e.conftest import log_in, screenshot
from tests.factories import TEST_PASSWORD, CustomerFactory, OpportunityFactory, VisitFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TARGET_ITEMS = ["存在潜在需求", "已首次接触", "“有没有机会？”答案为是"]


@pytest.fixture
def pipeline(rep, other_rep, gate_items):
    """A rep's opportunities in most stages (and another rep's, which must not show)."""
    prospect = CustomerFactory(owner=rep, name="苏州新材料有限公司", status="prospect", region="华东")
    assessed = CustomerFactory(
        owner=rep, name="杭州精工机械有限公司", status="customer", winnability=4, tier="gold"
    )
    new = opportunity_create(
        customer=prospect, by=rep, title="年度框架协议", expected_amount=Decimal(500_000),
        expected_close_on=date(2026, 12, 31),
    )  # fmt: skip
    # Every evaluation item is met by the data: obstacles, cost, plan and the customer's winnability.
    ready = OpportunityFactory(
        customer=assessed, title="二期扩产设备", stage="evaluation", probability=40,
        expected_amount=Decimal(1_200_000), expected_close_on=date(2027, 3, 31),
        obstacles="预算未批", expected_cost=Decimal(20_000), development_plan="先试点后推广",
    )  # fmt: skip
    OpportunityFactory(customer=assessed, title="备件年度合同", stage="information", probability=25,
                       expected_amount=Decimal(180_000), expected_close_on=date(2026, 10, 31))  # fmt: skip
    OpportunityFactory(customer=assessed, title="自动化改造", stage="closing", probability=80,
                       expected_amount=Decimal(650_000), expected_close_on=date(2026, 9, 30))  # fmt: skip
    OpportunityFactory(customer=assessed, title="样机试用", stage="won", probability=100,
                       expected_amount=Decimal(90_000))  # fmt: skip
    OpportunityFactory(customer=prospect, title="旧线翻新", stage="lost", probability=0,
                       expected_amount=Decimal(40_000), lost_reason="客户预算取消")  # fmt: skip
    OpportunityFactory(
        customer=CustomerFactory(owner=other_rep, name="广州南方电子有限公司"), title="华南项目"
    )
    return {"prospect": prospect, "new": new, "ready": ready}


def card(page, opportunity, stage=None):
    scope = f'[data-column="{stage}"] ' if stage else ""
    return page.locator(f'{scope}[data-testid="card"][data-opportunity-id="{opportunity.pk}"]')


def test_moves_through_the_gate_on_a_desktop(live_server, pipeline, desktop_page, console_errors):
    page = desktop_page
    new, ready = pipeline["new"], pipeline["ready"]
    log_in(page, live_server, "rep1", TEST_PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_test_id("nav-pipeline").click()
    page.wait_for_url(f"{live_server.url}/pipeline/")
    expect(page.get_by_test_id("card")).to_have_count(6)
    expect(page.get_by_test_id("board")).not_to_contain_text("华南项目")
    expect(page.locator('[data-column="target"]')).to_have_attribute("data-amount", "500000.00")
    screenshot(page, "pipeline-board-desktop")

    # "→ next stage" is refused: the gate's missing items show on the card.
    card(page, new, "target").get_by_test_id("move-next").click()
    gate = card(page, new, "target").get_by_test_id("gate")
    expect(gate).to_be_visible()
    unmet = gate.locator('[data-testid="gate-item"][data-met="0"] [data-testid="gate-label"]')
    expect(unmet).to_have_text(TARGET_ITEMS)
    expect(gate.get_by_test_id("override-reason")).to_have_count(0)  # a rep cannot override
    screenshot(page, "pipeline-gate-refused-desktop")

    # Tick the two manual items (each saves at once); the first contact comes from a visit.
    for label in (TARGET_ITEMS[0], TARGET_ITEMS[2]):
        item = gate.locator('[data-testid="gate-item"]').filter(has_text=label)
        item.get_by_test_id("gate-tick").check()
        expect(item).to_have_attribute("data-met", "1")
    expect(unmet).to_have_text([TARGET_ITEMS[1]])
    VisitFactory(customer=pipeline["prospect"], by=new.owner, summary="首次拜访")
    screenshot(page, "pipeline-gate-ticked-desktop")

    gate.get_by_test_id("gate-move").click()
    expect(card(page, new, "information")).to_be_visible()
    expect(page.get_by_test_id("message")).to_be_visible()
    expect(page.locator('[data-column="information"]')).to_have_attribute("data-count", "2")
    assert Opportunity.objects.get(pk=new.pk).stage == "information"

    # Drag and drop: a wrong column explains the one-step rule and moves nothing …
    notice = page.get_by_test_id("board-notice")
    card(page, ready, "evaluation").drag_to(page.locator('[data-column="closing"]'))
    expect(notice).to_be_visible()
    assert Opportunity.objects.get(pk=ready.pk).stage == "evaluation"
    screenshot(page, "pipeline-drop-refused-desktop")

    # … the next column moves the card.
    card(page, ready, "evaluation").drag_to(page.locator('[data-column="relationship"]'))
    expect(card(page, ready, "relationship")).to_be_visible()
    assert Opportunity.objects.get(pk=ready.pk).stage == "relationship"
    screenshot(page, "pipeline-board-after-moves-desktop")
    assert console_errors == []


def test_the_board_on_a_phone(live_server, pipeline, phone_page, console_errors):
    page = phone_page
    new = pipeline["new"]
    log_in(page, live_server, "rep1", TEST_PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/pipeline/")

    # The columns scroll sideways; the card buttons are touch-sized.
    board = page.get_by_test_id("board")
    assert board.evaluate("element => element.scrollWidth > element.clientWidth")
    for button in ("move-next", "mark-lost"):
        box = card(page, new).get_by_test_id(button).bounding_box()
        assert box["height"] >= 44
    screenshot(page, "pipeline-board-phone")

    card(page, new).get_by_test_id("move-next").click()
    expect(card(page, new).locator('[data-testid="gate-item"][data-met="0"]')).to_have_count(3)
    screenshot(page, "pipeline-gate-refused-phone")

    # Mark it lost instead, with a reason.
    card(page, new).get_by_test_id("mark-lost").click()
    card(page, new).get_by_test_id("lost-reason").fill("无则终止：客户无采购计划")
    card(page, new).get_by_test_id("lost-submit").click()
    expect(card(page, new, "lost")).to_be_attached()
    page.locator('a[href="#column-lost"]').click()
    expect(card(page, new, "lost")).to_be_in_viewport()
    screenshot(page, "pipeline-board-lost-phone")
    lost = Opportunity.objects.get(pk=new.pk)
    assert (lost.stage, lost.lost_reason) == ("lost", "无则终止：客户无采购计划")
    assert console_errors == []


def test_a_manager_overrides_on_the_opportunity_page(
    live_server, pipeline, manager, phone_page, console_errors
):
    page = phone_page
    new = pipeline["new"]
    log_in(page, live_server, "manager", TEST_PASSWORD)
    page.wait_for_url(f"{live_server.url}/**")

    # The customer page loads the opportunities panel from the pipeline's own URL.
    page.goto(f"{live_server.url}/customers/{pipeline['prospect'].pk}/")
    panel = page.get_by_test_id("opportunity-panel")
    expect(panel.get_by_test_id("panel-opportunity")).to_have_count(2)
    panel.locator(f'[data-opportunity-id="{new.pk}"] a').click()
    page.wait_for_url(f"{live_server.url}/pipeline/opportunities/{new.pk}/")
    expect(page.locator('[data-testid="gate-item"][data-met="0"]')).to_have_count(3)
    screenshot(page, "pipeline-opportunity-phone")

    page.get_by_test_id("override-reason").fill("老客户转介绍，已充分接触")
    page.get_by_test_id("override-submit").click()
    expect(page.get_by_test_id("opportunity-stage")).to_have_attribute("data-stage", "information")
    expect(page.get_by_test_id("history-override-reason")).to_contain_text("老客户转介绍，已充分接触")
    screenshot(page, "pipeline-opportunity-overridden-phone")

    page.goto(f"{live_server.url}/pipeline/forecast/")
    expect(page.get_by_test_id("forecast-row").first).to_be_visible()
    screenshot(page, "pipeline-forecast-phone")
    assert Opportunity.objects.get(pk=new.pk).stage == "information"
    assert console_errors == []


def test_the_list_and_forecast_on_a_desktop(live_server, pipeline, desktop_page, console_errors):
    page = desktop_page
    log_in(page, live_server, "rep1", TEST_PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/pipeline/list/")
    expect(page.get_by_test_id("opportunity-row")).to_have_count(6)
    page.select_option("#id_stage", "evaluation")
    page.get_by_test_id("filter-submit").click()
    expect(page.get_by_test_id("opportunity-row")).to_have_count(1)
    screenshot(page, "pipeline-list-desktop")
    page.get_by_test_id("tab-forecast").click()
    expect(page.get_by_test_id("forecast-by-month")).to_be_visible()
    screenshot(page, "pipeline-forecast-desktop")
    page.goto(f"{live_server.url}/pipeline/opportunities/{pipeline['ready'].pk}/")
    expect(page.get_by_test_id("gate")).to_have_attribute("data-met", "1")
    screenshot(page, "pipeline-opportunity-desktop")
    assert console_errors == []
