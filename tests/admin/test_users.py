"""User management: admins only; create, deactivate/reactivate, reset password; all audited."""

from __future__ import annotations

import httpx
import redis.asyncio as aioredis
from admin_client import BASE_URL, Account, AdminClient
from fastapi import FastAPI
from sqlalchemy import select

from admin.sessions import SESSION_PREFIX
from storage.db import session_scope
from storage.models import AuditEntry, User
from storage.repositories import verify_password

NEW_USER = {"username": "gv.lan", "full_name": "Lê Thị Lan", "role": "staff", "password": "mat-khau-cua-lan"}


def _user(username: str) -> User | None:
    with session_scope() as session:
        return session.scalar(select(User).where(User.username == username))


def _audit() -> list[tuple[str, str, str, dict]]:
    with session_scope() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action.like("user.%")).order_by(AuditEntry.id))
        return [(row.actor, row.action, row.target, row.detail) for row in rows]


def _password_ok(username: str, password: str) -> bool:
    with session_scope() as session:
        return verify_password(session, username=username, password=password) is not None


async def test_staff_cannot_open_user_management(client_staff: AdminClient) -> None:
    page = await client_staff.get("/admin/users")
    assert page.status_code == 403
    assert "Bạn không có quyền" in page.text
    home = await client_staff.get("/admin/")
    assert 'href="/admin/users"' not in home.text
    response = await client_staff.post_form("/admin/users", NEW_USER)
    assert response.status_code == 403
    assert _user("gv.lan") is None


async def test_admin_sees_users_and_the_menu_entry(client_admin: AdminClient, staff_account: Account) -> None:
    page = await client_admin.get("/admin/users")
    assert page.status_code == 200
    assert 'href="/admin/users"' in page.text
    assert "canbo" in page.text and "Trần Cán Bộ" in page.text


async def test_admin_creates_a_user_and_the_change_is_audited(client_admin: AdminClient) -> None:
    response = await client_admin.post_form("/admin/users", NEW_USER)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/users"
    created = _user("gv.lan")
    assert created is not None and created.role == "staff" and created.full_name == "Lê Thị Lan"
    assert _password_ok("gv.lan", "mat-khau-cua-lan")
    assert _audit() == [("quantri", "user.create", "gv.lan", {"role": "staff", "full_name": "Lê Thị Lan"})]
    page = await client_admin.get("/admin/users")
    assert "Đã tạo tài khoản gv.lan (Cán bộ)." in page.text
    again = await client_admin.get("/admin/users")
    assert "Đã tạo tài khoản gv.lan" not in again.text  # a flash message shows once


async def test_invalid_new_users_are_refused(client_admin: AdminClient, staff_account: Account) -> None:
    cases = [
        ({**NEW_USER, "password": "ngan-qua"}, "ít nhất 10 ký tự"),
        ({**NEW_USER, "username": "có dấu"}, "Tên đăng nhập gồm"),
        ({**NEW_USER, "role": "root"}, "Vai trò không hợp lệ"),
        ({**NEW_USER, "username": "canbo"}, "đã tồn tại"),
    ]
    for form, message in cases:
        response = await client_admin.post_form("/admin/users", form)
        assert response.status_code == 400, form
        assert message in response.text
    assert _user("gv.lan") is None
    assert _user("có dấu") is None
    assert _audit() == []


async def test_user_written_text_is_escaped(client_admin: AdminClient) -> None:
    form = {**NEW_USER, "full_name": '<script>alert("x")</script>'}
    assert (await client_admin.post_form("/admin/users", form)).status_code == 303
    page = await client_admin.get("/admin/users")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    assert '<script>alert("x")</script>' not in page.text


async def test_deactivate_and_reactivate(
    admin_app: FastAPI, client_admin: AdminClient, client_staff: AdminClient, staff_account: Account,
    redis: aioredis.Redis,
) -> None:
    response = await client_admin.post_form(f"/admin/users/{staff_account.id}/deactivate")
    assert response.status_code == 303
    assert _user("canbo").active is False  # type: ignore[union-attr]
    assert (await client_staff.get("/admin/")).status_code == 303  # open session ended
    async with AdminClient(transport=httpx.ASGITransport(app=admin_app), base_url=BASE_URL) as other:
        assert (await other.login("canbo", staff_account.password)).status_code == 401
        assert (await client_admin.post_form(f"/admin/users/{staff_account.id}/reactivate")).status_code == 303
        assert (await other.login("canbo", staff_account.password)).status_code == 303
    actions = [(action, target) for _, action, target, _ in _audit()]
    assert actions == [("user.deactivate", "canbo"), ("user.reactivate", "canbo")]
    assert _audit()[0][3] == {"sessions_ended": 1}
    assert len([key async for key in redis.scan_iter(match=f"{SESSION_PREFIX}*")]) == 2  # admin + new login


async def test_admin_cannot_lock_themselves_out(client_admin: AdminClient, admin_account: Account) -> None:
    response = await client_admin.post_form(f"/admin/users/{admin_account.id}/deactivate")
    assert response.status_code == 303
    assert _user("quantri").active is True  # type: ignore[union-attr]
    assert "Bạn không thể tự khoá" in (await client_admin.get("/admin/users")).text


async def test_reset_password(client_admin: AdminClient, client_staff: AdminClient, staff_account: Account) -> None:
    short = await client_admin.post_form(f"/admin/users/{staff_account.id}/password", {"password": "ngan"})
    assert short.status_code == 303
    assert _password_ok("canbo", staff_account.password)
    response = await client_admin.post_form(f"/admin/users/{staff_account.id}/password",
                                            {"password": "mat-khau-moi-hoan-toan"})
    assert response.status_code == 303
    assert not _password_ok("canbo", staff_account.password)
    assert _password_ok("canbo", "mat-khau-moi-hoan-toan")
    assert (await client_staff.get("/admin/")).status_code == 303  # sessions of that user ended
    assert [(a, t) for _, a, t, _ in _audit()] == [("user.reset_password", "canbo")]


async def test_a_malformed_request_is_a_vietnamese_400_page(client_admin: AdminClient) -> None:
    response = await client_admin.post_form("/admin/users/khong-phai-so/deactivate")
    assert response.status_code == 400
    assert "Dữ liệu gửi lên không hợp lệ" in response.text
    assert (await client_admin.post("/admin/users/khong-phai-so/deactivate")).status_code == 403  # CSRF first
