"""Writing what happened to a platform message: the turn with its delivery status, unfollows.

Staff must see when an answer did not reach a parent (outside the reply window, user blocked
the page, platform failure), so every Zalo/Messenger turn is stored with `delivery` = sent,
undelivered, failed or rate_limited. SQL is synchronous, so writes run in a worker thread;
a failed write is logged and never blocks the reply path.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import anyio
import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from connectors.messages import IncomingMessage, OutgoingMessage
from connectors.turn_log import TurnLog
from storage.privacy import hash_user_id

log = logging.getLogger(__name__)


class Records(Protocol):
    """Where the worker writes turns and subscription changes."""

    async def turn(
        self, message: IncomingMessage, replies: list[OutgoingMessage], *, delivery: str,
        latency_ms: float,
    ) -> None: ...

    async def unfollow(self, message: IncomingMessage) -> None: ...


def write_turn(**fields: Any) -> None:
    """Insert one `storage.models.Turn` row in the configured store."""
    from storage.repositories import log_turn

    log_turn(**fields)


def deactivate_subscriptions(*, channel: str, user_hash: str) -> None:
    """Mark the user's subscription on `channel` inactive (they unfollowed the page/OA).

    A resident who never subscribed gets no row: unfollowing is not subscribing.
    """
    from storage.db import session_scope
    from storage.models import Subscription
    from storage.repositories import set_subscription

    with session_scope() as session:
        existing = session.scalar(select(Subscription).where(
            Subscription.channel == channel, Subscription.user_hash == user_hash))
        if existing is not None:
            set_subscription(session, channel=channel, user_hash=user_hash,
                             recipient=existing.recipient, active=False)


class SqlRecords:
    """`Records` in the SQL store of `storage.db` (hashed ids, redacted texts)."""

    def __init__(self, salt: str) -> None:
        self._salt = salt
        self._fields = TurnLog(None, salt)
        # SQLite takes one writer at a time anyway; one writing thread instead of one per
        # partition keeps threads from fighting the event loop for the GIL under load.
        self._writer: anyio.CapacityLimiter | None = None

    def _limiter(self) -> anyio.CapacityLimiter:
        if self._writer is None:
            self._writer = anyio.CapacityLimiter(1)
        return self._writer

    @classmethod
    def from_storage(cls) -> SqlRecords:
        from storage.settings import get_storage_settings

        return cls(get_storage_settings().hash_salt)

    async def prepare(self) -> None:
        """Open the store (running its migrations) at start-up, not at the first message."""
        from storage.db import get_engine

        await anyio.to_thread.run_sync(get_engine)

    async def turn(
        self, message: IncomingMessage, replies: list[OutgoingMessage], *, delivery: str,
        latency_ms: float,
    ) -> None:
        fields = self._fields.fields(message, replies, latency_ms)
        if message.kind != "text":
            fields["text"] = f"[{message.kind}]"
        fields["delivery"] = delivery
        try:
            await anyio.to_thread.run_sync(lambda: write_turn(**fields), limiter=self._limiter())
        except (SQLAlchemyError, OSError) as error:
            log.error("could not record %s turn %s: %s", message.channel, message.message_id,
                      type(error).__name__)

    async def unfollow(self, message: IncomingMessage) -> None:
        user_hash = hash_user_id(message.user_id, self._salt)
        try:
            await anyio.to_thread.run_sync(
                lambda: deactivate_subscriptions(channel=message.channel, user_hash=user_hash)
            )
        except (SQLAlchemyError, OSError) as error:
            log.error("could not deactivate subscriptions of %s user %s: %s", message.channel,
                      user_hash, type(error).__name__)
