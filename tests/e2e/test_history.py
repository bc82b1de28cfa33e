"""A manager sees who changed a customer, and a rep's edit shows up there: the History panel is
loaded from the audit app's own URL into the customer page, on a phone."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in, screenshot
from tests.factories import TEST_PASSWORD, CustomerFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_reps_edit_appears_in_the_managers_history_panel(live_server, phone_page, rep, manager):
    customer = CustomerFactory(owner=rep, name="苏州历史有限公司", region="华东")
    page = phone_page

    log_in(page, live_server, "rep1", TEST_PASSWORD)
    page.goto(f"{live_server.url}/customers/{customer.pk}/edit/")
    page.fill("input[name=region]", "华南")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{live_server.url}/customers/{customer.pk}/")
    expect(page.get_by_test_id("history")).to_have_count(0)  # reps have no history panel

    page.context.clear_cookies()
    log_in(page, live_server, "manager", TEST_PASSWORD)
    page.goto(f"{live_server.url}/customers/{customer.pk}/")

    rows = page.get_by_test_id("history-panel").get_by_test_id("audit-row")
    expect(rows).to_have_count(2)  # created, then the region changed
    newest = rows.first
    expect(newest).to_contain_text(rep.display_name)  # 李明, not the login
    expect(newest.locator("td.old")).to_have_text("华东")
    expect(newest.locator("td.new")).to_have_text("华南")
    screenshot(page, "history-panel-phone")
