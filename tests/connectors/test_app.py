"""create_app: extra routers are served, background tasks live exactly as long as the app, the
clients the app created are closed at shutdown and the ones passed in are not."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import APIRouter, FastAPI

from connectors.app import create_app
from connectors.settings import AppSettings
from connectors.turn_log import TurnLog


def settings() -> AppSettings:
    return AppSettings(redis_url="redis://127.0.0.1:1/0", _env_file=None)


async def test_extra_routers_are_served_next_to_the_web_chat() -> None:
    extra = APIRouter()

    @extra.get("/webhooks/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "ok"}

    app = create_app(settings(), turn_log=TurnLog(None, ""), extra_routers=[extra])
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            assert (await client.get("/webhooks/ping")).json() == {"pong": "ok"}
            assert (await client.get("/")).status_code == 200


async def test_background_tasks_run_during_the_lifespan_and_are_cancelled_after() -> None:
    events: list[str] = []
    started = asyncio.Event()

    async def worker(app: FastAPI) -> None:
        events.append(f"started with {type(app.state.rasa_client).__name__}")
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            events.append("cancelled")
            raise

    app = create_app(settings(), turn_log=TurnLog(None, ""), background=[worker])
    owned_http: httpx.AsyncClient = app.state.http_client
    async with app.router.lifespan_context(app):
        await asyncio.wait_for(started.wait(), timeout=10)
        assert events == ["started with RasaClient"]
        assert not owned_http.is_closed
    assert events == ["started with RasaClient", "cancelled"]
    assert owned_http.is_closed


async def test_clients_passed_in_stay_open_after_shutdown() -> None:
    http = httpx.AsyncClient()

    class Redis:
        closed = False

        async def aclose(self) -> None:
            self.closed = True

    redis = Redis()
    app = create_app(settings(), http_client=http, redis=redis, turn_log=TurnLog(None, ""))
    async with app.router.lifespan_context(app):
        assert app.state.http_client is http and app.state.redis is redis
    assert not http.is_closed and not redis.closed
    await http.aclose()
