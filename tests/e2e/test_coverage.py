"""Service levels in the browser (issue 14): a rep on a phone finds an overdue platinum account
on My day, logs the visit and the account leaves the list; their manager sees compliance rise
on the dashboard's coverage panel."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import VisitKind
from servicing.models import AccountReview
from tests.e2e.conftest import SCREENSHOTS, log_in, screenshot
from tests.factories import TEST_PASSWORD, CustomerFactory, VisitFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def accounts(rep, manager):
    """A platinum account whose last in-person contact, an executive meeting, was 20 days ago
    (a visit every 14 days: overdue), reviewed 10 days ago; and a lead account seen today."""
    now = timezone.now()
    platinum = CustomerFactory(owner=rep, name="上海华信精密机械有限公司", tier="platinum")
    VisitFactory(customer=platinum, kind=VisitKind.EXECUTIVE, occurred_at=now - timedelta(days=20))
    reviewed = timezone.localdate() - timedelta(days=10)
    AccountReview.objects.create(
        customer=platinum,
        reviewed_on=reviewed,
        period_start=reviewed - timedelta(days=90),
        period_end=reviewed,
    )
    lead = CustomerFactory(owner=rep, name="杭州西湖软件有限公司", tier="lead")
    VisitFactory(customer=lead, occurred_at=now - timedelta(hours=2))
    return {"platinum": platinum, "lead": lead}


def _compliance(page) -> str:
    expect(page.get_by_test_id("dashboard")).to_have_attribute("data-state", "ready", timeout=15_000)
    return page.get_by_test_id("coverage-compliance").inner_text()


def test_a_rep_clears_an_overdue_account_and_compliance_rises(
    live_server, accounts, browser, phone_page, console_errors
):
    platinum = accounts["platinum"]

    # The manager's dashboard: one of the two accounts is overdue.
    manager_context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 860})
    manager_page = manager_context.new_page()
    manager_page.emulate_media(reduced_motion="reduce")
    log_in(manager_page, live_server, "manager", TEST_PASSWORD)
    manager_page.wait_for_url(f"{live_server.url}/dashboard/")
    assert _compliance(manager_page) == "50%"
    overdue = manager_page.get_by_test_id("table-coverage-overdue").get_by_test_id("customer-link")
    expect(overdue).to_have_text(["上海华信精密机械有限公司"])
    manager_page.get_by_test_id("card-coverage").screenshot(
        path=str(SCREENSHOTS / "dashboard-coverage-before.png")
    )

    # The rep's My day, on a phone: the platinum account is overdue for a visit.
    page = phone_page
    log_in(page, live_server, "rep1", TEST_PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    item = page.locator(f'[data-testid="coverage-account"][data-customer-id="{platinum.pk}"]')
    expect(item).to_have_attribute("data-status", "overdue")
    expect(item).to_have_attribute("data-requirement", "visit")
    expect(page.get_by_test_id("coverage-account")).to_have_count(1)
    screenshot(page, "my-day-coverage-phone")

    # Log the visit from there; back on My day, the account is no longer listed.
    item.get_by_test_id("coverage-log-visit").click()
    page.wait_for_url(f"{live_server.url}/customers/{platinum.pk}/visits/new/")
    page.fill("#id_summary", "季度拜访，确认新产线需求")
    page.get_by_test_id("save-visit").click()
    page.wait_for_url(f"{live_server.url}/customers/{platinum.pk}/#visit-*")
    service_level = page.get_by_test_id("service-level")
    expect(service_level).to_have_attribute("data-status", "on_track")
    service_level.screenshot(path=str(SCREENSHOTS / "customer-service-level-phone.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    page.goto(f"{live_server.url}/")
    expect(page.get_by_test_id("coverage-account")).to_have_count(0)
    expect(page.get_by_test_id("no-coverage-due")).to_be_visible()

    # The manager reloads: every account is covered.
    manager_page.reload()
    assert _compliance(manager_page) == "100%"
    expect(
        manager_page.get_by_test_id("table-coverage-overdue").get_by_test_id("customer-link")
    ).to_have_count(0)
    screenshot(manager_page, "dashboard-desktop-with-coverage")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    manager_page.get_by_test_id("card-coverage").screenshot(
        path=str(SCREENSHOTS / "dashboard-coverage-card.png")
    )
    manager_context.close()
    assert console_errors == []


def test_a_manager_sets_the_service_levels_on_a_phone(live_server, manager, phone_page, console_errors):
    page = phone_page
    log_in(page, live_server, "manager", TEST_PASSWORD)
    page.wait_for_url(f"{live_server.url}/dashboard/")

    page.goto(f"{live_server.url}/service-levels/")
    expect(page.locator("fieldset")).to_have_count(4)
    page.fill("#id_gold-visit_days", "21")
    page.fill("#id_lead-visit_days", "0")
    page.get_by_test_id("policies-save").click()
    # At least a day: the browser refuses it before sending (the server would too: a field error).
    expect(page.locator("#id_lead-visit_days:invalid")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.fill("#id_lead-visit_days", "")
    page.get_by_test_id("policies-save").click()

    page.wait_for_url(f"{live_server.url}/service-levels/")
    expect(page.get_by_test_id("message")).to_have_count(1)
    expect(page.locator("#id_gold-visit_days")).to_have_value("21")
    expect(page.locator("#id_lead-visit_days")).to_have_value("")
    screenshot(page, "service-levels-phone")
    assert console_errors == []
