"""A fake Rasa REST channel: echo by default, scriptable to block until released.

Every request is recorded when it ARRIVES, so a test can see that Rasa was asked while the
answer is still held back (`hold()` / `release()`). "Down" is the server not running at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

Reply = Callable[[str, str], list[dict[str, Any]]]


def echo(sender: str, message: str) -> list[dict[str, Any]]:
    return [{"text": f"Trả lời: {message}"}]


class FakeRasa:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.answered: list[dict[str, Any]] = []
        self.reply: Reply = echo
        self._gate: asyncio.Event | None = None
        self.app = Starlette(routes=[Route("/webhooks/rest/webhook", self._webhook,
                                           methods=["POST"])])

    def hold(self) -> None:
        """Answer nothing until `release()`."""
        self._gate = asyncio.Event()

    def release(self) -> None:
        if self._gate is not None:
            self._gate.set()
        self._gate = None

    async def _webhook(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.received.append(body)
        if self._gate is not None:
            await self._gate.wait()
        self.answered.append(body)
        return JSONResponse(self.reply(body["sender"], body["message"]))
