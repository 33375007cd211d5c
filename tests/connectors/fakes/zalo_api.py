"""A fake Zalo Open API (message/cs) and OAuth (access_token refresh), recording every call.

Tokens behave like Zalo's: a send with anything but the current access token gets
`{"error": -216}` (HTTP 200), and a refresh token works once, returning a new pair.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


class FakeZalo:
    def __init__(self, access_token: str = "AT-0", refresh_token: str = "RT-0") -> None:
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.sends: list[dict[str, Any]] = []
        self.refreshes: list[dict[str, Any]] = []
        self.script: list[dict[str, Any]] = []  # bodies for the next sends (HTTP 200)
        self.refresh_delay_s = 0.0
        self.refresh_fails = False
        self.reject_every_token = False  # even freshly refreshed tokens get -216
        self.app = Starlette(routes=[
            Route("/v3.0/oa/message/cs", self._send, methods=["POST"]),
            Route("/v4/oa/access_token", self._refresh, methods=["POST"]),
        ])

    @property
    def texts(self) -> list[str]:
        return [s["json"]["message"]["text"] for s in self.sends]

    async def _send(self, request: Request) -> JSONResponse:
        self.sends.append({"headers": dict(request.headers), "json": await request.json()})
        token = request.headers.get("access_token")
        if self.reject_every_token or token != self.access_token:
            return JSONResponse({"error": -216, "message": "Access token is invalid"})
        if self.script:
            return JSONResponse(self.script.pop(0))
        user = self.sends[-1]["json"]["recipient"]["user_id"]
        return JSONResponse({"error": 0, "message": "Success",
                             "data": {"message_id": f"z{len(self.sends)}", "user_id": user}})

    async def _refresh(self, request: Request) -> JSONResponse:
        form = dict(await request.form())
        self.refreshes.append({"headers": dict(request.headers), "form": form})
        if self.refresh_delay_s:
            await asyncio.sleep(self.refresh_delay_s)
        if self.refresh_fails or form.get("refresh_token") != self.refresh_token:
            return JSONResponse({"error": -14014, "error_name": "Invalid refresh token"})
        n = len(self.refreshes)
        self.access_token, self.refresh_token = f"AT-{n}", f"RT-{n}"
        return JSONResponse({"access_token": self.access_token,
                             "refresh_token": self.refresh_token, "expires_in": "90000"})
