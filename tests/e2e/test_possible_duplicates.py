"""A rep on a phone enters a new customer whose name is close to existing ones: the form shows
them as possible duplicates (可能重复), linking only the rep's own, and saves on "仍然保存"."""

import pytest
from playwright.sync_api import expect

from accounts.models import Customer
from tests.e2e.conftest import log_in, screenshot
from tests.factories import TEST_PASSWORD, CustomerFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_possible_duplicates_are_shown_before_saving_on_a_phone(
    live_server, rep, other_rep, phone_page, console_errors
):
    mine = CustomerFactory(owner=rep, name="上海永盛汽车零部件有限公司")
    theirs = CustomerFactory(owner=other_rep, name="苏州永盛汽车零部件有限公司")
    page = phone_page
    log_in(page, live_server, "rep1", TEST_PASSWORD)
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/customers/new/")
    page.fill("#id_name", "永盛汽车零部件有限公司")
    page.fill("#id_credit_code", "9135 0100 m000 100y43")
    page.get_by_test_id("save").click()

    listed = page.get_by_test_id("possible-duplicate")
    expect(listed).to_have_count(2)
    expect(page.locator(f"[data-testid=possible-duplicates] a[href='/customers/{mine.pk}/']")).to_have_text(
        mine.name
    )
    expect(page.get_by_test_id("possible-duplicates")).to_contain_text(theirs.name)
    expect(page.locator(f"a[href='/customers/{theirs.pk}/']")).to_have_count(0)
    screenshot(page, "customer-form-possible-duplicates-phone")
    assert Customer.objects.count() == 2

    page.get_by_test_id("save-anyway").click()

    created = Customer.objects.get(name="永盛汽车零部件有限公司")
    page.wait_for_url(f"{live_server.url}/customers/{created.pk}/")
    expect(page.get_by_test_id("customer-credit-code")).to_have_text("91350100M000100Y43")
    assert console_errors == []
