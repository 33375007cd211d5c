"""FastAPI dependencies every admin page uses: the database session, the logged-in user, the
admin-only guard and the CSRF check, plus `protected_router()` that applies auth + CSRF to a
whole router, and the handlers that turn `admin.errors` into redirects and error pages.

Handlers that take `SessionDep` are `async def`: the session is used on the event loop thread
and committed when the handler returns without error (before the response is sent).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Iterable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from admin.errors import CsrfError, Forbidden, LoginRateLimited, NotLoggedIn
from admin.sessions import COOKIE_NAME, AdminSession, AdminUser, session_store
from storage.db import session_scope
from storage.models import User

logger = logging.getLogger(__name__)

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
CSRF_EXEMPT_PATHS = frozenset({"/admin/login"})  # checked against its own pre-session token


async def get_db() -> AsyncIterator[Session]:
    """A SQLAlchemy session that commits when the handler succeeds and rolls back otherwise."""
    with session_scope() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db, scope="function")]


def _load_user(user_id: int) -> AdminUser | None:
    with session_scope() as db:
        user = db.get(User, user_id)
        if user is None or not user.active:
            return None
        return AdminUser(id=user.id, username=user.username, role=user.role, full_name=user.full_name)


async def current_session(request: Request) -> AdminSession | None:
    """The request's live admin session whose user is still active, or None."""
    if hasattr(request.state, "admin_session"):
        cached: AdminSession | None = request.state.admin_session
        return cached
    store = session_store(request)
    session = await store.load(request.cookies.get(COOKIE_NAME))
    user = _load_user(session.user_id) if session is not None else None
    if session is not None and user is None:
        await store.delete(session.session_id)  # deactivated or deleted user
        session = None
    request.state.admin_session = session
    request.state.admin_user = user
    return session


async def current_user(request: Request) -> AdminUser:
    """The logged-in user; not logged in → `NotLoggedIn` (303 to the login page)."""
    await current_session(request)
    user: AdminUser | None = request.state.admin_user
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise NotLoggedIn(target if request.method == "GET" else "/admin/")
    return user


CurrentUser = Annotated[AdminUser, Depends(current_user)]


async def require_admin(user: CurrentUser) -> AdminUser:
    """The logged-in user if they are an admin, else `Forbidden` (403 page)."""
    if not user.is_admin:
        raise Forbidden("Bạn không có quyền truy cập trang này: chỉ quản trị viên mới được dùng chức năng này.")
    return user


AdminOnly = Annotated[AdminUser, Depends(require_admin)]


async def submitted_csrf_token(request: Request) -> str:
    """The token sent with the request: header X-CSRF-Token, else form field csrf_token."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


async def check_csrf(request: Request, user: CurrentUser) -> None:
    """Refuse unsafe requests whose CSRF token is missing or not this session's (403)."""
    if request.method not in UNSAFE_METHODS:
        return
    session: AdminSession | None = request.state.admin_session
    submitted = await submitted_csrf_token(request)
    if session is None or not submitted or not secrets.compare_digest(submitted, session.csrf_token):
        logger.warning("admin CSRF check failed: %s %s (user id %s)", request.method, request.url.path, user.id)
        raise CsrfError()


def protected_router(**kwargs: Any) -> APIRouter:
    """An `APIRouter` whose every route needs a logged-in user and, when unsafe, a CSRF token."""
    dependencies = [Depends(current_user), Depends(check_csrf), *kwargs.pop("dependencies", [])]
    return APIRouter(dependencies=dependencies, **kwargs)


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


async def _not_logged_in(request: Request, error: Exception) -> Response:
    assert isinstance(error, NotLoggedIn)
    if _wants_json(request):
        return JSONResponse({"detail": str(error)}, status_code=401)
    return RedirectResponse(f"/admin/login?next={quote(error.next_url, safe='')}", status_code=303)


async def _error_page(request: Request, error: Exception) -> Response:
    from admin.templating import render

    status = 429 if isinstance(error, LoginRateLimited) else 403
    title = "Không có quyền truy cập" if isinstance(error, Forbidden) else "Yêu cầu bị từ chối"
    return render(request, "error.html", {"title": title, "message": str(error)}, status_code=status)


async def _http_error(request: Request, error: Exception) -> Response:
    """404/405 … under /admin as a Vietnamese page for browsers; FastAPI's JSON elsewhere."""
    assert isinstance(error, StarletteHTTPException)
    if not request.url.path.startswith("/admin") or _wants_json(request) or error.status_code < 400:
        return await http_exception_handler(request, error)
    from admin.templating import render

    await current_session(request)
    title, message = HTTP_ERROR_PAGES.get(error.status_code, ("Có lỗi xảy ra", "Yêu cầu không thực hiện được."))
    if isinstance(error.detail, str) and error.detail not in ("Not Found", "Method Not Allowed") \
            and not error.detail.isascii():
        message = error.detail  # a Vietnamese message from the page's handler
    response = render(request, "error.html", {"title": title, "message": message}, status_code=error.status_code)
    for name, value in (error.headers or {}).items():
        response.headers[name] = value
    return response


async def _invalid_request(request: Request, error: Exception) -> Response:
    """A malformed form or path under /admin as a Vietnamese 400 page; FastAPI's 422 elsewhere."""
    assert isinstance(error, RequestValidationError)
    if not request.url.path.startswith("/admin") or _wants_json(request):
        return await request_validation_exception_handler(request, error)
    from admin.templating import render

    await current_session(request)
    logger.info("invalid admin request: %s %s", request.method, request.url.path)
    return render(request, "error.html", {
        "title": "Yêu cầu không hợp lệ",
        "message": "Dữ liệu gửi lên không hợp lệ. Bạn vui lòng quay lại, kiểm tra rồi thử lại.",
    }, status_code=400)


HTTP_ERROR_PAGES = {
    404: ("Không tìm thấy", "Không tìm thấy trang hoặc mục bạn yêu cầu."),
    405: ("Yêu cầu không hợp lệ", "Trang này không nhận kiểu yêu cầu đó."),
    413: ("Tệp quá lớn", "Tệp tải lên vượt quá dung lượng cho phép."),
}


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(NotLoggedIn, _not_logged_in)
    for error_class in (Forbidden, CsrfError, LoginRateLimited):
        app.add_exception_handler(error_class, _error_page)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)


def _depends_on(dependant: Any, call: Any) -> bool:
    return any(dep.call is call or _depends_on(dep, call) for dep in dependant.dependencies)


def unprotected_routes(routers: Iterable[APIRouter]) -> list[str]:
    """Unsafe routes under /admin (except the login form) that skip the CSRF check."""
    found = []
    for router in routers:
        for route in router.routes:
            if not isinstance(route, APIRoute) or not route.path.startswith("/admin"):
                continue
            unsafe = set(route.methods or ()) & UNSAFE_METHODS
            if unsafe and route.path not in CSRF_EXEMPT_PATHS and not _depends_on(route.dependant, check_csrf):
                found.extend(f"{method} {route.path}" for method in sorted(unsafe))
    return found
