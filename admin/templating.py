"""Rendering of the admin pages: one Jinja2 environment (autoescape on), the context every page
gets, date filters, and flash messages that survive the POST → 303 → GET redirect.

`render(request, "page.html", {...})` adds `user`, `csrf_token`, `flash` (messages to show) and
`nav` (the menu for the user's role). `flash(request, text, kind)` queues a message; the
`AdminResponseMiddleware` (installed by `admin.install`) writes queued messages into a signed
cookie on the response, and the next rendered page shows them and clears the cookie.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import Environment, FileSystemLoader
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin.sessions import COOKIE_PATH
from admin.settings import AdminSettings

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_URL = "/admin/static"
FLASH_COOKIE = "edubot_admin_flash"
FLASH_OUT_KEY = "admin.flash.out"
FLASH_SHOWN_KEY = "admin.flash.shown"
FLASH_MAX_CHARS = 600
VN_TZ = dt.timezone(dt.timedelta(hours=7))
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
)

NAV: tuple[tuple[str, str, bool], ...] = (
    ("Trang chủ", "/admin/", False),
    ("Tài liệu", "/admin/documents", False),
    ("Thông báo", "/admin/announcements", False),
    ("Hỏi đáp", "/admin/faq", False),
    ("Từ đồng nghĩa", "/admin/synonyms", False),
    ("Câu hỏi chưa trả lời", "/admin/unanswered", False),
    ("Phản ánh – góp ý", "/admin/tickets", False),
    ("Thống kê", "/admin/stats", False),
    ("Người dùng", "/admin/users", True),
    ("Nhật ký", "/admin/audit", False),
)


def vn_date(value: dt.date | dt.datetime | None) -> str:
    """dd/mm/yyyy; datetimes (stored as naive UTC) are shown in Vietnam time."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = _to_vietnam(value)
    return value.strftime("%d/%m/%Y")


def vn_datetime(value: dt.datetime | None) -> str:
    """dd/mm/yyyy HH:MM in Vietnam time (UTC+7)."""
    if value is None:
        return ""
    return _to_vietnam(value).strftime("%d/%m/%Y %H:%M")


def _to_vietnam(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(VN_TZ)


def query_url(request: Request, **updates: Any) -> str:
    """The current path with some query parameters replaced (None or "" removes one)."""
    params = {key: value for key, value in request.query_params.items()}
    for key, value in updates.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    return request.url.path + (f"?{urlencode(params)}" if params else "")


@functools.lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["vn_date"] = vn_date
    env.filters["vn_datetime"] = vn_datetime
    env.globals["static_url"] = STATIC_URL
    env.globals["query_url"] = query_url
    return env


def _serializer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(request.app.state.admin_settings.secret_key, salt="edubot.admin.flash")


def flash(request: Request, text: str, kind: Literal["ok", "error"] = "ok") -> None:
    """Show `text` on the next page this browser renders (after the redirect)."""
    request.scope.setdefault(FLASH_OUT_KEY, []).append([kind, text[:FLASH_MAX_CHARS]])


def _take_flashes(request: Request) -> list[dict[str, str]]:
    messages: list[list[str]] = []
    raw = request.cookies.get(FLASH_COOKIE)
    if raw and not request.scope.get(FLASH_SHOWN_KEY):
        try:
            loaded = _serializer(request).loads(raw)
            messages.extend(item for item in loaded if isinstance(item, list) and len(item) == 2)
        except BadSignature:
            pass
    request.scope[FLASH_SHOWN_KEY] = True
    messages.extend(request.scope.pop(FLASH_OUT_KEY, []))
    return [{"kind": str(kind), "text": str(text)} for kind, text in messages]


def nav_for(request: Request, user: Any) -> list[dict[str, Any]]:
    path = request.url.path
    items = []
    for label, url, admin_only in NAV:
        if admin_only and not (user is not None and user.is_admin):
            continue
        active = path == url if url == "/admin/" else path == url or path.startswith(url + "/")
        items.append({"label": label, "url": url, "active": active})
    return items


def render(request: Request, template_name: str, context: Mapping[str, Any] | None = None,
           status_code: int = 200) -> HTMLResponse:
    """Render an admin page with the shared context (user, csrf_token, flash, nav)."""
    user = getattr(request.state, "admin_user", None)
    session = getattr(request.state, "admin_session", None)
    full: dict[str, Any] = {
        "request": request,
        "user": user,
        "csrf_token": session.csrf_token if session is not None else "",
        "nav": nav_for(request, user),
    }
    full.update(context or {})
    full["flash"] = _take_flashes(request)
    html = environment().get_template(template_name).render(full)
    return HTMLResponse(html, status_code=status_code)


class AdminResponseMiddleware:
    """On /admin responses: writes queued flash messages into a signed cookie (or clears shown
    ones) and adds security headers (no framing, no caching of pages, no MIME sniffing)."""

    def __init__(self, app: ASGIApp, settings: AdminSettings) -> None:
        self.app = app
        self._settings = settings
        self._serializer = URLSafeSerializer(settings.secret_key, salt="edubot.admin.flash")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(COOKIE_PATH):
            await self.app(scope, receive, send)
            return

        static = scope["path"].startswith(STATIC_URL + "/")

        async def send_with_flash(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in SECURITY_HEADERS:
                    if name not in present and not (static and name == b"cache-control"):
                        headers.append((name, value))
                cookie = self._cookie_header(scope)
                if cookie is not None:
                    headers.append((b"set-cookie", cookie))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_flash)

    def _cookie_header(self, scope: Scope) -> bytes | None:
        pending = scope.get(FLASH_OUT_KEY)
        response = Response()
        setting = self._settings.cookie_secure
        secure = scope.get("scheme") == "https" if setting == "auto" else setting == "true"
        if pending:
            response.set_cookie(FLASH_COOKIE, self._serializer.dumps(pending), path=COOKIE_PATH,
                                httponly=True, samesite="lax", max_age=300, secure=secure)
        elif scope.get(FLASH_SHOWN_KEY) and _has_cookie(scope, FLASH_COOKIE):
            response.delete_cookie(FLASH_COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax", secure=secure)
        else:
            return None
        return response.headers["set-cookie"].encode("latin-1")


def _has_cookie(scope: Scope, name: str) -> bool:
    for key, value in scope.get("headers", []):
        if key == b"cookie" and f"{name}=".encode() in value:
            return True
    return False


def dumps_json(value: Any) -> str:
    """JSON for showing structured data (audit details) as text; the template escapes it."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
