"""How a web-chat message reaches the bot and how the replies come back, behind one protocol.

The web chat depends only on `ChatTransport`. `QueuedTransport` is the path of the running app
(DESIGN.md): the message is deduplicated on the page's message id (scoped to its session) and appended to the inbound
Redis Stream like a Zalo or Messenger message, a worker asks Rasa and appends the replies to the
session's reply stream (`connectors.web_replies`), and the request waits a few seconds for them;
what comes later the page fetches by long-polling from the returned cursor. `DirectRasaTransport`
calls Rasa within the request; it serves apps built without a platform runtime (in-process tests,
a quick look at the page) and writes the turn log itself, the worker doing it on the queued path.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from connectors.messages import IncomingMessage
from connectors.rasa_client import RasaClient
from connectors.turn_log import TurnLog
from connectors.web_replies import START, WebReplies
from connectors.webhooks import Ingress


@dataclass
class Exchange:
    """What POST /api/chat answers: the replies so far, the cursor after them, and whether the
    bot is still working on the message (the page then long-polls from `cursor`)."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    cursor: str = ""
    pending: bool = False


class ChatTransport(Protocol):
    """Carries one `IncomingMessage` to the bot and returns its replies."""

    async def exchange(self, message: IncomingMessage, after: str | None) -> Exchange:
        """The bot's replies to `message` (and any other reply after the page's cursor
        `after`); raises `connectors.errors.RasaUnavailable` when the bot cannot take the
        message now (the direct path) or `redis.exceptions.RedisError` (the queued path)."""
        ...


class DirectRasaTransport:
    """Sends each message straight to Rasa and waits for its replies."""

    def __init__(self, rasa: RasaClient, turn_log: TurnLog | None = None) -> None:
        self._rasa = rasa
        self._turn_log = turn_log

    async def exchange(self, message: IncomingMessage, after: str | None) -> Exchange:
        started = time.perf_counter()
        replies = await self._rasa.send(message.sender, message.rasa_text)
        if self._turn_log is not None:
            latency_ms = (time.perf_counter() - started) * 1000
            await self._turn_log.record(message, replies, latency_ms=latency_ms)
        return Exchange([reply.to_json() for reply in replies])


class QueuedTransport:
    """Queue the message like a platform webhook, then wait for its replies on the session's
    reply stream for at most `wait_s` seconds."""

    def __init__(self, ingress: Ingress, replies: WebReplies, *, wait_s: float) -> None:
        self.ingress = ingress
        self.replies = replies
        self.wait_s = wait_s

    async def exchange(self, message: IncomingMessage, after: str | None) -> Exchange:
        session = message.user_id
        # Read the stream's end BEFORE queueing: the worker may answer before we look again.
        start = after or await self.replies.last_id(session)
        first = await self.ingress.accept(message)
        await self.replies.touch(session)
        if not first and after is None:
            start = START  # the page re-sent a message: find its replies from the beginning
        return await self._collect(session, message.message_id, start, reset=start == START)

    async def _collect(self, session: str, message_id: str, cursor: str, *,
                       reset: bool) -> Exchange:
        """Replies after `cursor` until the `done` marker of `message_id` or the deadline.

        With `reset`, replies before another message's marker belong to that earlier message
        and are dropped (only a re-sent message reads the stream from its beginning)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_s
        collected: list[dict[str, Any]] = []
        while True:
            remaining_ms = int((deadline - loop.time()) * 1000)
            if remaining_ms <= 0:
                return Exchange(collected, cursor, pending=True)
            for entry in await self.replies.read(session, cursor, block_ms=remaining_ms):
                cursor = entry.entry_id
                if entry.kind == "message" and entry.message is not None:
                    collected.append(entry.message)
                elif entry.in_reply_to == message_id:
                    return Exchange(collected, cursor, pending=False)
                elif reset:
                    collected.clear()
