"""The application factory: one FastAPI app with web chat, health and (later) webhooks and admin.

`create_app(settings)` takes its settings explicitly and creates ONE `httpx.AsyncClient` and ONE
Redis client for the whole process (both connect lazily, so routers and workers built by the
caller can be given them through `app.state` before start-up); the lifespan starts the
background tasks and, on shutdown, cancels them and closes the clients the app created. Tests
pass their own clients (a fake Rasa as a small ASGI app, a fake Redis), which are left open for
the test to close. One app object serves one lifespan. `main()` is the entry point for
`uvicorn --factory connectors.app:main`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx
import redis.asyncio as aioredis
from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from connectors import health, webchat
from connectors.rasa_client import RasaClient
from connectors.settings import AppSettings, get_app_settings
from connectors.transport import ChatTransport, DirectRasaTransport
from connectors.turn_log import TurnLog

logger = logging.getLogger(__name__)

BackgroundTask = Callable[[FastAPI], Coroutine[Any, Any, None]]


def create_app(
    settings: AppSettings,
    *,
    http_client: httpx.AsyncClient | None = None,
    redis: Any | None = None,
    transport: ChatTransport | None = None,
    turn_log: TurnLog | None = None,
    extra_routers: Sequence[APIRouter] = (),
    background: Sequence[BackgroundTask] = (),
) -> FastAPI:
    """Build the app.

    `extra_routers` are included after the web chat (platform webhooks, admin web);
    `background` coroutines (e.g. the inbound-queue worker) run for the app's lifetime and are
    cancelled at shutdown. Clients passed in are used as they are and not closed by the app.
    """
    http = http_client if http_client is not None else httpx.AsyncClient()
    redis_client = redis if redis is not None else aioredis.from_url(settings.redis_url)
    rasa = RasaClient(settings.rasa_url, http, settings.rasa_timeout_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(run(app)) for run in background]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if http_client is None:
                await http.aclose()
            if redis is None:
                await redis_client.aclose()

    app = FastAPI(
        title="Chatbot thông tin giáo dục",
        lifespan=lifespan,
        docs_url=None if settings.env == "production" else "/docs",
        redoc_url=None,
        openapi_url=None if settings.env == "production" else "/openapi.json",
    )
    app.state.settings = settings
    app.state.http_client = http
    app.state.redis = redis_client
    app.state.rasa_client = rasa
    # The queued transport (Redis Stream "inbound" + workers) is passed in here when it lands.
    app.state.transport = transport if transport is not None else DirectRasaTransport(rasa)
    app.state.turn_log = turn_log if turn_log is not None else _storage_turn_log()
    app.state.session_cookie = webchat.SessionCookie(settings)
    app.mount(webchat.STATIC_URL, StaticFiles(directory=webchat.STATIC_DIR), name="webchat_static")
    app.include_router(health.router)
    app.include_router(webchat.router)
    # Platform webhooks (connectors.webhooks.create_router) and the admin web (admin/…).
    for router in extra_routers:
        app.include_router(router)
    return app


def _storage_turn_log() -> TurnLog:
    try:
        return TurnLog.from_storage()
    except ImportError:
        logger.warning("turn log disabled: storage.repositories.log_turn is not available")
        return TurnLog(None, salt="")


def main() -> FastAPI:
    """The app for `uvicorn --factory connectors.app:main`, configured from the environment."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = get_app_settings()
    http = httpx.AsyncClient()
    redis_client = aioredis.from_url(settings.redis_url)
    from connectors.platforms.runtime import PlatformRuntime

    runtime = PlatformRuntime.from_environment(
        redis=redis_client,
        http=http,
        rasa=RasaClient(settings.rasa_url, http, settings.rasa_timeout_seconds),
    )

    async def run_platforms(app: FastAPI) -> None:
        """Zalo/Messenger webhooks' workers for the app's lifetime (web chat only if none set)."""
        await runtime.start()
        try:
            await asyncio.Event().wait()
        finally:
            await runtime.stop()

    app = create_app(
        settings,
        http_client=http,
        redis=redis_client,
        extra_routers=[runtime.router()],
        background=[run_platforms],
    )
    app.state.platform_runtime = runtime
    return app
