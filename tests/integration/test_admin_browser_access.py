"""Access to the admin web in real headless Chromium against the running stack: login, roles,
escaping of user-written text and CSRF."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from browser_fixtures import AdminAccounts, admin_login
from sqlalchemy import select

from storage.models import AuditEntry, User
from storage.repositories import create_user, get_user

if TYPE_CHECKING:
    from conftest import Bot
    from playwright.sync_api import Page

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SCRIPT_NAME = "<script>window.__pwned = 1</script>Cô Hạnh"
IMG_USERNAME = "<img src=x onerror=window.__pwned=2>"


def test_admin_logs_in_and_sees_the_home_page(browser_page: Page, admin_accounts: AdminAccounts) -> None:
    browser_page.goto("/admin/")
    assert "/admin/login" in browser_page.url  # not logged in yet
    admin_login(browser_page, admin_accounts.admin.username, admin_accounts.admin.password)
    assert browser_page.url.endswith("/admin/")
    assert "Xin chào, Cô Quản Trị!" in browser_page.inner_text("h1")
    assert browser_page.locator("#expiring h2").inner_text().startswith("Sắp hết hiệu lực")
    assert browser_page.locator("nav a[href='/admin/users']").count() == 1
    with browser_page.expect_navigation():
        browser_page.click("button:has-text('Đăng xuất')")
    assert "/admin/login" in browser_page.url
    browser_page.goto("/admin/")
    assert "/admin/login" in browser_page.url


def test_staff_cannot_open_user_management(staff_page: Page) -> None:
    assert staff_page.locator("nav a[href='/admin/users']").count() == 0
    response = staff_page.goto("/admin/users")
    assert response is not None and response.status == 403
    assert "Bạn không có quyền" in staff_page.inner_text("main")


def test_user_written_text_renders_as_text(bot: Bot, browser_page: Page, admin_accounts: AdminAccounts) -> None:
    with bot.db() as session:
        if get_user(session, username="browser-xss") is None:
            create_user(session, username="browser-xss", password="mat-khau-bat-ky-dai", full_name=SCRIPT_NAME)
    browser_page.goto("/admin/login")  # a failed login is audited with the typed username
    browser_page.fill("input[name=username]", IMG_USERNAME)
    browser_page.fill("input[name=password]", "sai-mat-khau-nhe")
    with browser_page.expect_navigation():
        browser_page.click("button[type=submit]")
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in browser_page.inner_text("main")

    admin_login(browser_page, admin_accounts.admin.username, admin_accounts.admin.password)
    browser_page.goto("/admin/users")
    row = browser_page.locator("#users tr", has_text="browser-xss")
    assert SCRIPT_NAME in row.inner_text()
    browser_page.goto("/admin/audit?action=auth.login_failed")
    assert IMG_USERNAME in browser_page.inner_text("#audit")
    assert browser_page.locator("#audit img").count() == 0
    assert browser_page.evaluate("window.__pwned === undefined")


def test_post_without_csrf_token_is_rejected(bot: Bot, admin_page: Page, admin_accounts: AdminAccounts) -> None:
    form = {"username": "browser-csrf", "full_name": "Không được tạo", "role": "admin", "password": "mat-khau-rat-dai"}
    response = admin_page.request.post("/admin/users", form=form, max_redirects=0)
    assert response.status == 403
    assert "Yêu cầu bị từ chối" in response.text()
    with bot.db() as session:
        assert session.scalar(select(User).where(User.username == "browser-csrf")) is None
    token = admin_page.locator("input[name=csrf_token]").first.get_attribute("value")
    assert token
    accepted = admin_page.request.post("/admin/users", form={**form, "csrf_token": token}, max_redirects=0)
    assert accepted.status == 303
    with bot.db() as session:
        created = session.scalar(select(User).where(User.username == "browser-csrf"))
        assert created is not None and created.role == "admin"
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "user.create",
                                                        AuditEntry.target == "browser-csrf"))
        assert entry is not None and entry.actor == admin_accounts.admin.username
