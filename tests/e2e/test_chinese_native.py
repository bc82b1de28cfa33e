"""Issue 13's day on a phone: a rep finds the Nanjing customer by typing `nj`, logs a visit with a
check-in at its door and sees how far from the customer's site it was; a manager's dashboard
shows money in 万 with the exact figures in its tables."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scoring.services import run_execute, run_request
from tests.e2e.conftest import log_in, screenshot
from tests.e2e.test_checkin import AT_THE_DOOR
from tests.factories import TEST_PASSWORD, CustomerFactory, TransactionFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def nanjing(rep):
    # The site is 100 m south of where the phone reports itself (see tests/e2e/test_checkin.py).
    customer = CustomerFactory(
        owner=rep,
        name="南京百川生物医药有限公司",
        status="customer",
        latitude=Decimal("31.2304"),
        longitude=Decimal("121.4737"),
    )
    for name in ("北京东方科技有限公司", "上海南方机械有限公司"):
        CustomerFactory(owner=rep, name=name, status="customer")
    TransactionFactory(
        customer=customer, amount=Decimal("1848160"), occurred_on=timezone.localdate() - timedelta(days=30)
    )
    return customer


def test_a_rep_finds_nanjing_by_nj_and_checks_in_there(live_server, rep, nanjing, phone_page, console_errors):
    page = phone_page
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation(AT_THE_DOOR)
    log_in(page, live_server, "rep1", TEST_PASSWORD)
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/customers/")
    page.fill("#id_search", "nj")
    page.get_by_test_id("search-submit").click()
    rows = page.get_by_test_id("customer-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("南京百川生物医药有限公司")
    screenshot(page, "search-nj-phone")

    rows.first.get_by_test_id("customer-link").click()
    page.wait_for_url(f"{live_server.url}/customers/{nanjing.pk}/")
    page.get_by_test_id("log-visit-fab").click()
    page.fill("#id_summary", "南京百川：样品沟通")
    page.get_by_test_id("use-location").click()
    expect(page.get_by_test_id("location-status")).to_contain_text("31.231300, 121.473700")
    page.get_by_test_id("save-visit").click()
    page.wait_for_url(f"{live_server.url}/customers/{nanjing.pk}/#visit-*")

    visit = page.get_by_test_id("visit").first
    expect(visit.get_by_test_id("visit-distance")).to_have_text("距客户 100 米")
    visit.scroll_into_view_if_needed()
    screenshot(page, "nanjing-checkin-phone")
    assert console_errors == []


def test_a_managers_dashboard_shows_wan_with_exact_figures_in_its_tables(
    live_server, rep, manager, nanjing, desktop_page, console_errors
):
    run, _created = run_request(by=None, enqueue=False)
    run_execute(run_id=run.pk)
    page = desktop_page
    log_in(page, live_server, "manager", TEST_PASSWORD)
    page.wait_for_url(f"{live_server.url}/dashboard/")
    dashboard = page.get_by_test_id("dashboard")
    expect(dashboard).to_have_attribute("data-state", "ready", timeout=15_000)

    revenue = page.get_by_test_id("card-pareto").locator("[data-figure=revenue_12m]")
    expect(revenue).to_have_text("¥184.8万")
    expect(revenue).to_have_attribute("title", "¥1,848,160")
    expect(page.get_by_test_id("table-pyramid")).to_contain_text("¥1,848,160")
    screenshot(page, "dashboard-wan")
    assert console_errors == []
