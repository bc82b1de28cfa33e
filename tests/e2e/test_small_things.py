"""Issue 13, item 7 on a phone: the smaller things a rep or a manager tripped over.

A rep: nothing floating covers the last content of My day, the customer list or a customer's
page scrolled to the bottom (the customer page has the floating 记录拜访 button); the filter panel
is folded again after 应用; the 12-month sales chart shows its values. A manager: the
concentration chart keeps the HHI off its percent axis, an empty tier gets no band in the
pyramid, and money is in 万 on the cards with the exact figures in the tables.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scoring.services import run_execute, run_request
from tests.e2e.conftest import log_in, screenshot
from tests.factories import TEST_PASSWORD, CustomerFactory, TransactionFactory, VisitFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EAST, NORTH = 20, 7  # the rep's customers: 27, so the list (25 a page) has a second page

# Scrolls to the very bottom, then returns the boxes (viewport coordinates) of every visible
# position:fixed element and of the last content of <main> and of the footer (its language
# switch): in each, the visible element that reaches lowest (the outermost of those that end on
# the same line).
BOTTOM = """() => {
  window.scrollTo(0, document.documentElement.scrollHeight);
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none";
  };
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return {x: r.x, y: r.y, width: r.width, height: r.height, bottom: r.bottom, right: r.right};
  };
  const name = (el) => String(el.dataset.testid || el.id || el.className || el.tagName);
  const floating = [...document.querySelectorAll("body *")]
    .filter((el) => getComputedStyle(el).position === "fixed" && shown(el));
  const lastIn = (selector) => {
    let last = null;
    for (const el of document.querySelectorAll(selector)) {
      if (!shown(el) || floating.some((f) => f.contains(el))) continue;
      if (!last || el.getBoundingClientRect().bottom > last.getBoundingClientRect().bottom) last = el;
    }
    return last && {name: name(last), box: box(last)};
  };
  return {
    atBottom: window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 1,
    scrolled: window.scrollY > 0,
    last: [lastIn("main *"), lastIn("footer *")],
    floating: floating.map((el) => ({name: name(el), box: box(el)})),
  };
}"""


def _overlap(a: dict, b: dict) -> bool:
    return a["x"] < b["right"] and b["x"] < a["right"] and a["y"] < b["bottom"] and b["y"] < a["bottom"]


def _nothing_floats_over_the_last_content(page) -> dict:
    page.wait_for_load_state("networkidle")  # panels loaded by fetch have their height
    bottom = page.evaluate(BOTTOM)
    assert bottom["scrolled"], bottom  # a page taller than the phone
    assert bottom["atBottom"], bottom
    assert bottom["last"][0], bottom  # <main> has content
    for floating in bottom["floating"]:
        for last in filter(None, bottom["last"]):
            assert not _overlap(floating["box"], last["box"]), (floating, last)
    return bottom


@pytest.fixture
def book(rep):
    """The rep's 27 customers in two regions; sales in three of the last 12 months for the first;
    follow-ups due today, so My day has content."""
    today = timezone.localdate()
    customers = [
        CustomerFactory(
            owner=rep,
            name=f"{'华东' if i < EAST else '华北'}客户{i:02d}有限公司",
            region="华东" if i < EAST else "华北",
            status="customer",
        )
        for i in range(EAST + NORTH)
    ]
    first = customers[0]
    this_month = today.replace(day=1)
    for months_back, amount in ((1, "200000"), (4, "50000"), (4, "30000"), (9, "120000")):
        month = this_month
        for _ in range(months_back):
            month = (month - timedelta(days=1)).replace(day=1)
        TransactionFactory(customer=first, amount=Decimal(amount), occurred_on=month + timedelta(days=9))
    for customer in customers[:4]:
        VisitFactory(
            customer=customer,
            occurred_at=timezone.now() - timedelta(days=3),
            next_step="寄送样品并确认报价",
            follow_up_on=today,
        )
    return customers


def test_a_reps_pages_on_a_phone(live_server, rep, book, phone_page, console_errors):
    page = phone_page
    page.emulate_media(reduced_motion="reduce")
    log_in(page, live_server, "rep1", TEST_PASSWORD)
    page.wait_for_url(f"{live_server.url}/")

    # My day: its last card is clear of anything floating.
    expect(page.get_by_test_id("follow-up")).to_have_count(4)
    _nothing_floats_over_the_last_content(page)

    # The customer list, page 1 of 2, scrolled to its pagination.
    page.goto(f"{live_server.url}/customers/")
    expect(page.get_by_test_id("customer-row")).to_have_count(25)
    expect(page.get_by_test_id("pagination")).to_be_visible()
    _nothing_floats_over_the_last_content(page)

    # The filter panel is folded on a phone; 应用 reloads with the filter and folds it again.
    details = page.get_by_test_id("filter-details")
    expect(details).not_to_have_attribute("open", "")
    details.locator("summary").click()
    expect(page.locator("#id_region")).to_be_visible()
    page.locator("#id_region").select_option("华北")
    page.get_by_test_id("filter-submit").click()
    page.wait_for_url("**/customers/?*region=*")
    expect(page.get_by_test_id("customer-row")).to_have_count(NORTH)
    expect(page.get_by_test_id("customer-count")).to_have_text(str(NORTH))
    expect(details).not_to_have_attribute("open", "")
    assert page.evaluate("() => document.querySelector('[data-testid=filter-details]').open") is False
    expect(page.locator("#id_region")).to_be_hidden()
    expect(page.locator("#id_region")).to_have_value("华北")
    expect(details.get_by_test_id("applied-filter-count")).to_have_text("1")
    # The results come first: the first row is on the screen without scrolling.
    expect(page.get_by_test_id("customer-row").first).to_be_in_viewport()
    screenshot(page, "small-things-filter-phone")

    # A customer's page: the 12-month chart has its values, as bars and as figures.
    customer = book[0]
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    bars = page.get_by_test_id("trend-bar")
    expect(bars).to_have_count(12)
    amounts = {
        bar.get_attribute("data-month"): Decimal(bar.get_attribute("data-amount")) for bar in bars.all()
    }
    assert sorted(amount for amount in amounts.values() if amount) == [80000, 120000, 200000], amounts
    heights = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('[data-testid=trend-bar]')].map(
             (bar) => [bar.dataset.month, bar.querySelector('.trend-fill').getBoundingClientRect().height]))"""
    )
    best = max(amounts, key=amounts.get)
    fill = bars.and_(page.locator(f"[data-month='{best}']")).locator(".trend-fill").bounding_box()
    label = bars.and_(page.locator(f"[data-month='{best}']")).locator("small").bounding_box()
    assert fill["y"] + fill["height"] <= label["y"] + 0.5, (fill, label)  # the bar stands on its month
    chart = page.get_by_test_id("sales-trend").bounding_box()["height"]
    assert heights[best] > chart * 0.6, (heights, chart)  # the best month fills the chart
    for month, amount in amounts.items():
        if amount:  # the others in proportion to it (±3 px for the rounding of whole percent)
            assert abs(heights[month] - heights[best] * float(amount / amounts[best])) < 3, (month, heights)
        else:
            assert heights[month] <= 2, (month, heights)
    values = page.get_by_test_id("trend-values")
    values.locator("summary").click()
    rows = values.get_by_test_id("trend-value")
    expect(rows).to_have_count(12)
    expect(rows.first).to_be_visible()
    for month, amount in amounts.items():
        expected = f"¥{amount:,.0f}"
        expect(values.locator(f"[data-testid=trend-value][data-month='{month}'] td")).to_have_text(expected)

    # The floating 记录拜访 button is there, and clear of the page's last content at the bottom.
    fab = page.get_by_test_id("log-visit-fab")
    expect(fab).to_be_visible()
    bottom = _nothing_floats_over_the_last_content(page)
    assert "log-visit-fab" in [floating["name"] for floating in bottom["floating"]]
    screenshot(page, "small-things-customer-bottom-phone")
    assert console_errors == []


