"""A manager opens the dashboard: every chart is drawn from its endpoint, the filters re-draw
them without a page load and stay in the address, and the page works on a phone."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Customer
from pipeline.services import opportunity_lose, opportunity_move
from scoring.dashboard import NAMES
from scoring.services import run_execute, run_request
from tests.e2e.conftest import log_in, screenshot
from tests.factories import (
    TEST_PASSWORD,
    CustomerFactory,
    OpportunityFactory,
    TransactionFactory,
    UserFactory,
    VisitFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EAST, NORTH = 10, 6  # customers of the manager's team in 华东 and 华北


def _score():
    run, _ = run_request(by=None, enqueue=False)
    run_execute(run_id=run.pk)


@pytest.fixture
def population(team, rep, manager, other_rep, gate_items):
    """Two reps of the manager's team with customers in two regions, sales, two scoring runs
    (so tiers have moved), visits and opportunities; and another team's customer, not visible."""
    rep2 = UserFactory(username="rep2", first_name="芳", last_name="李")
    team.members.add(rep2)
    today = timezone.localdate()
    customers = []
    for i in range(EAST + NORTH):
        region = "华东" if i < EAST else "华北"
        customer = CustomerFactory(
            name=f"{region}客户{i:02d}有限公司",
            owner=rep if i % 2 else rep2,
            region=region,
            industry="制造业" if i % 3 else "医疗",
            status="customer",
            potential=1 + i % 5,
        )
        TransactionFactory(
            customer=customer, occurred_on=today - timedelta(days=40), amount=5000 * (i + 1) ** 2
        )
        customers.append(customer)
    CustomerFactory(name="别的团队客户", owner=other_rep, region="华北", status="customer")
    _score()
    # A second run after new orders from the smaller customers: tiers move.
    for i, customer in enumerate(customers[:6]):
        TransactionFactory(
            customer=customer, occurred_on=today - timedelta(days=5), amount=900_000 + 10_000 * i
        )
    _score()

    now = timezone.now()
    for days, customer in zip((1, 3, 8, 12, 20, 45), customers[::3], strict=False):
        VisitFactory(customer=customer, occurred_at=now - timedelta(days=days))
    opportunities = [OpportunityFactory(customer=customer) for customer in customers[:5]]
    for opportunity in opportunities[:3]:
        opportunity_move(
            opportunity_id=opportunity.pk, to="information", by=manager, override_reason="测试数据"
        )
    opportunity_move(
        opportunity_id=opportunities[0].pk, to="evaluation", by=manager, override_reason="测试数据"
    )
    opportunity_lose(opportunity_id=opportunities[4].pk, by=manager, reason="预算取消")
    return customers


def _wait_until_drawn(page, query_part: str = ""):
    dashboard = page.get_by_test_id("dashboard")
    expect(dashboard).to_have_attribute("data-state", "ready", timeout=15_000)
    if query_part:
        expect(dashboard).to_have_attribute("data-query", re.compile(re.escape(query_part)))
    for name in NAMES:
        drawn = page.locator(f'[data-testid="chart-{name}"] canvas, [data-testid="chart-{name}"] svg')
        assert drawn.count() >= 1, f"chart {name} was not drawn"


def _number(page, testid: str) -> int:
    return int(page.get_by_test_id(testid).get_attribute("data-value"))


