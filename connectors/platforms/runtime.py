"""Assembling the platform path of one process: webhooks router, queue, senders and worker.

The app factory includes `runtime.router()` and calls `start()` / `stop()` in its lifespan;
`python -m connectors.platforms.runtime` runs workers alone (scale them separately from the
web processes: every state lives in Redis). Missing or half-set credentials fail here, at
start-up, never at the first message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import httpx
import redis.asyncio as aioredis
from fastapi import APIRouter

from connectors.dedup import Deduplicator
from connectors.logging_setup import configure_logging
from connectors.outbound import Outbound, Sender
from connectors.platform_settings import (
    MessengerSettings,
    WorkerSettings,
    ZaloSettings,
    get_messenger_settings,
    get_worker_settings,
    get_zalo_settings,
)
from connectors.platforms.messenger import MessengerSender
from connectors.platforms.records import Records, SqlRecords
from connectors.platforms.zalo import ZaloSender
from connectors.push import Push
from connectors.queue import InboundQueue
from connectors.web_replies import WebReplies, WebSender
from connectors.webhooks import Ingress, create_router
from connectors.worker import Rasa, Worker
from connectors.zalo_tokens import ZaloTokens
from connectors.zalo_tokens import status as zalo_status

log = logging.getLogger(__name__)


class PlatformRuntime:
    """The objects of the Zalo/Messenger path, sharing one Redis and one HTTP client."""

    def __init__(
        self, *, redis: aioredis.Redis, http: httpx.AsyncClient, rasa: Rasa, salt: str,
        messenger: MessengerSettings, zalo: ZaloSettings, worker: WorkerSettings,
        records: Records | None = None, extra_senders: dict[str, Sender] | None = None,
        consumer: str | None = None, web_session_ttl_s: int = 7 * 86400,
    ) -> None:
        self.redis = redis
        self.messenger_settings = messenger
        self.zalo_settings = zalo
        self.tokens = ZaloTokens(redis, http, zalo) if zalo.enabled else None
        # Web chat rides the same queue; its replies go to the browser session's stream.
        self.web = WebReplies(redis, session_ttl_s=web_session_ttl_s)
        senders: dict[str, Sender] = {"web": WebSender(self.web), **(extra_senders or {})}
        if messenger.enabled:
            senders["messenger"] = MessengerSender(http, messenger)
        if self.tokens is not None:
            senders["zalo"] = ZaloSender(http, zalo, self.tokens)
        self.outbound = Outbound(redis, senders, attempts=worker.send_attempts,
                                 backoff_s=worker.send_backoff_s)
        self.queue = InboundQueue(redis, partitions=worker.partitions, lease_ms=worker.lease_ms,
                                  claim_idle_ms=worker.claim_idle_ms)
        self.dedup = Deduplicator(redis, ttl_s=worker.dedup_ttl_hours * 3600)
        self.ingress = Ingress(dedup=self.dedup, queue=self.queue, outbound=self.outbound,
                               salt=salt)
        self.push = Push(self.outbound, self.web, salt=salt)
        self.records = records
        self.worker = Worker(queue=self.queue, outbound=self.outbound, rasa=rasa,
                             records=records, settings=worker, salt=salt, consumer=consumer)
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def from_environment(
        cls, *, redis: aioredis.Redis, http: httpx.AsyncClient, rasa: Rasa, **kwargs: Any
    ) -> PlatformRuntime:
        """Settings from `MESSENGER_*`, `ZALO_*`, `WORKER_*`; turns written to the SQL store."""
        from storage.settings import get_storage_settings

        return cls(redis=redis, http=http, rasa=rasa, salt=get_storage_settings().hash_salt,
                   messenger=get_messenger_settings(), zalo=get_zalo_settings(),
                   worker=get_worker_settings(), records=kwargs.pop("records", None)
                   or SqlRecords.from_storage(), **kwargs)

    @property
    def channels(self) -> list[str]:
        """The platform channels enabled by settings (web chat is always there, not listed)."""
        return sorted(channel for channel in self.outbound.senders if channel != "web")

    def router(self) -> APIRouter:
        return create_router(self.ingress, messenger_settings=self.messenger_settings,
                             zalo_settings=self.zalo_settings)

    async def start(self, *, run_worker: bool = True) -> None:
        """Create the streams, seed the Zalo tokens and (by default) start the worker task."""
        await self.queue.ensure_groups()
        prepare = getattr(self.records, "prepare", None)
        if prepare is not None:
            await prepare()
        if self.tokens is not None:
            await self.tokens.seed()
        if run_worker and self._task is None:
            self._task = asyncio.create_task(self.worker.run(), name="inbound-worker")
        log.info("platform channels enabled: %s", ", ".join(self.channels) or "none")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def health(self) -> dict[str, Any]:
        """Channels, unfinished messages and the Zalo token state, for GET /health."""
        info: dict[str, Any] = {"channels": self.channels,
                                "pending": await self.queue.pending_count()}
        if self.tokens is not None:
            info["zalo_tokens"] = await zalo_status(self.redis)
        return info


async def run_forever() -> None:
    """Workers only (no web server): `python -m connectors.platforms.runtime`."""
    from connectors.rasa_client import RasaClient
    from connectors.settings import get_app_settings

    app_settings = get_app_settings()
    redis = aioredis.from_url(app_settings.redis_url)
    async with httpx.AsyncClient() as http:
        rasa = RasaClient(app_settings.rasa_url, http, app_settings.rasa_timeout_seconds,
                          app_settings.rasa_token)
        runtime = PlatformRuntime.from_environment(redis=redis, http=http, rasa=rasa)
        await runtime.start()
        try:
            await asyncio.Event().wait()
        finally:
            await runtime.stop()
            await redis.aclose()


if __name__ == "__main__":
    configure_logging()
    asyncio.run(run_forever())
