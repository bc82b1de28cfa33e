"""API keys on a phone: a rep creates a key for an integration, sees it once, the key works on
the API, and revoking it on the page ends it on the next request."""

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in, screenshot
from tests.factories import TEST_PASSWORD
from users.models import ApiKey

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def api_status(live_server, key: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/me/", headers={"Authorization": f"Api-Key {key}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_rep_creates_a_key_on_a_phone_uses_it_and_revokes_it(live_server, rep, phone_page, console_errors):
    page = phone_page
    log_in(page, live_server, "rep1", TEST_PASSWORD)
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/account/api-keys/")
    expect(page.get_by_test_id("no-api-keys")).to_be_visible()
    page.fill("#id_name", "ERP 用友")
    page.get_by_test_id("api-key-create").click()

    created = page.get_by_test_id("api-key-created")
    expect(created).to_be_visible()
    key = page.get_by_test_id("api-key-value").input_value()
    screenshot(page, "api-key-created-phone")
    assert key.startswith(f"kam_{ApiKey.objects.get().prefix}_")
    status, body = api_status(live_server, key)
    assert (status, body["username"]) == (200, "rep1")

    page.goto(f"{live_server.url}/account/api-keys/")  # shown once: not any more
    expect(page.get_by_test_id("api-key-created")).to_have_count(0)
    assert key not in page.content()
    page.get_by_test_id("api-key-revoke").click()
    page.wait_for_url(f"{live_server.url}/account/api-keys/")
    expect(page.get_by_test_id("api-key-revoke")).to_have_count(0)
    expect(page.get_by_test_id("api-key-status")).to_have_class("badge danger")
    screenshot(page, "api-keys-revoked-phone")

    assert api_status(live_server, key)[0] == 401
    assert console_errors == []
