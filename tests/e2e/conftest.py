"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server."""

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import service_missing

CHROMIUM = os.environ.get("KAM_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1366, "height": 860}}


@pytest.fixture(autouse=True)
def _allow_orm_beside_playwright(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the Django ORM calls that the
    # tests make around it are synchronous and safe, so allow them (for these tests only).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    # Per test: Playwright's event loop must be gone before pytest-django flushes the database.
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        service_missing(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        # While Playwright's event loop is running, Django keeps this thread's database
        # connection in a separate, loop-local slot; close it now, while it is reachable,
        # or the test database teardown finds it still open.
        from django.db import connections

        connections.close_all()
        browser.close()


@pytest.fixture
def console_errors():
    return []


def _new_page(browser, console_errors, **options):
    context = browser.new_context(locale="zh-CN", **options)
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    return context, page


@pytest.fixture
def phone_page(browser, console_errors):
    context, page = _new_page(browser, console_errors, **PHONE)
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser, console_errors):
    context, page = _new_page(browser, console_errors, **DESKTOP)
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