def test_manager_sees_every_chart_and_filters_them(
    live_server, manager, population, desktop_page, console_errors
):
    page = desktop_page
    page.emulate_media(reduced_motion="reduce")  # charts drawn at once: stable screenshots
    log_in(page, live_server, "manager", TEST_PASSWORD)

    # Managers land on their dashboard.
    page.wait_for_url(f"{live_server.url}/dashboard/")
    _wait_until_drawn(page)
    assert _number(page, "pyramid-total") == EAST + NORTH
    assert page.get_by_test_id("table-pyramid").locator("tbody tr").count() == 4
    assert int(page.get_by_test_id("movements-upgrades").inner_text()) > 0
    assert page.get_by_test_id("table-movements").get_by_test_id("customer-link").count() > 0
    assert page.get_by_test_id("table-trend").locator("tbody tr").count() == 2
    assert page.get_by_test_id("table-activity").locator("tbody tr").count() == 2  # both reps visited
    reps = page.get_by_test_id("table-activity").locator("tbody td:first-child").all_inner_texts()
    assert "李芳" in reps  # rep2 by `User.display_name`: surname first, never "芳 李"
    funnel_rows = page.get_by_test_id("table-funnel").locator("tbody tr")
    assert funnel_rows.count() == 6
    assert funnel_rows.nth(0).locator("td").nth(2).inner_text().startswith("¥")
    screenshot(page, "dashboard-desktop")

    # Another region: every chart is fetched again, the address keeps the filter.
    page.locator("#id_region").select_option("华北")
    _wait_until_drawn(page, "region=%E5%8D%8E%E5%8C%97")
    assert _number(page, "pyramid-total") == NORTH
    assert "region=%E5%8D%8E%E5%8C%97" in page.url
    csv = page.get_by_test_id("csv-pyramid").get_attribute("href")
    assert csv.startswith("/api/v1/dashboard/pyramid/?")
    assert "region=%E5%8D%8E%E5%8C%97" in csv
    assert "download=csv" in csv
    screenshot(page, "dashboard-desktop-north")

    # A reload (or a shared link) shows the same filtered numbers.
    page.reload()
    _wait_until_drawn(page)
    expect(page.locator("#id_region")).to_have_value("华北")
    assert _number(page, "pyramid-total") == NORTH

    # A period the wrong way round is not sent (the API would refuse it): the charts stay.
    query = page.get_by_test_id("dashboard").get_attribute("data-query")
    page.locator("#id_start").fill("2099-01-01")
    expect(page.get_by_test_id("dashboard-status")).not_to_be_empty()
    expect(page.get_by_test_id("dashboard")).to_have_attribute("data-query", query)
    assert _number(page, "pyramid-total") == NORTH

    # The charts follow the window's size.
    width = page.get_by_test_id("chart-pareto").locator("canvas").first.bounding_box()["width"]
    page.set_viewport_size({"width": 900, "height": 860})
    page.wait_for_function(
        "width => document.querySelector('[data-testid=chart-pareto] canvas').getBoundingClientRect().width !== width",
        arg=width,
    )
    assert page.get_by_test_id("chart-pareto").locator("canvas").first.bounding_box()["width"] <= 900

    # A point of the matrix opens its customer.
    point = page.evaluate(
        """() => {
          const el = document.querySelector('[data-testid="chart-matrix"]');
          const chart = echarts.getInstanceByDom(el);
          const item = chart.getOption().series[0].data.at(-1);
          const [x, y] = chart.convertToPixel({seriesIndex: 0}, item.value);
          el.scrollIntoView({block: "center"});
          return {x, y, id: item.id};
        }"""
    )
    box = page.get_by_test_id("chart-matrix").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_url(re.compile(r"/customers/\d+/$"))
    opened = int(re.search(r"/customers/(\d+)/$", page.url).group(1))
    assert Customer.objects.get(pk=opened).region == "华北"
    assert console_errors == []


def test_dashboard_on_a_phone(live_server, manager, population, phone_page, console_errors):
    page = phone_page
    page.emulate_media(reduced_motion="reduce")
    log_in(page, live_server, "manager", TEST_PASSWORD)
    page.wait_for_url(f"{live_server.url}/dashboard/")
    _wait_until_drawn(page)

    # One column: every card is as wide as the screen allows, and so is its chart.
    viewport = page.viewport_size["width"]
    for name in NAMES:
        card = page.get_by_test_id(f"card-{name}").bounding_box()
        chart = page.get_by_test_id(f"chart-{name}").locator("canvas").first.bounding_box()
        assert card["width"] > viewport * 0.85
        assert chart["width"] <= card["width"]
    assert _number(page, "pyramid-total") == EAST + NORTH
    screenshot(page, "dashboard-phone")

    # My day stays one tap away in the menu.
    page.click("[data-nav-toggle]")
    page.get_by_test_id("nav-my-day").click()
    page.wait_for_url(f"{live_server.url}/my-day/")
    assert console_errors == []
