"""Login and logout of the admin web.

GET /admin/login shows the form with a CSRF token tied to a signed pre-session cookie;
POST /admin/login checks that token, the rate limit (per username + address) and the password,
then starts a new server-side session. POST /admin/logout (CSRF-checked) ends it. Successful,
failed and blocked logins and logouts are written to the audit log (actor = the username typed).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from admin import audit
from admin.deps import CurrentUser, check_csrf, current_session
from admin.errors import CsrfError
from admin.sessions import (
    COOKIE_NAME,
    LOGIN_COOKIE_NAME,
    LOGIN_COOKIE_SECONDS,
    AdminUser,
    LoginToken,
    client_address,
    delete_cookie,
    login_limiter,
    session_store,
    set_cookie,
)
from admin.templating import flash, render
from storage.db import session_scope
from storage.repositories import verify_password

logger = logging.getLogger(__name__)

router = APIRouter(tags=["admin"])

MSG_WRONG = "Tên đăng nhập hoặc mật khẩu không đúng."
MSG_EMPTY = "Bạn vui lòng nhập tên đăng nhập và mật khẩu."
MSG_TOO_MANY = ("Đăng nhập sai quá nhiều lần. Bạn vui lòng thử lại sau {minutes} phút "
                "hoặc liên hệ quản trị viên để đặt lại mật khẩu.")
MSG_LOGIN_CSRF = "Phiên đăng nhập đã hết hạn. Bạn vui lòng tải lại trang đăng nhập rồi thử lại."
MAX_USERNAME_CHARS = 80


def safe_next(target: str | None) -> str:
    """Only redirect to a path of the admin web (never to another site)."""
    if target and target.startswith("/admin") and not target.startswith("//") and "\\" not in target:
        return target
    return "/admin/"


def _login_page(request: Request, *, next_url: str, username: str = "", error: str = "",
                status_code: int = 200) -> Response:
    tokens = LoginToken(request.app.state.admin_settings)
    token = tokens.read(request) or tokens.new_token()
    response = render(request, "login.html", {
        "login_token": token, "next_url": next_url, "username": username, "error": error,
    }, status_code=status_code)
    set_cookie(response, request, request.app.state.admin_settings, LOGIN_COOKIE_NAME,
               tokens.cookie_value(token), LOGIN_COOKIE_SECONDS)
    return response


@router.get("/admin/login", include_in_schema=False)
async def login_form(request: Request, next: str = "/admin/") -> Response:
    if await current_session(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, next_url=safe_next(next))


def _check_password(username: str, password: str) -> AdminUser | None:
    with session_scope() as session:
        user = verify_password(session, username=username, password=password)
        if user is None:
            return None
        return AdminUser(id=user.id, username=user.username, role=user.role, full_name=user.full_name)


def _audit(actor: str, action: str, detail: dict[str, str] | None = None) -> None:
    with session_scope() as session:
        audit.record(session, actor=actor, action=action, target=actor, detail=detail)


@router.post("/admin/login", include_in_schema=False)
async def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/admin/",
) -> Response:
    settings = request.app.state.admin_settings
    if not LoginToken(settings).matches(request, csrf_token):
        raise CsrfError(MSG_LOGIN_CSRF)
    username = username.strip()[:MAX_USERNAME_CHARS]
    next_url = safe_next(next)
    if not username or not password:
        return _login_page(request, next_url=next_url, username=username, error=MSG_EMPTY, status_code=400)
    limiter = login_limiter(request)
    address = client_address(request)
    if await limiter.blocked(username, address):
        _audit(username, "auth.login_blocked")
        message = MSG_TOO_MANY.format(minutes=settings.login_window_minutes)
        return _login_page(request, next_url=next_url, username=username, error=message, status_code=429)
    user = await asyncio.to_thread(_check_password, username, password)
    if user is None:
        await limiter.failed(username, address)
        _audit(username, "auth.login_failed")
        return _login_page(request, next_url=next_url, username=username, error=MSG_WRONG, status_code=401)
    await limiter.succeeded(username, address)
    store = session_store(request)
    old = await current_session(request)
    if old is not None:
        await store.delete(old.session_id)
    session = await store.create(user)
    _audit(user.username, "auth.login", {"role": user.role})
    logger.info("admin login: user id %s", user.id)
    response = RedirectResponse(next_url, status_code=303)
    set_cookie(response, request, settings, COOKIE_NAME, store.sign(session.session_id), store.ttl_seconds)
    delete_cookie(response, request, settings, LOGIN_COOKIE_NAME)
    return response


@router.post("/admin/logout", include_in_schema=False, dependencies=[Depends(check_csrf)])
async def logout(request: Request, user: CurrentUser) -> Response:
    session = await current_session(request)
    if session is not None:
        await session_store(request).delete(session.session_id)
    _audit(user.username, "auth.logout")
    flash(request, "Bạn đã đăng xuất.")
    response = RedirectResponse("/admin/login", status_code=303)
    delete_cookie(response, request, request.app.state.admin_settings, COOKIE_NAME)
    return response
