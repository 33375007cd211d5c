"""The Zalo OA access and refresh tokens, kept in Redis and refreshed by one process at a time.

Zalo access tokens live 25 h; the refresh token is single-use and every refresh returns a new
one. So the tokens cannot live in settings or in one process's memory: they sit in Redis
(seeded once from `ZALO_ACCESS_TOKEN` / `ZALO_REFRESH_TOKEN`), a Redis lock makes the refresh
single-flight across processes, and the NEW refresh token is written before the new access
token is published. A failed refresh is logged as an error and kept for the health check.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any, NoReturn

import httpx
from redis.asyncio import Redis

from connectors.platform_settings import ZaloSettings
from connectors.platforms.errors import TokenRefreshError

log = logging.getLogger(__name__)

ACCESS_KEY = "zalo:access_token"
REFRESH_KEY = "zalo:refresh_token"
EXPIRES_KEY = "zalo:access_expires_at"
STATUS_KEY = "zalo:token_status"
LOCK_KEY = "zalo:refresh_lock"

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


async def store_tokens(
    redis: Redis, access_token: str, refresh_token: str, expires_in_s: float | None = None,
    *, clock: Callable[[], float] = time.time,
) -> None:
    """Replace both tokens (refresh first); `expires_in_s` None means 'unknown expiry'."""
    await redis.set(REFRESH_KEY, refresh_token)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(ACCESS_KEY, access_token)
        if expires_in_s is None:
            pipe.delete(EXPIRES_KEY)
        else:
            pipe.set(EXPIRES_KEY, str(clock() + float(expires_in_s)))
        await pipe.execute()


async def status(redis: Redis) -> dict[str, Any]:
    """Health view: is a token present, when it expires, and the last refresh outcome."""
    raw = await redis.hgetall(STATUS_KEY)
    info = {_text(k): _text(v) for k, v in raw.items()}
    expires = await redis.get(EXPIRES_KEY)
    return {
        "has_token": bool(await redis.exists(ACCESS_KEY)),
        "expires_at": float(expires) if expires else None,
        "ok": info.get("ok", "1") == "1",
        "last_refresh_at": float(info["at"]) if info.get("at") else None,
        "last_error": info.get("error") or None,
    }


def _text(value: bytes | str) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


class ZaloTokens:
    """Hands out a valid access token; refreshes it before expiry and when Zalo rejects it."""

    def __init__(
        self, redis: Redis, client: httpx.AsyncClient, settings: ZaloSettings,
        *, lock_ttl_s: float = 30.0, wait_s: float = 40.0, poll_s: float = 0.05,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._client = client
        self._settings = settings
        self._lock_ttl_ms = int(lock_ttl_s * 1000)
        self._wait_s = wait_s
        self._poll_s = poll_s
        self._clock = clock
        self._seeded = False

    async def seed(self) -> None:
        """Copy the tokens from settings into Redis unless Redis already holds newer ones."""
        if self._seeded:
            return
        if self._settings.refresh_token:
            await self._redis.set(REFRESH_KEY, self._settings.refresh_token, nx=True)
        if self._settings.access_token:
            await self._redis.set(ACCESS_KEY, self._settings.access_token, nx=True)
        self._seeded = True

    async def access_token(self) -> str:
        """The current access token, refreshed first when it is about to expire."""
        await self.seed()
        token, expires = await self._redis.mget(ACCESS_KEY, EXPIRES_KEY)
        current = _text(token) if token else ""
        if not current:
            return await self.refresh(stale=current)
        if expires and self._clock() >= float(expires) - self._settings.refresh_margin_s:
            return await self.refresh(stale=current)
        return current

    async def refresh(self, stale: str | None = None) -> str:
        """Refresh once across all processes; return the new access token.

        `stale` is the token the caller found wanting: if another process has already
        replaced it, its result is used and no second refresh call is made.
        """
        await self.seed()
        me = uuid.uuid4().hex
        deadline = self._clock() + self._wait_s
        while True:
            if (fresh := await self._replaced(stale)) is not None:
                return fresh
            if await self._redis.set(LOCK_KEY, me, nx=True, px=self._lock_ttl_ms):
                try:
                    if (fresh := await self._replaced(stale)) is not None:
                        return fresh
                    return await self._call_refresh()
                finally:
                    await self._redis.eval(_RELEASE, 1, LOCK_KEY, me)
            if self._clock() > deadline:
                raise TokenRefreshError("timed out waiting for another process's refresh")
            await asyncio.sleep(self._poll_s)

    async def _replaced(self, stale: str | None) -> str | None:
        if stale is None:
            return None
        current = await self._redis.get(ACCESS_KEY)
        if current and _text(current) != stale:
            return _text(current)
        return None

    async def _call_refresh(self) -> str:
        raw = await self._redis.get(REFRESH_KEY)
        if not raw:
            await self._fail("no refresh token stored")
        url = f"{self._settings.oauth_base_url.rstrip('/')}/v4/oa/access_token"
        form = {"refresh_token": _text(raw), "app_id": self._settings.app_id,
                "grant_type": "refresh_token"}
        try:
            response = await self._client.post(
                url, data=form, headers={"secret_key": self._settings.app_secret},
                timeout=self._settings.timeout_s,
            )
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            await self._fail(f"refresh call failed: {type(exc).__name__}")
        if not isinstance(body, dict) or not body.get("access_token") or not body.get(
            "refresh_token"
        ):
            code = body.get("error") if isinstance(body, dict) else None
            await self._fail(f"refresh refused (error {code}, HTTP {response.status_code})")
        expires_in = float(body.get("expires_in") or 90000)
        await store_tokens(
            self._redis, str(body["access_token"]), str(body["refresh_token"]), expires_in,
            clock=self._clock,
        )
        await self._redis.hset(STATUS_KEY, mapping={"ok": "1", "at": str(self._clock()),
                                                    "error": ""})
        log.info("zalo access token refreshed; expires in %.0f s", expires_in)
        return str(body["access_token"])

    async def _fail(self, reason: str) -> NoReturn:
        log.error("zalo token refresh failed: %s", reason)
        await self._redis.hset(STATUS_KEY, mapping={"ok": "0", "at": str(self._clock()),
                                                    "error": reason})
        raise TokenRefreshError(reason)
