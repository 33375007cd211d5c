"""GET /health in-process: fake Rasa and action server (one MockTransport), a fake Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from redis.exceptions import ConnectionError as RedisConnectionError

from connectors.app import create_app
from connectors.settings import AppSettings
from connectors.turn_log import TurnLog

RASA_URL = "http://rasa.test"
ACTIONS_URL = "http://actions.test"


class FakeRedis:
    def __init__(self, up: bool = True) -> None:
        self.up = up
        self.pings = 0

    async def ping(self) -> bool:
        self.pings += 1
        if not self.up:
            raise RedisConnectionError("Connection refused")
        return True


class FakeBackends:
    """Rasa's /status and the action server's /health, each up or in a given failure."""

    def __init__(self, rasa: str = "up", actions: str = "up") -> None:
        self.rasa = rasa
        self.actions = actions
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(f"{request.url.host}{request.url.path}")
        state = self.rasa if request.url.host == "rasa.test" else self.actions
        if state == "refused":
            raise httpx.ConnectError("connection refused", request=request)
        if state == "error":
            return httpx.Response(500, text="Internal Server Error")
        if request.url.path == "/status":
            return httpx.Response(200, json={"model_file": "edubot-x.tar.gz"})
        if request.url.path == "/health":
            return httpx.Response(200, json={"status": "ok"})
        return httpx.Response(404)


@asynccontextmanager
async def health_client(
    backends: FakeBackends, redis: FakeRedis
) -> AsyncIterator[httpx.AsyncClient]:
    settings = AppSettings(rasa_url=RASA_URL, action_server_url=ACTIONS_URL, _env_file=None)
    backend = httpx.AsyncClient(transport=httpx.MockTransport(backends))
    app = create_app(settings, http_client=backend, redis=redis, turn_log=TurnLog(None, ""))
    async with backend, app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def get_health(backends: FakeBackends, redis: FakeRedis) -> tuple[int, dict[str, Any]]:
    async with health_client(backends, redis) as client:
        response = await client.get("/health")
    return response.status_code, response.json()


async def test_all_dependencies_up_is_200_ok() -> None:
    backends, redis = FakeBackends(), FakeRedis()
    status, body = await get_health(backends, redis)
    assert status == 200
    assert body["status"] == "ok"
    for name in ("redis", "rasa", "action_server"):
        assert body[name]["ok"] is True
        assert body[name]["latency_ms"] >= 0
    assert redis.pings == 1
    assert sorted(backends.paths) == ["actions.test/health", "rasa.test/status"]


async def test_redis_down_is_503_degraded_naming_redis() -> None:
    status, body = await get_health(FakeBackends(), FakeRedis(up=False))
    assert status == 503
    assert body["status"] == "degraded"
    assert body["redis"] == {"ok": False, "error": "ConnectionError"}
    assert body["rasa"]["ok"] is True and body["action_server"]["ok"] is True


async def test_rasa_down_is_503_and_the_report_hides_urls() -> None:
    status, body = await get_health(FakeBackends(rasa="refused"), FakeRedis())
    assert status == 503
    assert body["rasa"] == {"ok": False, "error": "RasaUnavailable"}
    assert "rasa.test" not in str(body)


async def test_failing_action_server_is_503() -> None:
    status, body = await get_health(FakeBackends(actions="error"), FakeRedis())
    assert status == 503
    assert body["action_server"] == {"ok": False, "error": "HTTPStatusError"}
    assert body["redis"]["ok"] is True and body["rasa"]["ok"] is True