@pytest.fixture
def three_customers(rep):
    """Three scored customers: platinum, iron and lead, no gold (tiers by rank: 5% / 20% / 50%
    of 3 rounded up are 1, 1 and 2); all the revenue is the first one's."""
    customer = CustomerFactory(owner=rep, name="南京百川生物医药有限公司", status="customer", potential=5)
    for name in ("北京东方科技有限公司", "上海南方机械有限公司"):
        CustomerFactory(owner=rep, name=name, status="customer")
    TransactionFactory(
        customer=customer, amount=Decimal("1848160"), occurred_on=timezone.localdate() - timedelta(days=30)
    )
    run, _created = run_request(by=None, enqueue=False)
    run_execute(run_id=run.pk)
    return customer


OPTION = """name => echarts.getInstanceByDom(
  document.querySelector(`[data-testid=chart-${name}]`)).getOption()"""


def test_a_managers_dashboard_on_a_phone(live_server, manager, three_customers, phone_page, console_errors):
    page = phone_page
    page.emulate_media(reduced_motion="reduce")
    log_in(page, live_server, "manager", TEST_PASSWORD)
    page.wait_for_url(f"{live_server.url}/dashboard/")
    expect(page.get_by_test_id("dashboard")).to_have_attribute("data-state", "ready", timeout=15_000)

    # Money: short (万) on the card, exact (with separators) in its title and in the tables.
    revenue = page.get_by_test_id("card-pareto").locator("[data-figure=revenue_12m]")
    revenue.scroll_into_view_if_needed()
    expect(revenue).to_be_in_viewport()
    expect(revenue).to_have_text("¥184.8万")
    expect(revenue).to_have_attribute("title", "¥1,848,160")
    pyramid_table = page.get_by_test_id("table-pyramid")
    expect(pyramid_table).to_contain_text("¥1,848,160")
    assert "万" not in pyramid_table.inner_text()

    # The pyramid: the table lists every tier, gold with 0; the chart draws no band for it.
    tiers = pyramid_table.locator("tbody tr")
    expect(tiers).to_have_count(4)
    counts = [int(tiers.nth(i).locator("td").nth(1).inner_text()) for i in range(4)]
    assert counts == [1, 0, 1, 1], counts  # platinum, gold, iron, lead
    funnel = page.evaluate(OPTION, "pyramid")["series"][0]
    assert [item["name"] for item in funnel["data"]] == ["platinum", "iron", "lead"], funnel["data"]
    assert all(item["count"] > 0 and item["value"] > 0 for item in funnel["data"]), funnel["data"]
    assert funnel["max"] == len(funnel["data"])  # the widest band is the last tier that has customers

    # Concentration: the shares on a percent axis; the HHI (0–10,000) is a figure, not on it.
    concentration = page.evaluate(OPTION, "concentration")
    hhi_label = page.get_by_test_id("table-concentration").locator("tbody tr").nth(2).locator("td").first
    expect(hhi_label).to_contain_text("HHI")
    assert len(concentration["xAxis"]) == 1
    assert len(concentration["yAxis"]) == 1
    assert concentration["xAxis"][0]["max"] <= 100
    assert concentration["xAxis"][0]["axisLabel"]["formatter"] == "{value}%"
    categories = concentration["yAxis"][0]["data"]
    assert len(categories) == 2, categories
    assert not any("HHI" in str(category) for category in categories), categories
    for series in concentration["series"]:
        assert len(series["data"]) == 2
        assert all(item["row"]["measure"] != "hhi" for item in series["data"]), series["data"]
    expect(page.get_by_test_id("concentration-hhi")).to_have_text("10,000")
    page.get_by_test_id("card-concentration").scroll_into_view_if_needed()
    screenshot(page, "small-things-dashboard-phone")
    assert console_errors == []
