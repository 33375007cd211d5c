"""Refusing request bodies that are too large before they are received.

Without it Starlette spools a multipart upload of any size to disk, and `request.body()` reads a
webhook of any size into memory, before a route can look at the size.  This pure ASGI middleware
wraps `receive`: a body whose declared Content-Length is over the limit fails at the first read,
and a chunked body fails as soon as the bytes read pass the limit.  The failure is an
`HTTPException(413)` raised inside the route, so the app's own handlers answer it: a Vietnamese
"Tệp quá lớn" page under /admin, FastAPI's JSON elsewhere.

Limits: under /admin, the document upload limit (`ADMIN_UPLOAD_MAX_MB`, read from
`app.state.admin_settings`) plus `FORM_OVERHEAD_BYTES` for the form's other fields, so that a
file a little over the limit still gets the upload page's precise message; everywhere else
(webhooks, web chat) `APP_MAX_BODY_KB`.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ADMIN_PREFIX = "/admin"
FORM_OVERHEAD_BYTES = 1024 * 1024


def too_large_message(limit_bytes: int) -> str:
    """What the sender is told (Vietnamese: staff read it on the admin page)."""
    if limit_bytes >= 1024 * 1024:
        size = f"{limit_bytes / (1024 * 1024):g} MB"
    else:
        size = f"{limit_bytes // 1024} KB"
    return f"Dữ liệu gửi lên vượt quá {size} cho phép nên chưa được nhận. " \
           "Bạn hãy chọn tệp nhỏ hơn hoặc chia tài liệu thành nhiều tệp."


class BodySizeLimit:
    """ASGI middleware: 413 for bodies over the limit of their path (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, default_bytes: int) -> None:
        self.app = app
        self.default_bytes = default_bytes

    def limit_for(self, scope: Scope) -> tuple[int, int]:
        """(bytes allowed, the limit to name in the message) for the request's path."""
        path: str = scope.get("path", "")
        admin_settings: Any = getattr(getattr(scope.get("app"), "state", None),
                                      "admin_settings", None)
        if admin_settings is not None and (path == ADMIN_PREFIX
                                           or path.startswith(ADMIN_PREFIX + "/")):
            upload = int(admin_settings.upload_max_mb) * 1024 * 1024
            return upload + FORM_OVERHEAD_BYTES, upload
        return self.default_bytes, self.default_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, stated = self.limit_for(scope)
        declared = _content_length(scope)
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if declared is not None and declared > limit:
                raise HTTPException(413, detail=too_large_message(stated))
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, detail=too_large_message(stated))
            return message

        await self.app(scope, limited_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
