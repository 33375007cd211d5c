"""Remembering which platform messages were already accepted, so a retried webhook is ignored.

Messenger and Zalo retry a webhook they think failed, so the same message id can arrive many
times; `SET NX EX` on "<channel>:<message id>" lets exactly one delivery through. The key lives
at least 48 hours (platform retry schedules are shorter than that).
"""

from __future__ import annotations

from redis.asyncio import Redis

PREFIX = "dedup:"
MIN_TTL_S = 48 * 3600


class Deduplicator:
    """First-seen check on platform message ids, shared by every process through Redis."""

    def __init__(self, redis: Redis, ttl_s: float = MIN_TTL_S) -> None:
        if ttl_s < MIN_TTL_S:
            raise ValueError("dedup TTL must be at least 48 hours")
        self._redis = redis
        self._ttl_s = int(ttl_s)

    @property
    def ttl_s(self) -> int:
        return self._ttl_s

    @staticmethod
    def key(channel: str, message_id: str) -> str:
        return f"{PREFIX}{channel}:{message_id}"

    async def first_time(self, channel: str, message_id: str) -> bool:
        """True exactly once per (channel, message id) within the TTL."""
        added = await self._redis.set(self.key(channel, message_id), "1", nx=True, ex=self._ttl_s)
        return bool(added)

    async def forget(self, channel: str, message_id: str) -> None:
        """Undo `first_time` when the message could not be queued (the platform will retry)."""
        await self._redis.delete(self.key(channel, message_id))
