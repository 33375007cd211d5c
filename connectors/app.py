"""The application factory: one FastAPI app with web chat, health, platform webhooks and admin.

`create_app(settings)` takes its settings explicitly and creates ONE `httpx.AsyncClient` and ONE
Redis client for the whole process (both connect lazily, so routers and workers built by the
caller can be given them through `app.state` before start-up); the lifespan starts the
background tasks and, on shutdown, cancels them and closes the clients the app created. Tests
pass their own clients (a fake Rasa as a small ASGI app, a fake Redis), which are left open for
the test to close. One app object serves one lifespan. `main()` is the entry point for
`uvicorn --factory connectors.app:main`: it builds the platform runtime (the inbound queue and its
worker, which carries web chat too, and Zalo/Messenger when configured) and exposes
`app.state.push` for staff answers sent from the admin web.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import httpx
import redis.asyncio as aioredis
from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from redis.exceptions import RedisError

from connectors import health, webchat
from connectors.body_limit import BodySizeLimit
from connectors.logging_setup import configure_logging
from connectors.rasa_client import RasaClient
from connectors.settings import AppSettings, get_app_settings
from connectors.transport import ChatTransport, DirectRasaTransport, QueuedTransport
from connectors.turn_log import TurnLog

if TYPE_CHECKING:
    from connectors.platforms.runtime import PlatformRuntime

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
    runtime: PlatformRuntime | None = None,
) -> FastAPI:
    """Build the app.

    `extra_routers` are included after the web chat (platform webhooks, admin web);
    `background` coroutines (e.g. the inbound-queue worker) run for the app's lifetime and are
    cancelled at shutdown. Clients passed in are used as they are and not closed by the app.
    With a `runtime` (the Zalo/Messenger/web queue path), web chat is queued through it, its
    webhooks are served, its worker runs for the app's lifetime and `app.state.push` sends staff
    answers; without one, web chat calls Rasa directly and there is no `push`.
    """
    http = http_client if http_client is not None else httpx.AsyncClient()
    redis_client = redis if redis is not None else aioredis.from_url(settings.redis_url)
    rasa = RasaClient(settings.rasa_url, http, settings.rasa_timeout_seconds, settings.rasa_token)

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
    if runtime is not None:
        background = [*background, _run_runtime(runtime)]
        extra_routers = [runtime.router(), *extra_routers]
        app.state.platform_runtime = runtime
        app.state.push = runtime.push
        app.state.web_replies = runtime.web
        transport = transport or QueuedTransport(runtime.ingress, runtime.web,
                                                 wait_s=settings.webchat_wait_seconds)
    else:
        app.state.turn_log = turn_log if turn_log is not None else _storage_turn_log()
        transport = transport or DirectRasaTransport(rasa, app.state.turn_log)
    app.state.transport = transport
    app.add_middleware(BodySizeLimit, default_bytes=settings.max_body_kb * 1024)
    app.state.session_cookie = webchat.SessionCookie(settings)
    app.mount(webchat.STATIC_URL, StaticFiles(directory=webchat.STATIC_DIR), name="webchat_static")
    app.include_router(health.router)
    app.include_router(webchat.router)
    # Platform webhooks (connectors.webhooks.create_router) and the admin web (admin/…).
    for router in extra_routers:
        app.include_router(router)
    return app


def _run_runtime(runtime: PlatformRuntime) -> BackgroundTask:
    async def run_platforms(app: FastAPI) -> None:
        """The inbound worker (web chat, and Zalo/Messenger when configured) for the app's
        lifetime."""
        try:
            while True:
                try:
                    await runtime.start()
                    break
                except (RedisError, OSError) as error:  # Redis not up yet: web chat answers 503
                    logger.warning("queue worker cannot start yet: %s", type(error).__name__)
                    await asyncio.sleep(2.0)
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise asyncio.CancelledError  # redis-py may swallow a cancellation in start()
            await asyncio.Event().wait()
        finally:
            await runtime.stop()

    return run_platforms


def _storage_turn_log() -> TurnLog:
    try:
        return TurnLog.from_storage()
    except ImportError:
        logger.warning("turn log disabled: storage.repositories.log_turn is not available")
        return TurnLog(None, salt="")


def main() -> FastAPI:
    """The app for `uvicorn --factory connectors.app:main`, configured from the environment."""
    configure_logging()
    settings = get_app_settings()
    http = httpx.AsyncClient()
    redis_client = aioredis.from_url(settings.redis_url)
    from connectors.platforms.runtime import PlatformRuntime

    runtime = PlatformRuntime.from_environment(
        redis=redis_client,
        http=http,
        rasa=RasaClient(settings.rasa_url, http, settings.rasa_timeout_seconds, settings.rasa_token),
        web_session_ttl_s=int(settings.webchat_session_hours * 3600),
    )
    app = create_app(settings, http_client=http, redis=redis_client, runtime=runtime)
    import admin  # the staff and admin web under /admin

    admin.install(app)
    return app
