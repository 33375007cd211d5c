"""Sending the bot's replies: 2,000-character pieces, the reply window, retries, dead letters.

Every platform caps a text at 2,000 characters, so replies are NFC-normalised and split at
sentence boundaries. A send error is handled by its kind (`connectors.platforms.errors`):
token → refresh once and resend; rate limit and transient → back off with jitter up to a
limit, then a dead-letter record; window or recipient → no retry, recorded as undelivered so
staff can see the answer did not arrive. Nothing is sent outside the platform's reply window,
judged from the user's last inbound message kept in Redis.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import time
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Protocol

from redis.asyncio import Redis

from connectors.messages import OutgoingMessage
from connectors.platforms.errors import SendError

log = logging.getLogger(__name__)

MAX_CHARS = 2000
DEADLETTER_STREAM = "deadletter"
LAST_INBOUND_PREFIX = "lastin:"

_BOUNDARY = re.compile(r"[.!?…]+[\"”’)\]]*\s+|\n")
_WORD = re.compile(r"\S+\s*")


class Sender(Protocol):
    """What a platform module offers the outbound path."""

    channel: str
    window_s: float  # 0 = no reply window (web chat)

    async def send(self, recipient: str, message: OutgoingMessage) -> str: ...

    async def refresh_credentials(self, used_token: str | None = None) -> bool: ...


@dataclass(frozen=True)
class Delivery:
    """Outcome of sending one piece: sent, undelivered (window/recipient) or failed."""

    status: str
    code: int | str | None = None
    platform_id: str = ""


def split_text(text: str, limit: int = MAX_CHARS) -> list[str]:
    """NFC text cut into pieces of at most `limit` characters, at sentence ends when possible."""
    text = unicodedata.normalize("NFC", text).strip()
    if len(text) <= limit:
        return [text] if text else []
    pieces: list[str] = []
    current = ""
    for sentence in _sentences(text):
        if len(sentence) > limit:
            pieces.append(current)
            current = ""
            pieces.extend(_pack(_WORD.findall(sentence), limit))
        elif len(current) + len(sentence) <= limit:
            current += sentence
        else:
            pieces.append(current)
            current = sentence
    pieces.append(current)
    return [piece.strip() for piece in pieces if piece.strip()]


def _sentences(text: str) -> list[str]:
    parts, start = [], 0
    for match in _BOUNDARY.finditer(text):
        parts.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        parts.append(text[start:])
    return parts


def _pack(words: list[str], limit: int) -> list[str]:
    pieces, current = [], ""
    for word in words:
        while len(word) > limit:  # a "word" longer than a piece (a URL, a table row)
            pieces.append(current)
            pieces.append(word[:limit])
            current, word = "", word[limit:]
        if len(current) + len(word) > limit:
            pieces.append(current)
            current = ""
        current += word
    pieces.append(current)
    return pieces


def pieces(messages: list[OutgoingMessage], limit: int = MAX_CHARS) -> list[OutgoingMessage]:
    """Every reply split into sendable pieces; quick replies ride on the last piece of each."""
    out: list[OutgoingMessage] = []
    for message in messages:
        parts = split_text(message.text, limit)
        if not parts:
            continue
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            out.append(replace(message, text=part,
                               quick_replies=list(message.quick_replies) if last else []))
    return out


class Outbound:
    """Sends pieces through the registered platform senders with the retry rules above."""

    def __init__(
        self, redis: Redis, senders: dict[str, Sender], *, attempts: int = 5,
        backoff_s: float = 1.0, max_backoff_s: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self.senders = senders
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self._sleep = sleep
        self._clock = clock

    def inbound_mark(self, channel: str, user_id: str, timestamp_ms: int = 0
                     ) -> tuple[str, float, int]:
        """Key, time and TTL of the user's latest-inbound mark (the start of the reply window)."""
        sender = self.senders.get(channel)
        at = timestamp_ms / 1000 if timestamp_ms else self._clock()
        ttl = int(max(sender.window_s if sender else 0, 86400) * 2)
        return f"{LAST_INBOUND_PREFIX}{channel}:{user_id}", at, ttl

    async def note_inbound(self, channel: str, user_id: str, timestamp_ms: int = 0) -> None:
        """Remember the user's latest inbound time (the start of the reply window)."""
        key, at, ttl = self.inbound_mark(channel, user_id, timestamp_ms)
        previous = await self._redis.get(key)
        if previous is None or float(previous) < at:
            await self._redis.set(key, str(at), ex=ttl)

    async def within_window(self, channel: str, user_id: str) -> bool:
        sender = self.senders[channel]
        if not sender.window_s:
            return True
        last = await self._redis.get(f"{LAST_INBOUND_PREFIX}{channel}:{user_id}")
        return last is not None and self._clock() - float(last) <= sender.window_s

    async def send(
        self, channel: str, user_id: str, message: OutgoingMessage, *, message_id: str = "",
        user_hash: str = "",
    ) -> Delivery:
        """Send one piece; never raises for platform errors, returns what happened."""
        sender = self.senders.get(channel)
        if sender is None:
            raise KeyError(f"no sender registered for channel {channel!r}")
        if not await self.within_window(channel, user_id):
            log.warning("%s reply to %s (user %s) outside the reply window; not sent",
                        channel, message_id, user_hash)
            return Delivery("undelivered", "window")
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            try:
                platform_id = await sender.send(user_id, message)
                return Delivery("sent", None, platform_id)
            except SendError as error:
                if error.kind == "token" and not refreshed:
                    refreshed = True
                    if await sender.refresh_credentials(error.credential):
                        continue
                elif error.kind in ("window", "recipient"):
                    log.warning("%s reply to %s (user %s) undeliverable: %s %s", channel,
                                message_id, user_hash, error.kind, error.code)
                    return Delivery("undelivered", error.code)
                elif error.kind in ("rate_limit", "transient") and attempt < self._attempts:
                    await self._sleep(self._delay(attempt, error.kind))
                    continue
                await self.dead_letter(channel, message_id, user_hash, error, message.text)
                return Delivery("failed", error.code)

    def pieces_for(self, channel: str, replies: list[OutgoingMessage]) -> list[OutgoingMessage]:
        """What to send on `channel`: 2,000-character pieces, or whole messages for a sender
        that does not split (web chat shows an answer of any length as one message)."""
        sender = self.senders.get(channel)
        if sender is not None and not getattr(sender, "splits", True):
            whole = [replace(r, text=unicodedata.normalize("NFC", r.text).strip()) for r in replies]
            return [r for r in whole if r.text or r.quick_replies]
        return pieces(replies)

    async def complete(self, channel: str, user_id: str, message_id: str, status: str) -> None:
        """Tell a sender that wants to know (web chat) that a message's replies are all sent."""
        finish = getattr(self.senders.get(channel), "finish", None)
        if finish is not None:
            await finish(user_id, message_id, status)

    def _delay(self, attempt: int, kind: str) -> float:
        base = self._backoff_s * (4 if kind == "rate_limit" else 1)
        delay = min(self._max_backoff_s, base * 2 ** (attempt - 1))
        return delay * (0.5 + random.random() / 2)  # jitter: spread retries of many workers

    async def dead_letter(
        self, channel: str, message_id: str, user_hash: str, error: SendError, text: str
    ) -> None:
        """Keep a failed reply where staff tooling can find it, and log it (without the text)."""
        log.error("%s reply to %s (user %s) failed for good: %s %s", channel, message_id,
                  user_hash, error.kind, error.code)
        record = {"channel": channel, "message_id": message_id, "user_hash": user_hash,
                  "kind": error.kind, "code": str(error.code), "at": str(self._clock()),
                  "text": text}
        await self._redis.xadd(DEADLETTER_STREAM, {"data": json.dumps(record, ensure_ascii=False)},
                               maxlen=100_000, approximate=True)
