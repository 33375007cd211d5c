"""The staff and admin web, served by the connectors' FastAPI app under /admin.

`install(app)` mounts the static files, adds the middleware (flash messages, security headers)
and the error handlers, and includes the router of every module named in `ROUTE_MODULES`
(modules under `admin.routes`, each exposing `router`). A new page is one module plus one name.
Installing fails loudly when an unsafe /admin route (other than the login form) is not protected
by the CSRF check, so a router built without `admin.deps.protected_router()` cannot slip through.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from admin.settings import AdminSettings, get_admin_settings

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"

ROUTE_MODULES: tuple[str, ...] = (
    "login",
    "home",
    "users",
    "audit_log",
    "tickets",
    "stats",
    "unanswered",
    "document_uploads", "documents", "announcements", "faq", "synonyms",
)


def install(app: FastAPI, settings: AdminSettings | None = None) -> None:
    """Serve the admin web from `app` (call before the app starts)."""
    from admin.deps import register_error_handlers, unprotected_routes
    from admin.errors import AdminError
    from admin.templating import STATIC_URL, AdminResponseMiddleware

    admin_settings = settings if settings is not None else get_admin_settings()
    app.state.admin_settings = admin_settings
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="admin_static")
    app.add_middleware(AdminResponseMiddleware, settings=admin_settings)
    register_error_handlers(app)
    routers = [importlib.import_module(f"admin.routes.{name}").router for name in ROUTE_MODULES]
    unprotected = unprotected_routes(routers)
    if unprotected:
        raise AdminError(f"admin routes without the CSRF check (use admin.deps.protected_router()): {unprotected}")
    for router in routers:
        app.include_router(router)
    logger.info("admin web installed under /admin (%d route modules)", len(ROUTE_MODULES))
