"""A rep logs in through the login page on a phone and on a desktop."""

import pytest

from tests.e2e.conftest import log_in, screenshot
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_login_on_a_phone_and_open_the_menu(live_server, phone_page, rep, console_errors):
    page = phone_page
    page.goto(f"{live_server.url}/")
    assert page.url.endswith("/login/?next=/")
    assert page.locator("h1").inner_text() == "登录 KAM 大客户管理"
    screenshot(page, "login-phone")

    log_in(page, live_server, "rep1", TEST_PASSWORD)

    page.wait_for_url(f"{live_server.url}/")
    assert "您好" in page.locator("h1").inner_text()
    # On a phone the navigation hides behind the menu button.
    assert not page.locator("#main-nav").is_visible()
    page.click("[data-nav-toggle]")
    assert page.locator("#main-nav").is_visible()
    assert "销售代表" in page.get_by_test_id("current-user").inner_text()
    screenshot(page, "home-phone-menu")
    assert console_errors == []


def test_login_on_a_desktop_shows_errors_then_succeeds(live_server, desktop_page, rep, console_errors):
    page = desktop_page
    log_in(page, live_server, "rep1", "wrong-password")
    assert "请输入一个正确的用户名和密码" in page.get_by_test_id("login-error").inner_text()

    log_in(page, live_server, "rep1", TEST_PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("#main-nav").is_visible()
    assert not page.locator("[data-nav-toggle]").is_visible()
    screenshot(page, "home-desktop")

    page.click("text=退出登录")
    page.wait_for_url(f"{live_server.url}/login/")
    assert console_errors == []
