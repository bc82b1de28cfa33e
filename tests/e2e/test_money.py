"""A manager reads money on the dashboard: short (万/亿) in the charts and the figures above them,
the exact figure in the tables and on hover; in English, separators everywhere."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scoring.dashboard import NAMES
from scoring.services import run_execute, run_request
from tests.e2e.conftest import log_in, screenshot
from tests.factories import TEST_PASSWORD, CustomerFactory, OpportunityFactory, TransactionFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SALES = [Decimal("1848160.00"), Decimal("123456789.00"), Decimal("9999.00")]  # ¥125,314,948 in all


@pytest.fixture
def sales(rep, manager, gate_items):
    customers = []
    for i, amount in enumerate(SALES):
        customer = CustomerFactory(name=f"金额客户{i}有限公司", owner=rep, status="customer")
        TransactionFactory(
            customer=customer, occurred_on=timezone.localdate() - timedelta(days=40), amount=amount
        )
        customers.append(customer)
    run, _ = run_request(by=None, enqueue=False)
    run_execute(run_id=run.pk)
    OpportunityFactory(customer=customers[0], expected_amount=Decimal("1848160.00"))
    return customers


def _wait_until_drawn(page):
    expect(page.get_by_test_id("dashboard")).to_have_attribute("data-state", "ready", timeout=15_000)
    for name in NAMES:
        drawn = page.locator(f'[data-testid="chart-{name}"] canvas, [data-testid="chart-{name}"] svg')
        assert drawn.count() >= 1, f"chart {name} was not drawn"


def _funnel_tooltip(page) -> str:
    """The funnel's tooltip for its first stage, as a person pointing at it sees it."""
    page.evaluate(
        """() => {
          const chart = echarts.getInstanceByDom(document.querySelector('[data-testid="chart-funnel"]'));
          chart.dispatchAction({type: "showTip", seriesIndex: 0, dataIndex: 0});
        }"""
    )
    tooltip = page.get_by_test_id("chart-funnel").locator("div", has_text="¥").last
    expect(tooltip).to_be_visible()
    return tooltip.inner_text()


def test_the_dashboard_shows_wan_in_charts_and_exact_figures_in_tables(
    live_server, manager, sales, desktop_page, console_errors
):
    page = desktop_page
    page.emulate_media(reduced_motion="reduce")
    log_in(page, live_server, "manager", TEST_PASSWORD)
    page.wait_for_url(f"{live_server.url}/dashboard/")
    _wait_until_drawn(page)

    # The figure above the Pareto chart is short, the exact figure on hover.
    revenue = page.locator('[data-figure="revenue_12m"]')
    expect(revenue).to_have_text("¥1.25亿")
    expect(revenue).to_have_attribute("title", "¥125,314,948")
    # The chart's tooltip reads 万 ...
    assert "¥184.8万" in _funnel_tooltip(page)
    # ... the tables beside the charts the exact figures, with separators.
    expect(page.locator("[data-total-revenue]")).to_have_text("¥125,314,948")
    revenues = page.get_by_test_id("table-pyramid").locator("tbody td:nth-child(3)").all_inner_texts()
    assert all(re.fullmatch(r"¥\d{1,3}(,\d{3})*", text) for text in revenues), revenues
    funnel = page.get_by_test_id("table-funnel").locator("tbody tr").first.locator("td").nth(2)
    expect(funnel).to_have_text("¥1,848,160")
    screenshot(page, "dashboard-money")

    # In English: separators everywhere, no 万.
    page.locator("#language").select_option("en")
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    _wait_until_drawn(page)
    expect(revenue).to_have_text("¥125,314,948")
    expect(revenue).not_to_have_attribute("title", re.compile("."))
    assert "¥1,848,160" in _funnel_tooltip(page)
    expect(funnel).to_have_text("¥1,848,160")
    assert console_errors == []
