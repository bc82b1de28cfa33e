"""The Content-Security-Policy holds on the pages people use: every chart of the dashboard,
the customer page, Swagger UI, Redoc and the admin render in Chromium without one violation.

Violations are caught two ways: the `securitypolicyviolation` events the page fires (recorded
by a script Playwright adds before any of the page's own), and Chromium's console errors."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in, screenshot
from tests.e2e.test_dashboard import _wait_until_drawn, population  # noqa: F401 — a fixture
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def _violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations")


@pytest.fixture
def page(desktop_page):
    desktop_page.add_init_script(RECORD_VIOLATIONS)
    return desktop_page


def test_the_dashboard_and_the_customer_page_draw_under_the_policy(
    live_server,
    manager,
    population,  # noqa: F811 — the fixture imported above
    page,
    console_errors,
):
    response = page.goto(f"{live_server.url}/login/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["permissions-policy"].startswith("geolocation=(self)")
    log_in(page, live_server, "manager", TEST_PASSWORD)
    page.wait_for_url(f"{live_server.url}/dashboard/")
    _wait_until_drawn(page)
    # A tooltip is HTML that ECharts writes at run time.
    page.get_by_test_id("chart-pyramid").hover()
    assert _violations(page) == []

    page.goto(f"{live_server.url}/customers/{population[-1].pk}/")
    expect(page.locator("h1")).to_contain_text(population[-1].name)
    assert _violations(page) == []
    assert console_errors == []


def test_swagger_ui_and_redoc_render_under_the_policy(live_server, admin_user, page, console_errors):
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("KAM API", timeout=15_000)
    expect(page.locator(".opblock").first).to_be_visible()
    screenshot(page, "swagger-ui")
    assert _violations(page) == []

    assert console_errors == []

    # Redoc renders and asks nothing of another host: not even the "by Redocly" logo from its CDN
    # that Redoc always draws in its side menu (static/kam/js/redoc-offline.js drops it).
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server.url}/api/redoc/")
    # Redoc parses the whole schema in the browser: slow on a loaded 2-core machine.
    expect(page.locator("h1").first).to_contain_text("KAM API", timeout=90_000)
    expect(page.locator("[data-section-id]").first).to_be_attached()
    # The side menu's footer, where the logo would be, is drawn.
    expect(page.get_by_text("API docs by Redocly")).to_be_attached()
    page.wait_for_load_state("networkidle")
    assert _violations(page) == []
    assert console_errors == []
    local = (live_server.url + "/", "blob:", "data:")
    assert requested
    assert [url for url in requested if not url.startswith(local)] == []


def test_the_admin_works_under_the_policy(live_server, admin_user, page, console_errors):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", TEST_PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()
    page.goto(f"{live_server.url}/admin/accounts/customer/add/")
    expect(page.locator("#customer_form")).to_be_visible()
    page.goto(f"{live_server.url}/admin/users/user/")
    expect(page.locator("#result_list")).to_be_visible()
    assert _violations(page) == []
    assert console_errors == []
