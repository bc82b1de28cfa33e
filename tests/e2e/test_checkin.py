"""A rep on a phone checks in at a customer and sees how far the check-in is from the customer's
site; at a customer without a site, they make the check-in the site.

The site is 上海人民广场 (31.2304, 121.4737); the phone reports 31.2313, 121.4737, 0.0009° of
latitude north: 0.0009 × 111,195.08 m = 100 m.
"""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import Visit
from audit.models import AuditEvent
from tests.e2e.conftest import log_in, screenshot
from tests.factories import TEST_PASSWORD, CustomerFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AT_THE_DOOR = {"latitude": 31.2313, "longitude": 121.4737, "accuracy": 15}


def log_a_visit_with_a_check_in(page, live_server, customer, summary: str) -> None:
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    page.get_by_test_id("log-visit-fab").click()
    page.wait_for_url(f"{live_server.url}/customers/{customer.pk}/visits/new/")
    page.fill("#id_summary", summary)
    page.get_by_test_id("use-location").click()
    expect(page.get_by_test_id("location-status")).to_contain_text("31.231300, 121.473700")
    page.get_by_test_id("save-visit").click()
    page.wait_for_url(f"{live_server.url}/customers/{customer.pk}/#visit-*")


@pytest.fixture
def phone(phone_page, live_server, rep):
    phone_page.context.grant_permissions(["geolocation"], origin=live_server.url)
    phone_page.context.set_geolocation(AT_THE_DOOR)
    log_in(phone_page, live_server, "rep1", TEST_PASSWORD)
    phone_page.wait_for_url(f"{live_server.url}/")
    return phone_page


def test_a_check_in_shows_its_distance_to_the_customer(live_server, rep, phone, console_errors):
    customer = CustomerFactory(
        owner=rep, name="上海华信精密机械有限公司", latitude=Decimal("31.2304"), longitude=Decimal("121.4737")
    )

    log_a_visit_with_a_check_in(phone, live_server, customer, "门口签到，现场演示")

    visit = phone.get_by_test_id("visit").first
    expect(visit.get_by_test_id("visit-summary")).to_have_text("门口签到，现场演示")
    expect(visit.get_by_test_id("visit-distance")).to_have_text("距客户 100 米")
    expect(visit.get_by_test_id("checkin-far")).to_have_count(0)
    visit.scroll_into_view_if_needed()
    screenshot(phone, "checkin-distance-phone")
    saved = Visit.objects.get(summary="门口签到，现场演示")
    assert (saved.latitude, saved.longitude) == (Decimal("31.231300"), Decimal("121.473700"))

    # My day lists it with its distance too.
    phone.goto(f"{live_server.url}/")
    expect(phone.get_by_test_id("recent-activity").get_by_test_id("visit-distance")).to_have_text(
        "距客户 100 米"
    )
    assert console_errors == []


def test_a_rep_makes_a_check_in_the_customers_site(live_server, rep, phone, console_errors):
    customer = CustomerFactory(owner=rep, name="杭州西湖软件有限公司")

    log_a_visit_with_a_check_in(phone, live_server, customer, "首次拜访")

    visit = phone.get_by_test_id("visit").first
    expect(visit.get_by_test_id("visit-distance")).to_have_text("客户尚未设置地址。")
    screenshot(phone, "checkin-no-site-phone")
    visit.get_by_test_id("use-as-site").click()

    phone.wait_for_url(f"{live_server.url}/customers/{customer.pk}/#visit-*")
    expect(phone.get_by_test_id("customer-site")).to_have_text("31.231300, 121.473700")
    visit = phone.get_by_test_id("visit").first
    expect(visit.get_by_test_id("visit-distance")).to_have_text("距客户 0 米")
    expect(visit.get_by_test_id("use-as-site")).to_have_count(0)
    customer.refresh_from_db()
    assert (customer.latitude, customer.longitude) == (Decimal("31.231300"), Decimal("121.473700"))
    assert (
        AuditEvent.objects.filter(object_type="customer", object_id=customer.pk, action="update").count() == 1
    )
    assert console_errors == []
