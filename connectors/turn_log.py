"""Recording each web-chat turn in the conversation log, with the resident protected.

The user id is hashed (`storage.privacy.hash_user_id`) and the text redacted
(`storage.privacy.redact`) before anything is written; the row itself is written by
`storage.repositories.log_turn` in a worker thread so the event loop never blocks on SQL. A
failed write is logged and the resident still gets the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import anyio.to_thread
from sqlalchemy.exc import SQLAlchemyError

from connectors.messages import IncomingMessage, OutgoingMessage
from storage.privacy import hash_user_id, redact

logger = logging.getLogger(__name__)

TurnWriter = Callable[..., Any]


class TurnLog:
    """Writes one row per turn through `writer(**fields)`; `writer=None` disables logging."""

    def __init__(self, writer: TurnWriter | None, salt: str) -> None:
        self._writer = writer
        self._salt = salt

    @classmethod
    def from_storage(cls) -> TurnLog:
        """A log writing through `storage.repositories.log_turn` in the configured store."""
        from storage.repositories import log_turn
        from storage.settings import get_storage_settings

        return cls(log_turn, get_storage_settings().hash_salt)

    @property
    def enabled(self) -> bool:
        return self._writer is not None

    def fields(
        self, message: IncomingMessage, replies: list[OutgoingMessage], latency_ms: float
    ) -> dict[str, Any]:
        """The row's values: hashed sender, redacted texts, the answer's metadata if any."""
        meta: dict[str, Any] = next((r.meta for r in replies if r.meta), {})
        return {
            "channel": message.channel,
            "user_hash": hash_user_id(message.user_id, self._salt),
            "message_id": message.message_id,
            "text": redact(message.rasa_text),
            "reply": redact("\n\n".join(r.text for r in replies if r.text)),
            "answered": meta.get("answered"),
            "confidence": meta.get("confidence"),
            "sources": list(meta.get("sources") or []),
            "latency_ms": round(latency_ms, 1),
            "school": meta.get("school") or None,
        }

    async def record(
        self, message: IncomingMessage, replies: list[OutgoingMessage], *, latency_ms: float
    ) -> None:
        if self._writer is None:
            return
        fields = self.fields(message, replies, latency_ms)
        try:
            await anyio.to_thread.run_sync(lambda: self._writer(**fields))  # type: ignore[misc]
        except (SQLAlchemyError, OSError) as error:
            logger.warning(
                "turn log: could not record message %s (%s)", message.message_id, error
            )
