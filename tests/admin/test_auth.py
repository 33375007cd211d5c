"""Login, logout, sessions, the login rate limit, CSRF and the admin settings."""

from __future__ import annotations

import httpx
import pytest
import redis.asyncio as aioredis
from admin_client import BASE_URL, Account, AdminClient
from fastapi import APIRouter, FastAPI
from pydantic import ValidationError
from sqlalchemy import select

from admin.sessions import COOKIE_NAME, FAIL_PREFIX, SESSION_PREFIX
from admin.settings import AdminSettings
from storage.db import session_scope
from storage.models import AuditEntry, User


def _client(app: FastAPI, *, base_url: str = BASE_URL, address: str = "127.0.0.1") -> AdminClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return AdminClient(transport=transport, base_url=base_url)


def _audit(action: str) -> list[tuple[str, str]]:
    with session_scope() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
        return [(row.actor, row.target) for row in rows]


async def _session_keys(redis: aioredis.Redis) -> list[bytes]:
    return [key async for key in redis.scan_iter(match=f"{SESSION_PREFIX}*")]


async def test_anonymous_visitor_is_sent_to_the_login_page(client_anon: AdminClient) -> None:
    response = await client_anon.get("/admin/audit?actor=x")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/login?next=%2Fadmin%2Faudit%3Factor%3Dx"
    page = await client_anon.get(response.headers["location"])
    assert page.status_code == 200
    assert 'name="next" value="/admin/audit?actor=x"' in page.text


async def test_login_starts_a_server_side_session_with_a_safe_cookie(
    client_anon: AdminClient, admin_account: Account, redis: aioredis.Redis, admin_settings: AdminSettings
) -> None:
    response = await client_anon.login(admin_account.username, admin_account.password)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(f"{COOKIE_NAME}="))
    attributes = cookie.lower()
    assert "httponly" in attributes and "samesite=lax" in attributes and "path=/admin" in attributes
    assert "secure" not in attributes  # plain http
    keys = await _session_keys(redis)
    assert len(keys) == 1
    ttl = await redis.ttl(keys[0])
    assert 0 < ttl <= admin_settings.session_hours * 3600
    home = await client_anon.get("/admin/")
    assert home.status_code == 200
    assert "Xin chào, Nguyễn Quản Trị!" in home.text
    assert _audit("auth.login") == [("quantri", "quantri")]


async def test_cookie_is_secure_over_https(admin_app: FastAPI, admin_account: Account) -> None:
    async with _client(admin_app, base_url="https://testserver") as client:
        response = await client.login(admin_account.username, admin_account.password)
    assert response.status_code == 303
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(f"{COOKIE_NAME}="))
    assert "secure" in cookie.lower()


async def test_login_redirects_only_inside_the_admin_web(client_anon: AdminClient, admin_account: Account) -> None:
    response = await client_anon.login(admin_account.username, admin_account.password, next_url="/admin/audit")
    assert response.headers["location"] == "/admin/audit"
    await client_anon.post_form("/admin/logout")
    response = await client_anon.login(admin_account.username, admin_account.password,
                                       next_url="https://evil.example/admin")
    assert response.headers["location"] == "/admin/"


@pytest.mark.parametrize("username", ["quantri", "khong-ton-tai"])
async def test_wrong_password_or_unknown_user_is_refused(
    client_anon: AdminClient, admin_account: Account, redis: aioredis.Redis, username: str
) -> None:
    response = await client_anon.login(username, "sai-mat-khau-roi")
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.text
    assert COOKIE_NAME not in client_anon.cookies
    assert await _session_keys(redis) == []
    assert _audit("auth.login_failed") == [(username, username)]
    assert (await client_anon.get("/admin/")).status_code == 303


async def test_login_is_rate_limited_per_username_and_address(
    admin_app: FastAPI, admin_account: Account, admin_settings: AdminSettings, redis: aioredis.Redis
) -> None:
    async with _client(admin_app, address="10.0.0.1") as attacker:
        for _ in range(admin_settings.login_attempts):
            assert (await attacker.login("quantri", "sai-mat-khau-roi")).status_code == 401
        blocked = await attacker.login("quantri", admin_account.password)  # even the right password
        assert blocked.status_code == 429
        assert "Đăng nhập sai quá nhiều lần" in blocked.text
        assert COOKIE_NAME not in attacker.cookies
    keys = [key async for key in redis.scan_iter(match=f"{FAIL_PREFIX}*")]
    assert len(keys) == 1
    assert 0 < await redis.ttl(keys[0]) <= admin_settings.login_window_minutes * 60
    assert len(_audit("auth.login_blocked")) == 1
    async with _client(admin_app, address="10.0.0.2") as colleague:
        assert (await colleague.login("quantri", admin_account.password)).status_code == 303


async def test_successful_login_resets_the_failure_count(
    client_anon: AdminClient, admin_account: Account, admin_settings: AdminSettings
) -> None:
    for _ in range(admin_settings.login_attempts - 1):
        await client_anon.login("quantri", "sai-mat-khau-roi")
    assert (await client_anon.login("quantri", admin_account.password)).status_code == 303
    await client_anon.post_form("/admin/logout")
    assert (await client_anon.login("quantri", "sai-mat-khau-roi")).status_code == 401
    assert (await client_anon.login("quantri", admin_account.password)).status_code == 303


