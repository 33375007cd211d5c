"""GET /health: is everything the bot needs up? For load balancers, `make run` and the tests.

Answers 200 with `"status": "ok"` when Redis, the Rasa server and the action server all answer,
else 503 with `"status": "degraded"`; each dependency reports `ok`, its latency and, when it
failed, the kind of failure (never a URL or a secret).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

from connectors.errors import RasaError
from connectors.rasa_client import RasaClient

router = APIRouter(tags=["health"])

Check = Callable[[], Awaitable[Any]]


async def _probe(check: Check, timeout: float) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(check(), timeout=timeout)
    except (TimeoutError, asyncio.TimeoutError):
        return {"ok": False, "error": f"no answer within {timeout:g} s"}
    except (OSError, RasaError, httpx.HTTPError, RedisError) as error:
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


async def _action_server_ok(http: httpx.AsyncClient, base_url: str, timeout: float) -> None:
    response = await http.get(base_url.rstrip("/") + "/health", timeout=timeout)
    response.raise_for_status()


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    """Redis PING, Rasa /status and the action server's /health, checked concurrently."""
    state = request.app.state
    timeout: float = state.settings.health_timeout_seconds
    rasa: RasaClient = state.rasa_client
    http: httpx.AsyncClient = state.http_client
    redis_report, rasa_report, actions_report = await asyncio.gather(
        _probe(state.redis.ping, timeout),
        _probe(rasa.status, timeout),
        _probe(lambda: _action_server_ok(http, state.settings.action_server_url, timeout), timeout),
    )
    healthy = all(r["ok"] for r in (redis_report, rasa_report, actions_report))
    body = {
        "status": "ok" if healthy else "degraded",
        "redis": redis_report,
        "rasa": rasa_report,
        "action_server": actions_report,
    }
    runtime = getattr(state, "platform_runtime", None)
    if runtime is not None:
        try:
            platforms = await asyncio.wait_for(runtime.health(), timeout)
        except (OSError, TimeoutError, RedisError) as error:
            platforms = {"error": type(error).__name__}
        body["platforms"] = platforms
        tokens = platforms.get("zalo_tokens")
        if isinstance(tokens, dict) and tokens.get("ok") is False:
            # A failed Zalo token refresh means replies cannot be sent: report it as unhealthy.
            body["status"] = "degraded"
            healthy = False
    return JSONResponse(body, status_code=200 if healthy else 503)
