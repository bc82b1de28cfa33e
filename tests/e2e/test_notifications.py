"""Notifications on a phone: after a scoring run moves one of the rep's accounts, the rep's bell
shows it and the list says which account moved; the rep then switches the daily digest off."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from events.models import Notification, NotificationKind
from scoring.services import run_execute, run_request
from tests.e2e.conftest import log_in, screenshot
from tests.factories import TEST_PASSWORD, CustomerFactory, TransactionFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AS_OF = date(2026, 6, 30)


def scoring_run() -> None:
    run, _created = run_request(by=None, as_of=AS_OF, enqueue=False)
    run_execute(run_id=run.pk)


@pytest.fixture
def moved(rep, other_rep, eager_celery):
    """Two runs; a credit note between them moves accounts (tests/events/test_emitters.py). With
    eager Celery the dispatch after the run's commit makes the notifications in-process."""
    ratings = {
        1: {"potential": 5, "demonstration": 3, "winnability": 4},
        2: {"potential": 2, "winnability": 5},
        3: {},
        4: {"potential": 5, "demonstration": 5, "winnability": 5},
    }
    sales = {1: 500, 2: 300, 3: 300, 4: 0}
    customers = {}
    for key, rating in ratings.items():
        customers[key] = CustomerFactory(name=f"通知客户{key}", status="customer", owner=rep, **rating)
        if sales[key]:
            TransactionFactory(
                customer=customers[key], occurred_on=AS_OF - timedelta(days=10), amount=sales[key]
            )
    CustomerFactory(name="别人的客户", status="customer", owner=other_rep, potential=4)
    scoring_run()  # nobody had a tier before: nothing moves
    TransactionFactory(customer=customers[1], occurred_on=AS_OF, amount=-500)
    scoring_run()
    mine = Notification.objects.filter(user=rep, kind=NotificationKind.TIER_CHANGED)
    assert mine.exists()
    assert not Notification.objects.filter(user=other_rep).exists()
    return mine


def test_the_bell_shows_a_tier_change_and_the_digest_is_switched_off(
    live_server, rep, moved, phone_page, console_errors
):
    page = phone_page
    count = moved.count()
    log_in(page, live_server, "rep1", TEST_PASSWORD)
    page.wait_for_url(f"{live_server.url}/")

    bell = page.get_by_test_id("nav-bell")
    expect(bell).to_be_visible()  # in the top bar on a phone, not inside the folded menu
    expect(page.get_by_test_id("bell-count")).to_have_text(str(count))
    screenshot(page, "notifications-bell-phone")

    bell.click()
    page.wait_for_url(f"{live_server.url}/notifications/")
    items = page.get_by_test_id("notification")
    expect(items).to_have_count(count)
    moved_name = moved.first().params["customer_name"]
    expect(page.get_by_test_id("notification-list")).to_contain_text(moved_name)
    expect(items.first).to_have_attribute("data-kind", "tier_changed")
    screenshot(page, "notifications-list-phone")

    # Opening one marks it read and goes to the account.
    page.get_by_test_id("notification-open").first.click()
    page.wait_for_url(re.compile(r"/customers/\d+/$"))
    if count > 1:
        expect(page.get_by_test_id("bell-count")).to_have_text(str(count - 1))
    else:
        expect(page.get_by_test_id("bell-count")).to_have_count(0)

    # The daily digest: on by default, switched off here.
    page.goto(f"{live_server.url}/notifications/")
    checkbox = page.get_by_test_id("digest-enabled")
    expect(checkbox).to_be_checked()
    checkbox.uncheck()
    page.get_by_test_id("digest-save").click()
    page.wait_for_url(f"{live_server.url}/notifications/")
    expect(page.get_by_test_id("digest-enabled")).not_to_be_checked()
    expect(page.get_by_test_id("message")).to_be_visible()
    screenshot(page, "notifications-digest-off-phone")
    rep.refresh_from_db()
    assert rep.digest_enabled is False
    assert console_errors == []
