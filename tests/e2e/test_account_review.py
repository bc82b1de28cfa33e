"""A rep on a phone reviews a key account (大客户定期评估): from the customer page's panel, a
new review with an agreed action, the period's sales beside the account plan's target, and the
action ticked off. Nothing on these pages is wider than the phone."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pipeline.models import AccountPlan, PlanObjective
from servicing.models import AccountReview
from tests.e2e.conftest import log_in, screenshot
from tests.factories import TEST_PASSWORD, CustomerFactory, TransactionFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_rep_reviews_an_account_on_a_phone(live_server, rep, phone_page, console_errors):
    page = phone_page
    today = timezone.localdate()
    start = date(today.year, 1, 1)
    customer = CustomerFactory(owner=rep, name="上海华信精密机械有限公司", status="customer", tier="platinum")
    TransactionFactory(customer=customer, occurred_on=start, amount=Decimal("1234567.50"))
    plan = AccountPlan.objects.create(
        customer=customer, title="年度联合生意计划", period_start=start, period_end=date(today.year, 12, 31)
    )
    PlanObjective.objects.create(plan=plan, description="年度采购额", target=Decimal(5_000_000), unit="元")

    log_in(page, live_server, "rep1", TEST_PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    panel = page.get_by_test_id("account-reviews")
    expect(panel.get_by_test_id("no-reviews")).to_be_visible()
    panel.get_by_test_id("new-review").click()

    page.wait_for_url(f"{live_server.url}/customers/{customer.pk}/reviews/new/")
    page.fill("#id_period_start", start.isoformat())
    page.fill("#id_period_end", today.isoformat())
    page.locator("label:has(input[name=relationship_health][value='4'])").click()
    page.fill("#id_potential", "二期扩产，年需求约 800 万")
    page.fill("#id_problems", "交期不稳")
    page.fill("#id_actions-0-description", "联合制定降本方案")
    page.select_option("#id_actions-0-owner", str(rep.pk))
    page.fill("#id_actions-0-due_on", today.isoformat())
    assert fits_the_screen(page)
    screenshot(page, "review-form-phone")
    page.get_by_test_id("save-review").click()

    review = AccountReview.objects.get()
    page.wait_for_url(f"{live_server.url}/reviews/{review.pk}/")
    expect(page.get_by_test_id("review-sales")).to_have_attribute("data-amount", "1234567.50")
    expect(page.get_by_test_id("review-plan-objective")).to_have_attribute("data-target", "5000000.00")
    expect(page.get_by_test_id("action")).to_have_count(1)
    assert fits_the_screen(page)
    screenshot(page, "review-phone")

    page.get_by_test_id("action-done").click()
    page.wait_for_url(f"{live_server.url}/reviews/{review.pk}/#action-*")
    expect(page.get_by_test_id("action")).to_have_attribute("data-done", "1")
    assert review.actions.get().done_at is not None

    page.get_by_test_id("review-customer").click()
    expect(page.get_by_test_id("review")).to_have_count(1)
    expect(page.get_by_test_id("open-action")).to_have_count(0)
    assert fits_the_screen(page)
    assert console_errors == []
