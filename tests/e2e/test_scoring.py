"""A manager tunes the scoring model with its live preview and follows a run to the end."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scoring.models import ScoringRun
from scoring.services import run_execute, run_request
from tests.e2e.conftest import log_in, screenshot
from tests.factories import TEST_PASSWORD, CustomerFactory, TransactionFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def population(rep):
    today = timezone.localdate()
    for i in range(12):
        customer = CustomerFactory(name=f"评分客户{i:02d}", owner=rep, status="customer", potential=1 + i % 5)
        TransactionFactory(customer=customer, occurred_on=today - timedelta(days=10), amount=1000 * (i + 1))
    run, _ = run_request(by=None, enqueue=False)
    run_execute(run_id=run.pk)


def test_preview_then_follow_a_run(live_server, manager, population, desktop_page, console_errors):
    page = desktop_page
    log_in(page, live_server, "manager", TEST_PASSWORD)
    page.goto(f"{live_server.url}/scoring/")

    # Moving the weights shows how many customers would change tier, before anything is saved.
    page.fill("#id_weight_sales", "0")
    page.fill("#id_weight_potential", "100")
    # "5 of 12 customers would change tier…" — in whatever word order the language uses.
    expect(page.get_by_test_id("preview")).to_contain_text("12", timeout=10_000)
    screenshot(page, "scoring-preview-desktop")

    # A run is queued (no worker here): the page shows its progress and follows it to the end.
    queued, _ = run_request(by=manager, enqueue=False)
    page.goto(f"{live_server.url}/scoring/")
    expect(page.get_by_test_id("run-progress")).to_be_visible()
    run_execute(run_id=queued.pk)
    expect(page.locator(f"#run-{queued.pk}")).to_have_class(re.compile("status-succeeded"), timeout=15_000)
    expect(page.get_by_test_id("run-start")).to_be_visible()
    screenshot(page, "scoring-run-finished-desktop")
    assert ScoringRun.objects.get(pk=queued.pk).status == "succeeded"
    assert console_errors == []
