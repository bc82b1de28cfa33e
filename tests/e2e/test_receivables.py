"""Payment collection in the browser (issue 15): a manager on a phone records a payment that
clears an overdue installment and the customer's credit-risk flag goes; the rep's My day shows
the installment due this week."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from receivables import services
from tests.e2e.conftest import log_in, screenshot
from tests.factories import TEST_PASSWORD, CustomerFactory
from tests.receivables.conftest import won_opportunity

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def customer(rep):
    """rep's customer owes ¥50,000 due 45 days ago (credit risk) and ¥30,000 due in 3 days."""
    customer = CustomerFactory(owner=rep, name="苏州华晨精密制造有限公司")
    today = timezone.localdate()
    services.plan_create(
        opportunity=won_opportunity(customer, amount="80000.00"),
        by=rep,
        contract_amount=Decimal("80000.00"),
        installments=[
            (today - timedelta(days=45), Decimal("50000.00")),
            (today + timedelta(days=3), Decimal("30000.00")),
        ],
    )
    return customer


def test_a_payment_clears_the_credit_risk_and_my_day_shows_what_is_due(
    live_server, customer, manager, browser, phone_page, console_errors
):
    page = phone_page
    url = f"{live_server.url}/customers/{customer.pk}/"

    # The manager, on a phone: the customer carries the credit-risk flag.
    log_in(page, live_server, "manager", TEST_PASSWORD)
    page.wait_for_url(f"{live_server.url}/dashboard/")
    page.goto(url)
    expect(page.get_by_test_id("customer-head").get_by_test_id("credit-risk")).to_be_visible()
    panel = page.get_by_test_id("receivables-summary")
    expect(panel).to_have_attribute("data-credit-risk", "1")

    # Record the ¥50,000 that came in today, from the customer's receivables panel.
    page.get_by_test_id("record-payment").click()
    page.wait_for_url(f"{live_server.url}/receivables/payments/new/?customer={customer.pk}")
    page.fill("#id_amount", "50000")
    page.fill("#id_reference", "ERP-E2E-0001")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    screenshot(page, "payment-form-phone")
    page.get_by_test_id("save-payment").click()
    page.wait_for_url(f"{url}#receivables")

    # The overdue installment is paid: no credit risk on the page any more.
    expect(page.get_by_test_id("receivables-summary")).to_have_attribute("data-credit-risk", "0")
    expect(page.get_by_test_id("customer-head").get_by_test_id("credit-risk")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "customer-receivables-phone")
    page.context.clear_cookies()

    # The rep's My day: the ¥30,000 due in 3 days, and nothing overdue.
    log_in(page, live_server, "rep1", TEST_PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    due = page.get_by_test_id("installment-due")
    expect(due).to_have_count(1)
    expect(due).to_have_attribute("data-customer-id", str(customer.pk))
    expect(due.get_by_test_id("installment-due-date")).to_contain_text(
        (timezone.localdate() + timedelta(days=3)).isoformat()
    )
    expect(due.get_by_test_id("installment-due-open")).to_have_text("¥30,000")
    expect(due.get_by_test_id("installment-due-date")).to_have_class("badge warn")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "my-day-installments-phone")
    assert console_errors == []