async def test_logout_deletes_the_session(
    admin_app: FastAPI, client_admin: AdminClient, redis: aioredis.Redis
) -> None:
    stolen = client_admin.cookies[COOKIE_NAME]
    response = await client_admin.post_form("/admin/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/login"
    assert "Bạn đã đăng xuất." in (await client_admin.get("/admin/login")).text
    assert await _session_keys(redis) == []
    assert (await client_admin.get("/admin/")).status_code == 303
    async with _client(admin_app) as other:
        other.cookies.set(COOKIE_NAME, stolen, domain="testserver", path="/admin")
        assert (await other.get("/admin/")).status_code == 303
    assert _audit("auth.logout") == [("quantri", "quantri")]


async def test_logout_without_csrf_token_is_refused(client_admin: AdminClient) -> None:
    response = await client_admin.post("/admin/logout")
    assert response.status_code == 403
    assert "CSRF" in response.text
    assert (await client_admin.get("/admin/")).status_code == 200


async def test_login_form_without_its_csrf_token_is_refused(
    client_anon: AdminClient, admin_account: Account, redis: aioredis.Redis
) -> None:
    await client_anon.get("/admin/login")
    response = await client_anon.post("/admin/login", data={
        "username": admin_account.username, "password": admin_account.password})
    assert response.status_code == 403
    assert "tải lại trang" in response.text
    assert await _session_keys(redis) == []


async def test_csrf_less_post_changes_nothing(client_admin: AdminClient) -> None:
    form = {"username": "moi-tao", "full_name": "Mới", "role": "staff", "password": "mat-khau-dai-du"}
    for extra in ({}, {"csrf_token": "sai"}):
        response = await client_admin.post("/admin/users", data={**form, **extra})
        assert response.status_code == 403
        assert "Yêu cầu bị từ chối" in response.text
    with session_scope() as session:
        assert session.scalar(select(User).where(User.username == "moi-tao")) is None
    header = {"X-CSRF-Token": await client_admin.csrf_token()}
    assert (await client_admin.post("/admin/users", data=form, headers=header)).status_code == 303


async def test_a_forged_cookie_is_not_a_session(client_anon: AdminClient) -> None:
    client_anon.cookies.set(COOKIE_NAME, "abc.def", domain="testserver", path="/admin")
    assert (await client_anon.get("/admin/")).status_code == 303


async def test_deactivated_user_cannot_log_in_and_loses_open_sessions(
    client_staff: AdminClient, staff_account: Account, admin_app: FastAPI
) -> None:
    assert (await client_staff.get("/admin/")).status_code == 200
    with session_scope() as session:  # e.g. by another admin or from the shell
        user = session.get(User, staff_account.id)
        assert user is not None
        user.active = False
    assert (await client_staff.get("/admin/")).status_code == 303
    async with _client(admin_app) as again:
        response = await again.login(staff_account.username, staff_account.password)
        assert response.status_code == 401
        assert COOKIE_NAME not in again.cookies


def test_production_refuses_a_missing_or_placeholder_secret() -> None:
    for secret in ("", "changeme", "edubot-dev-secret-key-not-for-production", "short-but-random"):
        with pytest.raises(ValidationError, match="ADMIN_SECRET_KEY"):
            AdminSettings(app_env="production", secret_key=secret)
    key = "k" * 16 + "0123456789abcdefghijklmnop"
    assert AdminSettings(app_env="production", secret_key=key).secret_key == key


def test_development_gets_one_random_secret_per_process() -> None:
    first, second = AdminSettings(app_env="dev", secret_key=""), AdminSettings(app_env="demo", secret_key="")
    assert len(first.secret_key) >= 32
    assert first.secret_key == second.secret_key


async def test_admin_responses_carry_security_headers(client_admin: AdminClient) -> None:
    page = await client_admin.get("/admin/")
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-content-type-options"] == "nosniff"
    css = await client_admin.get("/admin/static/admin.css")
    assert css.status_code == 200 and "cache-control" not in css.headers


async def test_unknown_admin_page_is_a_vietnamese_404_and_api_clients_get_401(
    client_admin: AdminClient, client_anon: AdminClient
) -> None:
    page = await client_admin.get("/admin/khong-co-trang-nay")
    assert page.status_code == 404
    assert "Không tìm thấy" in page.text and "Đăng xuất" in page.text
    api = await client_anon.get("/admin/", headers={"Accept": "application/json"})
    assert api.status_code == 401
    assert api.json() == {"detail": "Bạn cần đăng nhập để tiếp tục."}


def test_install_refuses_an_unsafe_admin_route_without_csrf_check(
    admin_settings: AdminSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import admin
    from admin.errors import AdminError
    from admin.routes import home

    unprotected = APIRouter()

    @unprotected.post("/admin/danger")
    async def danger() -> None:  # pragma: no cover - never served
        return None

    monkeypatch.setattr(home, "router", unprotected)
    with pytest.raises(AdminError, match="POST /admin/danger"):
        admin.install(FastAPI(), admin_settings)


def test_only_admin_paths_are_redirect_targets() -> None:
    from admin.routes.login import safe_next

    assert safe_next("/admin/tickets?status=new") == "/admin/tickets?status=new"
    for target in ("https://evil.example/", "//evil.example/admin", "/\\evil.example", "/docs", "", None):
        assert safe_next(target) == "/admin/"


async def test_login_page_sends_a_logged_in_user_on(client_admin: AdminClient) -> None:
    response = await client_admin.get("/admin/login", params={"next": "/admin/audit"})
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/audit"
