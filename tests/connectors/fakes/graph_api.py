"""A fake Graph API Send endpoint: records every call, answers success or a scripted error."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def graph_error(code: int, subcode: int | None = None, status: int = 400) -> tuple[int, dict]:
    error: dict[str, Any] = {"message": "scripted", "type": "OAuthException", "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    return status, {"error": error}


class FakeGraph:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[tuple[int, dict[str, Any]]] = []  # answers for the next calls
        self.delay_s = 0.0
        self.app = Starlette(routes=[Route("/{version}/me/messages", self._send,
                                           methods=["POST"])])

    @property
    def texts(self) -> list[str]:
        return [r["json"]["message"]["text"] for r in self.requests if "message" in r["json"]]

    async def _send(self, request: Request) -> JSONResponse:
        self.requests.append({"version": request.path_params["version"],
                              "params": dict(request.query_params),
                              "json": await request.json()})
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.script:
            status, body = self.script.pop(0)
            return JSONResponse(body, status_code=status)
        recipient = self.requests[-1]["json"]["recipient"]["id"]
        return JSONResponse({"recipient_id": recipient,
                             "message_id": f"m_{len(self.requests)}"})
