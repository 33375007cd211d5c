"""Dedup: one delivery of a platform message id gets through, per channel, for ≥ 48 h."""

from __future__ import annotations

import asyncio

import pytest

from connectors.dedup import MIN_TTL_S, Deduplicator


async def test_same_id_passes_once(redis) -> None:
    dedup = Deduplicator(redis)
    results = [await dedup.first_time("messenger", "m1") for _ in range(5)]
    assert results == [True, False, False, False, False]


async def test_concurrent_deliveries_let_exactly_one_through(redis) -> None:
    dedup = Deduplicator(redis)
    results = await asyncio.gather(*(dedup.first_time("zalo", "z1") for _ in range(20)))
    assert results.count(True) == 1


async def test_channels_are_separate_and_ttl_is_at_least_two_days(redis) -> None:
    dedup = Deduplicator(redis)
    assert await dedup.first_time("messenger", "id1")
    assert await dedup.first_time("zalo", "id1")
    ttl = await redis.ttl(Deduplicator.key("zalo", "id1"))
    assert MIN_TTL_S - 5 <= ttl <= MIN_TTL_S


async def test_forget_lets_a_retry_through(redis) -> None:
    dedup = Deduplicator(redis)
    assert await dedup.first_time("zalo", "z2")
    await dedup.forget("zalo", "z2")
    assert await dedup.first_time("zalo", "z2")


def test_ttl_below_two_days_is_refused(redis) -> None:
    with pytest.raises(ValueError):
        Deduplicator(redis, ttl_s=3600)


def test_worker_setting_refuses_a_dedup_ttl_below_48_hours() -> None:
    from connectors.platform_settings import WorkerSettings

    with pytest.raises(ValueError, match="48"):
        WorkerSettings(_env_file=None, dedup_ttl_hours=24)
