"""The experience method on a phone (经历推算法): a manager adds an industry to the fit table from
the industries customers already have; a rep ticks the checklist on a customer's page and finds
the prospect on the new-market shortlist."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import CustomerStatus, FitCriterion, IndustryFit
from tests.e2e.conftest import log_in, screenshot
from tests.factories import TEST_PASSWORD, CustomerFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def checklist(db):
    """The default items (a data migration, flushed by transactional tests)."""
    labels = [("需求已确认", 30), ("预算已落实", 20), ("采购过同类产品或方案", 20), ("决策流程已清楚", 10)]
    return [
        FitCriterion.objects.get_or_create(label=label, defaults={"weight": weight, "position": n})[0]
        for n, (label, weight) in enumerate(labels, start=1)
    ]


def test_a_manager_adds_an_industry_on_a_phone(live_server, manager, rep, phone_page, console_errors):
    CustomerFactory(owner=rep, industry="医疗器械")
    page = phone_page
    log_in(page, live_server, "manager", TEST_PASSWORD)
    page.wait_for_url(f"{live_server.url}/dashboard/")

    page.goto(f"{live_server.url}/industry-fits/")
    page.get_by_test_id("industry-create").click()
    expect(page.locator("#industries-in-use option[value='医疗器械']")).to_have_count(1)
    page.fill("#id_industry", "医疗器械")
    page.locator("label:has(input[name='need'][value='4'])").click()
    page.locator("label:has(input[name='capability'][value='3'])").click()
    screenshot(page, "industry-fit-form-phone")
    page.get_by_test_id("save").click()

    page.wait_for_url(f"{live_server.url}/industry-fits/")
    expect(page.get_by_test_id("industry-fit")).to_have_text("62.5")
    screenshot(page, "industry-fit-table-phone")
    assert IndustryFit.objects.get().industry == "医疗器械"
    assert console_errors == []


def test_a_rep_ticks_the_checklist_and_finds_the_prospect_on_the_shortlist(
    live_server, rep, checklist, phone_page, console_errors
):
    IndustryFit.objects.create(industry="制造业", need=5, capability=4)
    prospect = CustomerFactory(
        owner=rep, name="华信精密机械有限公司", status=CustomerStatus.PROSPECT, fit_score=Decimal("71.25")
    )
    page = phone_page
    log_in(page, live_server, "rep1", TEST_PASSWORD)
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/customers/{prospect.pk}/")
    section = page.get_by_test_id("customer-fit")
    expect(section.get_by_test_id("customer-industry-fit")).to_have_text("87.5")
    section.get_by_test_id("fit-item").nth(0).click()
    section.get_by_test_id("fit-item").nth(1).click()
    section.get_by_test_id("customer-fit-save").click()

    page.wait_for_url(f"{live_server.url}/customers/{prospect.pk}/#customer-fit")
    expect(page.get_by_test_id("customer-fit-ticked")).to_have_text("2/4")
    screenshot(page, "customer-fit-section-phone")
    assert set(prospect.fit_criteria.values_list("label", flat=True)) == {"需求已确认", "预算已落实"}

    page.goto(f"{live_server.url}/customers/")
    page.get_by_test_id("shortlist-link").click()
    page.wait_for_url(f"{live_server.url}/customers/shortlist/")
    row = page.get_by_test_id("shortlist-row")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("shortlist-customer-fit")).to_have_text("2/4")
    expect(row.get_by_test_id("shortlist-fit-score")).to_have_text("71.25")
    screenshot(page, "shortlist-phone")
    assert console_errors == []
