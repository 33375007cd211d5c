"""Running a small ASGI app on a loopback port inside the test's event loop.

The socket is bound at construction, so the port is known before the server starts; a bound
socket that is not yet listening refuses connections, which is exactly "the service is down".
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import uvicorn


class LoopbackServer:
    """`start()` / `stop()` an ASGI app on 127.0.0.1:<port>, restartable on the same port."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._socket = self._bind(0)
        self.port = self._socket.getsockname()[1]
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @staticmethod
    def _bind(port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        return sock

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        if self._socket is None:
            self._socket = self._bind(self.port)
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", ws="none",
                                timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[self._socket]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
        self._server = None
        self._task = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
