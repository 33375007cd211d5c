"""Where the bot's replies to a web-chat browser wait until the page picks them up.

Web chat goes through the same inbound queue and workers as Zalo and Messenger, so the HTTP
request that carried a message is not the one that computes its answer. The worker "sends" a
web reply by appending it to the session's own Redis Stream ("webout:<session id>"); after the
last reply of a message it appends a `done` marker naming the message. `POST /api/chat` reads
that stream until its message's marker (a few seconds at most), `GET /api/chat/replies`
long-polls it for replies that came later (a slow turn, a staff answer pushed from the admin
web). Stream entry ids are the page's cursor. A session is "known" while its key
"websession:<id>" lives (refreshed by every page load, message and poll); staff answers are
pushed only to known sessions.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from connectors.messages import OutgoingMessage

STREAM_PREFIX = "webout:"
SESSION_PREFIX = "websession:"
MAX_ENTRIES = 200  # per session; older replies are trimmed (the page keeps its own history)
START = "0-0"
MAX_BLOCK_MS = 2000
_CURSOR_RE = re.compile(r"^\d{1,20}-\d{1,20}$")


def valid_cursor(value: str | None) -> str | None:
    """`value` when it is a stream entry id ("<ms>-<seq>"), else None."""
    return value if value and _CURSOR_RE.match(value) else None


@dataclass(frozen=True)
class WebEntry:
    """One entry of a session's reply stream: a bot message, or the end of a message's replies."""

    entry_id: str
    kind: str  # "message" or "done"
    message: dict[str, Any] | None = None  # OutgoingMessage.to_json() plus "id"
    in_reply_to: str = ""  # for "done": the message id (the page's id scoped to its session)


def _text(value: str | bytes) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


class WebReplies:
    """The per-session reply streams in Redis."""

    def __init__(self, redis: Redis, *, session_ttl_s: int = 7 * 86400) -> None:
        self.redis = redis
        self.session_ttl_s = session_ttl_s

    @staticmethod
    def stream(session_id: str) -> str:
        return f"{STREAM_PREFIX}{session_id}"

    async def touch(self, session_id: str) -> None:
        """The browser is alive: keep the session (and its stream) known for another TTL."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(f"{SESSION_PREFIX}{session_id}", "1", ex=self.session_ttl_s)
            pipe.expire(self.stream(session_id), self.session_ttl_s)
            await pipe.execute()

    async def known(self, session_id: str) -> bool:
        return bool(await self.redis.exists(f"{SESSION_PREFIX}{session_id}"))

    async def append(self, session_id: str, entry: dict[str, Any]) -> str:
        """Add one entry to the session's stream; its id."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xadd(self.stream(session_id), {"data": json.dumps(entry, ensure_ascii=False)},
                      maxlen=MAX_ENTRIES, approximate=True)
            pipe.expire(self.stream(session_id), self.session_ttl_s)
            entry_id, _ = await pipe.execute()
        return _text(entry_id)

    async def add_message(self, session_id: str, message: OutgoingMessage) -> str:
        return await self.append(session_id, {"kind": "message", "message": message.to_json()})

    async def add_done(self, session_id: str, message_id: str, status: str) -> str:
        return await self.append(session_id, {"kind": "done", "in_reply_to": message_id,
                                              "status": status})

    async def last_id(self, session_id: str) -> str:
        """The id of the newest entry, or "0-0" when the stream is empty."""
        newest = await self.redis.xrevrange(self.stream(session_id), count=1)
        return _text(newest[0][0]) if newest else START

    async def read(self, session_id: str, after: str, block_ms: int = 0) -> list[WebEntry]:
        """Entries after the cursor `after`; waits up to `block_ms` for one when there is none.

        One blocking XREAD lasts at most `MAX_BLOCK_MS`: redis-py gives up on a socket silent
        for 5 s (its default timeout), so a long wait is a series of short ones."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + block_ms / 1000
        while True:
            wait_ms = min(MAX_BLOCK_MS, int((deadline - loop.time()) * 1000))
            reply = await self.redis.xread({self.stream(session_id): after}, count=100,
                                           block=wait_ms if wait_ms > 0 else None)
            entries = [_entry(entry_id, fields) for _, items in reply or []
                       for entry_id, fields in items]
            if entries or wait_ms <= 0 or loop.time() >= deadline:
                return entries


def _entry(entry_id: Any, fields: dict[Any, Any]) -> WebEntry:
    data = json.loads(fields.get(b"data", fields.get("data")) or "{}")
    identifier = _text(entry_id)
    if data.get("kind") == "done":
        return WebEntry(identifier, "done", in_reply_to=str(data.get("in_reply_to", "")))
    message = dict(data.get("message") or {})
    message["id"] = identifier
    return WebEntry(identifier, "message", message=message)


class WebSender:
    """The outbound path's sender for channel "web": replies go to the session's stream.

    No reply window (a browser can be answered whenever it comes back) and no splitting: the
    page shows an answer of any length as one message, with its sources.
    """

    channel = "web"
    window_s = 0.0
    splits = False

    def __init__(self, replies: WebReplies) -> None:
        self.replies = replies

    async def send(self, recipient: str, message: OutgoingMessage) -> str:
        return await self.replies.add_message(recipient, message)

    async def refresh_credentials(self, used_token: str | None = None) -> bool:
        return False

    async def finish(self, recipient: str, message_id: str, status: str) -> None:
        """Mark the end of the replies to `message_id` (the page stops waiting)."""
        await self.replies.add_done(recipient, message_id, status)
