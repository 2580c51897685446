"""Debian's Chromium for browser tests (Playwright, no browser downloads): one way to launch
it, one place for screenshots, one way to sign in to the back office."""

from contextlib import contextmanager
from pathlib import Path

from conftest import requires

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
needs_chromium = requires(CHROMIUM.exists(), "Debian's chromium package (/usr/bin/chromium)")


@contextmanager
def chromium():
    """A headless Chromium, closed at the end. Playwright's sync API runs an event loop in
    this thread: a test that also calls the ORM sets DJANGO_ALLOW_ASYNC_UNSAFE (the `browser`
    fixture does)."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


# The password the browser tests give their staff users (backoffice/tests/conftest.staff_user).
STAFF_PASSWORD = "correct horse"  # noqa: S105 - a test user's, never a real one


def sign_in(browser, base_url: str, username: str, password: str = STAFF_PASSWORD, otp=None):
    """A new page of `browser`, signed in to the admin (with a one-time code when given)."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    if otp is not None:
        page.fill("#id_otp_token", otp)
    page.click("input[type=submit]")
    return page
