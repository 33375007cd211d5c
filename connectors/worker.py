"""The inbound worker: turns each queued platform message into one Rasa turn and its replies.

A worker owns some partitions of the inbound queue (see `connectors.queue` for why) and runs
one task per partition, handling that partition's entries one at a time. For each message it
keeps a small state in Redis ("msgstate:<channel>:<id>": Rasa's replies, pieces sent, done),
so a message taken over after a crash reuses the stored replies instead of asking Rasa again
and does not resend pieces already delivered. Rasa being down never loses a message: the entry
stays pending and the call is retried with back-off. The entry is acknowledged only when its
replies were sent or definitively failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any, Protocol

from redis.exceptions import RedisError

from connectors.messages import IncomingMessage, OutgoingMessage, QuickReply
from connectors.outbound import Outbound
from connectors.platform_settings import WorkerSettings
from connectors.platforms import texts
from connectors.platforms.records import Records
from connectors.queue import Entry, InboundQueue
from storage.privacy import hash_user_id

log = logging.getLogger(__name__)

STATE_PREFIX = "msgstate:"
STATE_TTL_S = 7 * 86400
MAX_HANDLER_ERRORS = 5
FLOOD_NOTICE_TTL_S = 600


class Rasa(Protocol):
    async def send(self, sender: str, text: str) -> list[OutgoingMessage]: ...


def consumer_name() -> str:
    """A consumer name unique to this process (host, pid, random)."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class Worker:
    """Consumes the inbound queue until cancelled."""

    def __init__(
        self, *, queue: InboundQueue, outbound: Outbound, rasa: Rasa, records: Records | None,
        settings: WorkerSettings, salt: str, consumer: str | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.queue = queue
        self.outbound = outbound
        self.rasa = rasa
        self.records = records
        self.settings = settings
        self.salt = salt
        self.consumer = consumer or consumer_name()
        self._sleep = sleep
        self.clock = clock
        self._tasks: dict[int, asyncio.Task[None]] = {}

    @property
    def redis(self) -> Any:
        return self.queue.redis

    # The loop ---------------------------------------------------------------------------
    async def run(self) -> None:
        """Hold partition leases and process them; on cancellation release them cleanly."""
        await self.queue.ensure_groups()
        try:
            while True:
                _reraise_if_cancelling()
                try:
                    await self._keep_leases()
                except RedisError as error:  # a lapsed lease is noticed at the next renewal
                    _reraise_if_cancelling()
                    log.warning("worker %s: Redis error while renewing leases: %r",
                                self.consumer, error)
                await asyncio.sleep(self.queue.lease_ms / 3000)
        finally:
            tasks = list(self._tasks.items())
            self._tasks.clear()
            for _, task in tasks:
                task.cancel()
            if tasks:
                _, stuck = await asyncio.wait([task for _, task in tasks], timeout=10)
                for _task in stuck:
                    log.error("worker %s: a partition task ignored cancellation",
                              self.consumer)
            for partition, _ in tasks:
                with contextlib.suppress(Exception):
                    await asyncio.shield(self.queue.release(partition, self.consumer))

    async def _keep_leases(self) -> None:
        for partition, task in list(self._tasks.items()):
            if task.done():
                error = None if task.cancelled() else task.exception()
                log.error("worker %s: partition %d task ended (%r)", self.consumer, partition,
                          error)
            elif await self.queue.renew(partition, self.consumer):
                continue
            else:
                log.warning("worker %s lost partition %d", self.consumer, partition)
                task.cancel()
            del self._tasks[partition]
            await self.queue.release(partition, self.consumer)
        limit = self.settings.max_partitions or self.queue.partitions
        free = [p for p in range(self.queue.partitions) if p not in self._tasks]
        random.shuffle(free)
        for partition in free:
            if len(self._tasks) >= limit:
                break
            if await self.queue.acquire(partition, self.consumer):
                self._tasks[partition] = asyncio.create_task(self._partition(partition))

    async def _partition(self, partition: int) -> None:
        while True:
            _reraise_if_cancelling()
            try:
                await self._next(partition)
            except RedisError as error:  # Redis restarting or unreachable: wait, try again
                _reraise_if_cancelling()
                log.warning("worker %s: Redis error on partition %d: %r", self.consumer,
                            partition, error)
                if "NOGROUP" in str(error):  # Redis restarted empty: streams and groups are gone
                    with contextlib.suppress(RedisError):
                        await self.queue.ensure_groups()
                await asyncio.sleep(1.0)

    async def _next(self, partition: int) -> None:
        """Process the next entries of one partition: a dead peer's first, then new ones."""
        if await self.queue.others_pending(partition, self.consumer):
            entries = await self.queue.claim_stale(partition, self.consumer)
            if not entries:  # a dead consumer's entry is not idle long enough yet
                await asyncio.sleep(min(1.0, self.queue.claim_idle_ms / 4000 + 0.01))
                return
            log.info("worker %s took over %d entries of partition %d", self.consumer,
                     len(entries), partition)
        else:
            entries = await self.queue.read(partition, self.consumer)
        for entry in entries:
            await self._guarded(entry)

    async def _guarded(self, entry: Entry) -> None:
        message = entry.message
        try:
            await self.handle(entry)
        except asyncio.CancelledError:
            raise
        except Exception:  # Redis hiccup or a bug: keep the entry pending and try again
            _reraise_if_cancelling()
            key = self._state_key(message)
            errors = await self.redis.hincrby(key, "errors", 1)
            await self.redis.expire(key, STATE_TTL_S)
            log.exception("%s message %s failed in the worker (attempt %d)", message.channel,
                          message.message_id, errors)
            if errors >= MAX_HANDLER_ERRORS:
                log.error("%s message %s given up after %d errors", message.channel,
                          message.message_id, errors)
                await self.queue.ack(entry)
            else:
                await self._sleep(min(30.0, 2.0**errors))

    # One message ------------------------------------------------------------------------
    def _state_key(self, message: IncomingMessage) -> str:
        return f"{STATE_PREFIX}{message.channel}:{message.message_id}"

    async def handle(self, entry: Entry) -> None:
        """Process one entry to the end (replies sent or failed for good), then acknowledge."""
        message = entry.message
        key = self._state_key(message)
        state = {_text(k): _text(v) for k, v in (await self.redis.hgetall(key)).items()}
        if state.get("done"):
            await self.queue.ack(entry)
            return
        started = self.clock()
        if "replies" in state:
            replies = _decode_replies(state["replies"])
            outcome = state.get("outcome", "")
        else:
            replies, outcome = await self._decide(message)
            await self.redis.hset(key, mapping={"replies": _encode_replies(replies),
                                                "outcome": outcome})
            await self.redis.expire(key, STATE_TTL_S)
        delivery = await self._deliver(message, key, replies, int(state.get("sent", 0)))
        status = outcome or delivery
        await self.outbound.complete(message.channel, message.user_id, message.message_id, status)
        await self.redis.hset(key, mapping={"done": "1", "delivery": status})
        if self.records is not None and message.kind != "unfollow":
            latency = (self.clock() - started) * 1000
            await self.records.turn(message, replies, delivery=status, latency_ms=latency)
        await self.queue.ack(entry)

    async def _decide(self, message: IncomingMessage) -> tuple[list[OutgoingMessage], str]:
        """The replies to send and, when not an ordinary turn, why (rate_limited …)."""
        if message.kind == "unfollow":
            if self.records is not None:
                await self.records.unfollow(message)
            return [], "unfollowed"
        if not await self._within_rate(message):
            first = await self.redis.set(f"flood:{message.sender}", "1", nx=True,
                                         ex=FLOOD_NOTICE_TTL_S)
            return ([texts.flood()] if first else []), "rate_limited"
        if message.kind == "follow":
            return [texts.welcome()], ""
        if message.kind == "unsupported":
            return [texts.unsupported()], ""
        if not message.rasa_text.strip():
            return [], "empty"
        return await self._ask_rasa(message)

    async def _within_rate(self, message: IncomingMessage) -> bool:
        bucket = int(self.clock() // 60)
        key = f"rate:{message.sender}:{bucket}"
        count = await self.redis.incr(key)
        if count == 1:
            await self.redis.expire(key, 120)
        return int(count) <= self.settings.rate_limit_per_minute

    async def _ask_rasa(self, message: IncomingMessage) -> tuple[list[OutgoingMessage], str]:
        delay = 1.0
        first_try = self.clock()
        user = hash_user_id(message.user_id, self.salt)
        while True:
            try:
                return await self.rasa.send(message.sender, message.rasa_text), ""
            except asyncio.CancelledError:
                raise
            except Exception as error:  # any Rasa failure: keep the message and retry
                _reraise_if_cancelling()
                if self.clock() - first_try >= self.settings.rasa_give_up_s:
                    log.error("%s message %s (user %s): Rasa failed for %.0f s, giving up",
                              message.channel, message.message_id, user,
                              self.clock() - first_try)
                    return [texts.bot_down()], "bot_down"
                log.warning("%s message %s (user %s): Rasa unavailable (%s), retry in %.1f s",
                            message.channel, message.message_id, user, type(error).__name__,
                            delay)
                await self._sleep(delay)
                delay = min(self.settings.rasa_retry_max_s, delay * 2)

    async def _deliver(
        self, message: IncomingMessage, key: str, replies: list[OutgoingMessage], sent: int
    ) -> str:
        """Send the pieces not yet sent; the worst outcome over all pieces."""
        user = hash_user_id(message.user_id, self.salt)
        worst = "sent"
        for index, piece in enumerate(self.outbound.pieces_for(message.channel, replies)):
            if index < sent:
                continue
            result = await self.outbound.send(message.channel, message.user_id, piece,
                                              message_id=message.message_id, user_hash=user)
            await self.redis.hincrby(key, "sent", 1)
            if result.status != "sent":
                worst = result.status
            if result.status == "undelivered":
                break  # the window closed or the user is unreachable: the rest fails too
        log.info("%s message %s (user %s): %s", message.channel, message.message_id, user, worst)
        return worst


def _reraise_if_cancelling() -> None:
    """Honour a pending cancellation that a library call swallowed.

    redis-py 8 can swallow a cancellation that arrives while it acquires a connection (the
    call then returns normally) or turn it into a ConnectionError; a loop that kept going
    would never stop, so every loop checks `Task.cancelling()` itself.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def _text(value: bytes | str) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _encode_replies(replies: list[OutgoingMessage]) -> str:
    return json.dumps([asdict(r) for r in replies], ensure_ascii=False)


def _decode_replies(raw: str) -> list[OutgoingMessage]:
    return [
        OutgoingMessage(text=item["text"],
                        quick_replies=[QuickReply(**q) for q in item.get("quick_replies", [])],
                        meta=item.get("meta") or {})
        for item in json.loads(raw)
    ]
