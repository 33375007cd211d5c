"""Settings, signed webhook bodies and a wait helper shared by the connector tests."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import FastAPI

from connectors.messages import IncomingMessage, OutgoingMessage
from connectors.platform_settings import MessengerSettings, WorkerSettings, ZaloSettings
from connectors.platforms import zalo
from connectors.platforms.runtime import PlatformRuntime
from connectors.rasa_client import RasaClient

APP_SECRET = "messenger-app-secret"
VERIFY_TOKEN = "verify-me"
PAGE_TOKEN = "PAGE-TOKEN"
ZALO_APP_ID = "1234567890"
ZALO_OA_ID = "998877"
ZALO_SECRET = "oa-secret-key"


def messenger_settings(graph_url: str = "http://127.0.0.1:9", **overrides: Any
                       ) -> MessengerSettings:
    values = dict(app_secret=APP_SECRET, verify_token=VERIFY_TOKEN, page_access_token=PAGE_TOKEN,
                  graph_base_url=graph_url, timeout_s=5.0)
    values.update(overrides)
    return MessengerSettings(_env_file=None, **values)


def zalo_settings(base_url: str = "http://127.0.0.1:9", **overrides: Any) -> ZaloSettings:
    values = dict(app_id=ZALO_APP_ID, oa_secret_key=ZALO_SECRET, app_secret="zalo-app-secret",
                  access_token="AT-0", refresh_token="RT-0", api_base_url=base_url,
                  oauth_base_url=base_url, timeout_s=5.0)
    values.update(overrides)
    return ZaloSettings(_env_file=None, **values)


def worker_settings(**overrides: Any) -> WorkerSettings:
    values: dict[str, Any] = dict(partitions=2, lease_ms=1000, claim_idle_ms=100,
                                  rasa_retry_max_s=0.05, send_backoff_s=0.001)
    values.update(overrides)
    return WorkerSettings(_env_file=None, **values)


def messenger_body(*events_per_entry: list[dict[str, Any]]) -> bytes:
    """A page webhook body with one entry per list of events, non-ASCII escaped like Graph's."""
    entries = [{"id": "PAGE", "time": 1, "messaging": events} for events in events_per_entry]
    return json.dumps({"object": "page", "entry": entries}).encode("ascii")


def text_event(user: str, mid: str, text: str, *, quick: str | None = None,
               timestamp: int | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"mid": mid, "text": text}
    if quick is not None:
        message["quick_reply"] = {"payload": quick}
    return {"sender": {"id": user}, "recipient": {"id": "PAGE"},
            "timestamp": timestamp or int(time.time() * 1000), "message": message}


def messenger_headers(body: bytes, secret: str = APP_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


def zalo_body(event: str = "user_send_text", *, user: str = "zu1", mid: str = "zm1",
              text: str = "Học phí lớp 1?", timestamp: int | None = None,
              **extra: Any) -> bytes:
    payload: dict[str, Any] = {
        "app_id": ZALO_APP_ID, "user_id_by_app": "app-" + user, "event_name": event,
        "timestamp": str(timestamp or int(time.time() * 1000)),
        "sender": {"id": user}, "recipient": {"id": ZALO_OA_ID},
        "message": {"msg_id": mid, "text": text},
    }
    payload.update(extra)
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def zalo_headers(body: bytes, term: str = ZALO_APP_ID, secret: str = ZALO_SECRET) -> dict[str, str]:
    timestamp = str(json.loads(body)["timestamp"])
    return {"X-ZEvent-Signature": "mac=" + zalo.signature(term, body, timestamp, secret),
            "Content-Type": "application/json"}


async def eventually(check: Callable[[], Awaitable[bool] | bool], timeout: float = 15.0) -> None:
    """Wait until `check()` holds (a guard against hanging, not a speed assertion)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.02)


class MemoryRecords:
    """Records the worker's turn and unfollow writes in lists (for tests without SQL)."""

    def __init__(self) -> None:
        self.turns: list[tuple[IncomingMessage, list[OutgoingMessage], str]] = []
        self.unfollows: list[IncomingMessage] = []

    async def turn(self, message: IncomingMessage, replies: list[OutgoingMessage], *,
                   delivery: str, latency_ms: float) -> None:
        self.turns.append((message, replies, delivery))

    async def unfollow(self, message: IncomingMessage) -> None:
        self.unfollows.append(message)

    def deliveries(self) -> list[str]:
        return [delivery for _, _, delivery in self.turns]


def make_runtime(
    redis: Any, http: httpx.AsyncClient, *, rasa_url: str, graph_url: str | None = None,
    zalo_url: str | None = None, records: Any = None, consumer: str | None = None,
    rasa_timeout: float = 60.0, **worker: Any,
) -> PlatformRuntime:
    """The platform path wired to the fakes; channels without a fake URL are disabled."""
    none = dict(app_secret="", verify_token="", page_access_token="")
    return PlatformRuntime(
        redis=redis, http=http, rasa=RasaClient(rasa_url, http, rasa_timeout), salt="test-salt",
        messenger=messenger_settings(graph_url) if graph_url else MessengerSettings(
            _env_file=None, **none),
        zalo=zalo_settings(zalo_url) if zalo_url else ZaloSettings(
            _env_file=None, app_id="", oa_secret_key="", app_secret="", access_token="",
            refresh_token=""),
        worker=worker_settings(**worker), records=records, consumer=consumer,
    )


def webhook_client(runtime: PlatformRuntime) -> httpx.AsyncClient:
    """An in-process client for an app holding only the webhook routes."""
    app = FastAPI()
    app.include_router(runtime.router())
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app")
