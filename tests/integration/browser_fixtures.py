"""Playwright fixtures of the browser tests: Debian's headless Chromium against the real stack.

Chromium is `/usr/bin/chromium` (installed by `scripts/setup.sh --browser`); Playwright never
downloads a browser here. Tests without it are skipped with the reason. One browser is launched
per session; every test gets a fresh context (its own cookies) whose base URL is the app of the
session-scoped `bot` stack. `admin_accounts` creates an admin and a staff account in the stack's
database once; `admin_login(page, username, password)` logs in through the real login form.

Browser tests are plain (sync) test functions marked `integration` and `browser`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from storage.repositories import create_user, get_user

if TYPE_CHECKING:
    from conftest import Bot
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
NAVIGATION_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    full_name: str


@dataclass(frozen=True)
class AdminAccounts:
    admin: Credentials
    staff: Credentials


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """Headless Debian Chromium driven by Playwright (skipped when it is not installed)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install it with `scripts/setup.sh --browser`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(chromium: Browser, bot: Bot) -> Iterator[Page]:
    """A fresh page (own cookies) whose relative URLs go to the running app."""
    context = chromium.new_context(base_url=bot.stack.app_url, locale="vi-VN")
    context.set_default_timeout(NAVIGATION_TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def admin_accounts(bot: Bot) -> AdminAccounts:
    """An admin and a staff account in the stack's database (created once per session)."""
    accounts = AdminAccounts(
        admin=Credentials("browser-admin", "mat-khau-quan-tri-trinh-duyet", "Cô Quản Trị"),
        staff=Credentials("browser-staff", "mat-khau-can-bo-trinh-duyet", "Thầy Cán Bộ"),
    )
    with bot.db() as session:
        for credentials, role in ((accounts.admin, "admin"), (accounts.staff, "staff")):
            if get_user(session, username=credentials.username) is None:
                create_user(session, username=credentials.username, password=credentials.password, role=role,
                            full_name=credentials.full_name)
    return accounts


def admin_login(page: Page, username: str, password: str) -> Page:
    """Log in through the real login form and wait for the page after it."""
    page.goto("/admin/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/admin/login" not in page.url, page.inner_text("main")[:300]
    return page


@pytest.fixture
def admin_page(browser_page: Page, admin_accounts: AdminAccounts) -> Page:
    """A page logged in as the admin account."""
    return admin_login(browser_page, admin_accounts.admin.username, admin_accounts.admin.password)


@pytest.fixture
def staff_page(browser_page: Page, admin_accounts: AdminAccounts) -> Page:
    """A page logged in as the staff account."""
    return admin_login(browser_page, admin_accounts.staff.username, admin_accounts.staff.password)
