"""The inbound queue: Redis Streams between the webhooks (which must answer at once) and workers.

Per-user order. Users are hashed onto `partitions` streams "inbound:<n>", each read through one
consumer group. A worker processes a partition only while it holds that partition's lease
("lease:inbound:<n>", SET NX PX, renewed while alive) and handles its entries one at a time,
so one user's messages are answered in the order they arrived while different partitions run
in parallel. A per-sender lock over a single stream was the alternative; it cannot keep order
when two workers read two messages of one user and race for the lock, so it was not chosen.

Nothing is lost. An entry is acknowledged (XACK, then XDEL) only after its replies were sent
or definitively failed. When a worker dies its lease expires; the next owner first takes over
the dead consumer's pending entries with XAUTOCLAIM once they are idle for `claim_idle_ms`,
and only then reads new ones, so a crashed message is still answered before later ones.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import asdict, dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from connectors.messages import IncomingMessage

GROUP = "workers"
PREFIX = "inbound"

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass(frozen=True)
class Entry:
    """One queued message and where it sits in the streams."""

    partition: int
    entry_id: str
    message: IncomingMessage


def encode(message: IncomingMessage) -> str:
    return json.dumps(asdict(message), ensure_ascii=False)


def decode(data: str | bytes) -> IncomingMessage:
    return IncomingMessage(**json.loads(data))


def _text(value: str | bytes) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


class InboundQueue:
    """Producer and consumer sides of the partitioned inbound streams."""

    def __init__(
        self, redis: Redis, *, partitions: int = 8, lease_ms: int = 15_000,
        claim_idle_ms: int = 30_000, prefix: str = PREFIX, group: str = GROUP,
    ) -> None:
        self.redis = redis
        self.partitions = partitions
        self.lease_ms = lease_ms
        self.claim_idle_ms = claim_idle_ms
        self.prefix = prefix
        self.group = group

    def stream(self, partition: int) -> str:
        return f"{self.prefix}:{partition}"

    def lease_key(self, partition: int) -> str:
        return f"lease:{self.prefix}:{partition}"

    def partition_of(self, sender: str) -> int:
        """Stable partition of a Rasa sender id (the same in every process)."""
        return zlib.crc32(sender.encode("utf-8")) % self.partitions

    async def ensure_groups(self) -> None:
        """Create every stream and its consumer group (idempotent)."""
        for partition in range(self.partitions):
            try:
                await self.redis.xgroup_create(self.stream(partition), self.group, id="0",
                                               mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def enqueue(self, message: IncomingMessage) -> str:
        """Append a message to its user's partition; returns the entry id."""
        partition = self.partition_of(message.sender)
        entry_id = await self.redis.xadd(self.stream(partition), {"data": encode(message)})
        return _text(entry_id)

    # Leases -------------------------------------------------------------------------------
    async def acquire(self, partition: int, consumer: str) -> bool:
        return bool(await self.redis.set(self.lease_key(partition), consumer, nx=True,
                                         px=self.lease_ms))

    async def renew(self, partition: int, consumer: str) -> bool:
        renewed = await self.redis.eval(_RENEW, 1, self.lease_key(partition), consumer,
                                        str(self.lease_ms))
        return bool(renewed)

    async def release(self, partition: int, consumer: str) -> None:
        await self.redis.eval(_RELEASE, 1, self.lease_key(partition), consumer)

    # Reading ------------------------------------------------------------------------------
    async def others_pending(self, partition: int, consumer: str) -> int:
        """How many entries of this partition other (dead) consumers still hold."""
        summary = await self.redis.xpending(self.stream(partition), self.group)
        return sum(int(c["pending"]) for c in summary.get("consumers") or []
                   if _text(c["name"]) != consumer)

    async def claim_stale(self, partition: int, consumer: str, count: int = 1) -> list[Entry]:
        """Take over entries idle longer than `claim_idle_ms` (their consumer crashed)."""
        result = await self.redis.xautoclaim(
            self.stream(partition), self.group, consumer, self.claim_idle_ms,
            start_id="0-0", count=count,
        )
        return await self._entries(partition, result[1])

    async def read(self, partition: int, consumer: str, block_ms: int = 1000) -> list[Entry]:
        """This consumer's own unfinished entry if any, else the next new one (blocking)."""
        for start in ("0", ">"):
            reply = await self.redis.xreadgroup(
                self.group, consumer, {self.stream(partition): start}, count=1,
                block=block_ms if start == ">" else None,
            )
            entries = [e for _, items in reply or [] for e in items]
            found = await self._entries(partition, entries)
            if found:
                return found
        return []

    async def ack(self, entry: Entry) -> None:
        """The entry is finished: acknowledge and delete it so the stream stays short."""
        stream = self.stream(entry.partition)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xack(stream, self.group, entry.entry_id)
            pipe.xdel(stream, entry.entry_id)
            await pipe.execute()

    async def forget_consumer(self, partition: int, consumer: str) -> None:
        """Remove a consumer name from a group once it holds nothing (clean shutdown)."""
        await self.redis.xgroup_delconsumer(self.stream(partition), self.group, consumer)

    async def pending_count(self) -> int:
        """Entries delivered but not yet acknowledged, over all partitions."""
        total = 0
        for partition in range(self.partitions):
            summary: dict[str, Any] = await self.redis.xpending(self.stream(partition), self.group)
            total += int(summary.get("pending") or 0)
        return total

    async def _entries(self, partition: int, raw: list[Any]) -> list[Entry]:
        entries = []
        for entry_id, fields in raw:
            if not fields:  # deleted while pending: nothing to process, drop it from the PEL
                await self.redis.xack(self.stream(partition), self.group, entry_id)
                continue
            data = fields.get(b"data", fields.get("data"))
            entries.append(Entry(partition, _text(entry_id), decode(data)))
        return entries
