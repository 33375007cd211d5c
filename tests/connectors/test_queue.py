"""Inbound queue: partition by user, leases, read/ack, takeover of a dead consumer's entries."""

from __future__ import annotations

import asyncio

from connectors.messages import IncomingMessage
from connectors.queue import InboundQueue


def _message(user: str, mid: str, text: str = "xin chào") -> IncomingMessage:
    return IncomingMessage("zalo", user, mid, text=text, timestamp_ms=1)


async def _queue(redis, **kwargs) -> InboundQueue:
    queue = InboundQueue(redis, partitions=kwargs.pop("partitions", 4), **kwargs)
    await queue.ensure_groups()
    await queue.ensure_groups()  # idempotent
    return queue


async def test_a_users_messages_share_one_partition_in_order(redis) -> None:
    queue = await _queue(redis)
    for i in range(5):
        await queue.enqueue(_message("u1", f"m{i}"))
    partition = queue.partition_of("zalo:u1")
    assert await redis.xlen(queue.stream(partition)) == 5
    seen = []
    for _ in range(5):
        (entry,) = await queue.read(partition, "c1", block_ms=10)
        seen.append(entry.message.message_id)
        await queue.ack(entry)
    assert seen == [f"m{i}" for i in range(5)]
    assert await redis.xlen(queue.stream(partition)) == 0
    assert await queue.pending_count() == 0


async def test_message_round_trips_through_the_stream(redis) -> None:
    queue = await _queue(redis)
    original = IncomingMessage("messenger", "psid", "mid", text="Học phí", payload="/fee",
                               timestamp_ms=42, kind="text")
    await queue.enqueue(original)
    (entry,) = await queue.read(queue.partition_of(original.sender), "c1", block_ms=10)
    assert entry.message == original


async def test_unacked_entry_is_read_again_by_its_consumer(redis) -> None:
    queue = await _queue(redis)
    await queue.enqueue(_message("u1", "m1"))
    await queue.enqueue(_message("u1", "m2"))
    partition = queue.partition_of("zalo:u1")
    (first,) = await queue.read(partition, "c1", block_ms=10)
    (again,) = await queue.read(partition, "c1", block_ms=10)
    assert first.entry_id == again.entry_id and await queue.pending_count() == 1


async def test_dead_consumers_entry_is_claimed_only_once_idle(redis) -> None:
    queue = await _queue(redis, claim_idle_ms=200)
    await queue.enqueue(_message("u1", "m1"))
    partition = queue.partition_of("zalo:u1")
    (taken,) = await queue.read(partition, "dead", block_ms=10)
    assert await queue.others_pending(partition, "alive") == 1
    assert await queue.others_pending(partition, "dead") == 0
    assert await queue.claim_stale(partition, "alive") == []
    await asyncio.sleep(0.3)
    (claimed,) = await queue.claim_stale(partition, "alive")
    assert claimed.entry_id == taken.entry_id and claimed.message.message_id == "m1"
    assert await queue.others_pending(partition, "alive") == 0
    await queue.ack(claimed)
    assert await queue.pending_count() == 0


async def test_lease_is_exclusive_and_renewed_only_by_its_owner(redis) -> None:
    queue = await _queue(redis, lease_ms=200)
    assert await queue.acquire(0, "a")
    assert not await queue.acquire(0, "b")
    assert await queue.renew(0, "a") and not await queue.renew(0, "b")
    await queue.release(0, "b")  # not the owner: no effect
    assert not await queue.acquire(0, "b")
    await asyncio.sleep(0.3)  # the owner died: the lease expires
    assert await queue.acquire(0, "b")
    assert not await queue.renew(0, "a")


async def test_entry_deleted_while_pending_is_dropped(redis) -> None:
    queue = await _queue(redis)
    await queue.enqueue(_message("u1", "m1"))
    partition = queue.partition_of("zalo:u1")
    (entry,) = await queue.read(partition, "c1", block_ms=10)
    await redis.xdel(queue.stream(partition), entry.entry_id)
    assert await queue.read(partition, "c1", block_ms=10) == []
    assert await queue.pending_count() == 0
