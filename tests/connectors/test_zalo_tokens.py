"""Zalo tokens: seeded from settings, rotated in Redis, refreshed once across processes."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest
from fakes.builders import zalo_settings

from connectors.platforms.errors import TokenRefreshError
from connectors.zalo_tokens import (
    ACCESS_KEY,
    EXPIRES_KEY,
    REFRESH_KEY,
    ZaloTokens,
    status,
    store_tokens,
)


async def test_tokens_are_seeded_from_settings_once(redis, http) -> None:
    tokens = ZaloTokens(redis, http, zalo_settings())
    assert await tokens.access_token() == "AT-0"
    await redis.set(ACCESS_KEY, "AT-newer")
    again = ZaloTokens(redis, http, zalo_settings())  # a restart must not roll tokens back
    assert await again.access_token() == "AT-newer"
    assert await redis.get(REFRESH_KEY) == b"RT-0"


async def test_refresh_stores_the_new_pair_and_uses_the_refresh_api(fake_zalo, redis, http,
                                                                    ) -> None:
    settings = zalo_settings(fake_zalo.server.url)
    tokens = ZaloTokens(redis, http, settings, clock=lambda: 1000.0)
    assert await tokens.refresh(stale="AT-0") == "AT-1"
    (call,) = fake_zalo.refreshes
    assert call["form"] == {"refresh_token": "RT-0", "app_id": settings.app_id,
                            "grant_type": "refresh_token"}
    assert call["headers"]["secret_key"] == "zalo-app-secret"
    assert await redis.get(REFRESH_KEY) == b"RT-1"
    assert await redis.get(ACCESS_KEY) == b"AT-1"
    assert float(await redis.get(EXPIRES_KEY)) == 1000.0 + 90000
    assert (await status(redis))["ok"] is True


async def test_new_refresh_token_is_written_before_the_new_access_token(redis) -> None:
    written: list[str] = []

    class Recording:
        def __init__(self, inner: Any) -> None:
            self._inner = inner

        def __getattr__(self, name: str) -> Any:
            return getattr(self._inner, name)

        async def set(self, key: str, *args: Any, **kwargs: Any) -> Any:
            written.append(key)
            return await self._inner.set(key, *args, **kwargs)

        def pipeline(self, *args: Any, **kwargs: Any) -> Any:
            pipe = self._inner.pipeline(*args, **kwargs)
            original = pipe.set

            def record(key: str, *a: Any, **k: Any) -> Any:
                written.append(key)
                return original(key, *a, **k)

            pipe.set = record
            return pipe

    await store_tokens(Recording(redis), "AT-9", "RT-9", 90000)
    assert written.index(REFRESH_KEY) < written.index(ACCESS_KEY)


async def test_two_workers_refreshing_at_once_make_one_refresh_call(fake_zalo, redis,
                                                                    redis_url) -> None:
    import redis.asyncio as aioredis

    fake_zalo.refresh_delay_s = 0.3  # both workers are inside refresh() at the same time
    settings = zalo_settings(fake_zalo.server.url)
    other_redis = aioredis.from_url(redis_url)
    async with httpx.AsyncClient() as first_http, httpx.AsyncClient() as second_http:
        first = ZaloTokens(redis, first_http, settings, poll_s=0.01)
        second = ZaloTokens(other_redis, second_http, settings, poll_s=0.01)
        results = await asyncio.gather(first.refresh(stale="AT-0"), second.refresh(stale="AT-0"))
    await other_redis.aclose()
    assert results == ["AT-1", "AT-1"]
    assert len(fake_zalo.refreshes) == 1
    assert await redis.get(REFRESH_KEY) == b"RT-1"


async def test_token_near_expiry_is_refreshed_before_use(fake_zalo, redis, http) -> None:
    now = [1000.0]
    settings = zalo_settings(fake_zalo.server.url, refresh_margin_s=3600)
    tokens = ZaloTokens(redis, http, settings, clock=lambda: now[0])
    await store_tokens(redis, "AT-0", "RT-0", 90000, clock=lambda: now[0])
    assert await tokens.access_token() == "AT-0"
    assert fake_zalo.refreshes == []
    now[0] += 90000 - 3000  # within the margin
    assert await tokens.access_token() == "AT-1"
    assert len(fake_zalo.refreshes) == 1


async def test_failed_refresh_is_logged_and_shown_by_status(fake_zalo, redis, http,
                                                            caplog) -> None:
    fake_zalo.refresh_fails = True
    tokens = ZaloTokens(redis, http, zalo_settings(fake_zalo.server.url))
    with caplog.at_level(logging.ERROR, logger="connectors.zalo_tokens"):
        with pytest.raises(TokenRefreshError):
            await tokens.refresh(stale="AT-0")
    assert any("refresh failed" in r.getMessage() for r in caplog.records)
    health = await status(redis)
    assert health["ok"] is False and "-14014" in health["last_error"]
    assert await redis.get(REFRESH_KEY) == b"RT-0"  # nothing overwritten


async def test_unreachable_oauth_server_is_a_refresh_error(redis, http) -> None:
    tokens = ZaloTokens(redis, http, zalo_settings("http://127.0.0.1:9"))
    with pytest.raises(TokenRefreshError):
        await tokens.refresh(stale="AT-0")
    assert (await status(redis))["ok"] is False


def test_cli_set_tokens_stores_both_tokens(redis_url) -> None:
    """`bot zalo set-tokens` (bot/cli/zalo.py) replaces the pair the workers use."""
    import redis as sync_redis
    from typer.testing import CliRunner

    from bot.cli.zalo import app

    client = sync_redis.Redis.from_url(redis_url)
    client.flushdb()
    client.hset("zalo:token_status", mapping={"ok": "0", "error": "refresh refused"})
    result = CliRunner().invoke(app, ["set-tokens", "--access-token", "AT-ops",
                                      "--refresh-token", "RT-ops", "--redis-url", redis_url])
    assert result.exit_code == 0, result.output
    assert client.get(ACCESS_KEY) == b"AT-ops" and client.get(REFRESH_KEY) == b"RT-ops"
    assert client.get(EXPIRES_KEY) is not None
    status_result = CliRunner().invoke(app, ["status", "--redis-url", redis_url])
    assert status_result.exit_code == 0 and "có" in status_result.output
    empty = CliRunner().invoke(app, ["set-tokens", "--access-token", " ", "--refresh-token",
                                     "x", "--redis-url", redis_url])
    assert empty.exit_code == 1
    client.close()
