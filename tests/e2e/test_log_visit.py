"""A rep on a phone opens a customer, logs a visit and finds it on the customer's timeline;
the follow-up then waits on My day until it is marked done."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Visit
from tests.e2e.conftest import log_in, screenshot
from tests.factories import (
    TEST_PASSWORD,
    CompetitorPresenceFactory,
    ContactFactory,
    CustomerFactory,
    TransactionFactory,
    VisitFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHANGHAI = {"latitude": 31.230416, "longitude": 121.473701, "accuracy": 20}


@pytest.fixture
def account(rep, other_rep):
    customer = CustomerFactory(
        owner=rep,
        name="上海华信精密机械有限公司",
        industry="机械制造",
        region="华东",
        status="customer",
        potential=4,
        demonstration=5,
        winnability=3,
        is_key_account=True,
        tier="gold",
        abc_class="A",
        score=Decimal("86.50"),
        scored_at=timezone.now(),
    )
    ContactFactory(
        customer=customer,
        name="王建国",
        title="总经理",
        buying_role="decision_maker",
        influence=5,
        relationship_strength=3,
        attitude="supporter",
        phone="13800000000",
        hometown="湖南长沙",
    )
    ContactFactory(customer=customer, name="李娜", title="采购经理", buying_role="user", influence=3)
    today = timezone.localdate()
    for months_ago, amount in enumerate([180000, 95000, 120000, 0, 150000, 60000, 210000, 80000, 130000]):
        if amount:
            TransactionFactory(
                customer=customer, occurred_on=today - timedelta(days=30 * months_ago), amount=amount
            )
    TransactionFactory(customer=customer, occurred_on=today - timedelta(days=420), amount=Decimal("700000"))
    CompetitorPresenceFactory(
        customer=customer, competitor="德国某品牌", strengths="品牌", share_of_wallet=35
    )
    VisitFactory(
        customer=customer,
        occurred_at=timezone.now() - timedelta(days=12),
        summary="年度合作回顾",
        next_step="准备新品报价",
    )
    CustomerFactory(owner=rep, name="杭州西湖软件有限公司", region="华东", tier="iron", abc_class="C")
    CustomerFactory(owner=other_rep, name="广州南方电子有限公司", region="华南")
    return customer


def test_a_rep_logs_a_visit_on_a_phone(live_server, account, phone_page, console_errors):
    page = phone_page
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation(SHANGHAI)
    today = timezone.localdate().isoformat()

    log_in(page, live_server, "rep1", TEST_PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_test_id("follow-ups")).to_be_visible()

    # Open the customer from the list, through the phone menu.
    page.click("[data-nav-toggle]")
    page.get_by_test_id("nav-customers").click()
    page.wait_for_url(f"{live_server.url}/customers/")
    expect(page.get_by_test_id("customer-row")).to_have_count(2)
    expect(page.get_by_test_id("customer-table")).not_to_contain_text("广州南方电子")
    screenshot(page, "customer-list-phone")
    page.get_by_test_id("customer-link").filter(has_text="上海华信").click()
    page.wait_for_url(f"{live_server.url}/customers/{account.pk}/")
    expect(page.get_by_test_id("customer-name")).to_have_text("上海华信精密机械有限公司")
    expect(page.get_by_test_id("trend-bar")).to_have_count(12)
    screenshot(page, "customer-phone")

    # Log the visit: one contact, a note, a follow-up today and the location on request.
    page.get_by_test_id("log-visit-fab").click()
    page.wait_for_url(f"{live_server.url}/customers/{account.pk}/visits/new/")
    expect(page.locator("#id_latitude")).to_have_value("")
    page.get_by_test_id("contact-choice").filter(has_text="王建国").click()
    page.fill("#id_summary", "现场演示新一代数控系统，客户很感兴趣")
    page.fill("#id_needs", "希望交期缩短到四周")
    page.fill("#id_next_step", "寄送样品并约技术交流")
    page.fill("#id_follow_up_on", today)
    page.get_by_test_id("use-location").click()
    expect(page.get_by_test_id("location-status")).to_contain_text("31.230416, 121.473701")
    expect(page.locator("#id_latitude")).to_have_value("31.230416")
    screenshot(page, "visit-form-phone")
    page.get_by_test_id("save-visit").click()

    # Back on the customer page, the visit heads the timeline.
    page.wait_for_url(f"{live_server.url}/customers/{account.pk}/#visit-*")
    visit = page.get_by_test_id("visit").first
    expect(visit.get_by_test_id("visit-summary")).to_have_text("现场演示新一代数控系统，客户很感兴趣")
    expect(visit.get_by_test_id("visit-contacts")).to_contain_text("王建国")
    expect(visit.get_by_test_id("visit-contacts")).not_to_contain_text("李娜")
    expect(visit.get_by_test_id("visit-follow-up-date")).to_have_text(today)
    expect(visit.get_by_test_id("visit-location")).to_contain_text("31.230416")
    visit.scroll_into_view_if_needed()
    screenshot(page, "customer-timeline-phone")

    saved = Visit.objects.get(summary="现场演示新一代数控系统，客户很感兴趣")
    assert [c.name for c in saved.contacts.all()] == ["王建国"]
    assert (saved.by.username, saved.follow_up_on.isoformat()) == ("rep1", today)
    assert (saved.latitude, saved.longitude) == (Decimal("31.230416"), Decimal("121.473701"))

    # The follow-up is due today: it waits on My day until it is marked done.
    page.goto(f"{live_server.url}/")
    follow_up = page.locator(f'[data-testid="follow-up"][data-visit-id="{saved.pk}"]')
    expect(follow_up).to_contain_text("上海华信精密机械有限公司")
    screenshot(page, "my-day-phone")
    follow_up.get_by_test_id("follow-up-done").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_test_id("follow-up")).to_have_count(0)
    saved.refresh_from_db()
    assert saved.follow_up_done_at is not None
    assert console_errors == []


def test_log_a_visit_from_my_day_without_sharing_the_location(
    live_server, account, phone_page, console_errors
):
    page = phone_page
    log_in(page, live_server, "rep1", TEST_PASSWORD)
    page.wait_for_url(f"{live_server.url}/")

    page.get_by_test_id("my-day-log-visit").click()
    page.fill("input[name=search]", "西湖")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("pick-customer")).to_have_count(1)
    screenshot(page, "visit-pick-phone")
    page.get_by_test_id("pick-customer").click()
    page.locator("label:has(input[name=kind][value=call])").click()
    page.fill("#id_summary", "电话确认需求")
    page.get_by_test_id("save-visit").click()

    page.wait_for_url("**/customers/*/#visit-*")
    expect(page.get_by_test_id("visit").first.get_by_test_id("visit-summary")).to_have_text("电话确认需求")
    saved = Visit.objects.get(summary="电话确认需求")
    assert (saved.kind, saved.customer.name, saved.latitude, saved.longitude) == (
        "call",
        "杭州西湖软件有限公司",
        None,
        None,
    )
    assert console_errors == []


def test_the_customer_pages_on_a_desktop(live_server, account, desktop_page, console_errors):
    page = desktop_page
    log_in(page, live_server, "rep1", TEST_PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    screenshot(page, "my-day-desktop")

    page.get_by_test_id("nav-customers").click()
    expect(page.locator("table[data-testid=customer-table] thead")).to_be_visible()
    page.select_option("#id_tier", "gold")
    page.get_by_test_id("filter-submit").click()
    expect(page.get_by_test_id("customer-row")).to_have_count(1)
    screenshot(page, "customer-list-desktop")

    page.get_by_test_id("customer-link").click()
    expect(page.get_by_test_id("contact")).to_have_count(2)
    expect(page.get_by_test_id("log-visit-fab")).to_be_hidden()
    page.get_by_test_id("contact-profile").first.locator("summary").click()
    expect(page.get_by_test_id("profile-hometown")).to_have_text("湖南长沙")
    screenshot(page, "customer-desktop")

    page.get_by_test_id("log-visit").click()
    screenshot(page, "visit-form-desktop")
    assert console_errors == []


def test_a_duplicate_customer_is_refused_on_a_phone(live_server, account, phone_page, console_errors):
    page = phone_page
    log_in(page, live_server, "rep1", TEST_PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/customers/new/")
    page.fill("#id_name", "上海 华信精密机械 股份有限公司")
    page.locator("label:has(input[name=potential][value='4'])").click()
    page.get_by_test_id("save").click()

    expect(page.get_by_test_id("error-name")).to_contain_text("上海华信精密机械有限公司")
    expect(page.get_by_test_id("duplicate-link").locator("a")).to_have_attribute(
        "href", f"/customers/{account.pk}/"
    )
    expect(page.locator("input[name=potential][value='4']")).to_be_checked()
    screenshot(page, "customer-form-duplicate-phone")
    assert console_errors == []
