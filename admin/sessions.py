"""Admin logins: server-side sessions in Redis, the signed cookie that names them, the CSRF
token of the login form and the login rate limit.

A session is a random id; Redis keeps `admin:session:<id>` → {user id, username, role, CSRF
token} for `session_hours`. The browser only holds the id, signed with `ADMIN_SECRET_KEY`, in the
HttpOnly cookie `edubot_admin` (SameSite=Lax, Path=/admin, Secure over https). Logging out or
deactivating a user deletes the Redis entries, so a stolen or old cookie stops working at once.
Failed logins are counted per username and client address in Redis (`admin:login-fail:…`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, Signer

from admin.settings import AdminSettings

logger = logging.getLogger(__name__)

COOKIE_NAME = "edubot_admin"
LOGIN_COOKIE_NAME = "edubot_admin_login"
COOKIE_PATH = "/admin"
SESSION_PREFIX = "admin:session:"
USER_SESSIONS_PREFIX = "admin:user-sessions:"
FAIL_PREFIX = "admin:login-fail:"
LOGIN_COOKIE_SECONDS = 2 * 3600


@dataclass(frozen=True)
class AdminUser:
    """The logged-in person as the pages see them."""

    id: int
    username: str
    role: str
    full_name: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


@dataclass(frozen=True)
class AdminSession:
    """What Redis keeps for one login."""

    session_id: str
    user_id: int
    username: str
    role: str
    csrf_token: str
    created_at: float


def cookie_secure(request: Request, settings: AdminSettings) -> bool:
    """Whether cookies set on this response carry the Secure attribute."""
    if settings.cookie_secure == "auto":
        return request.url.scheme == "https"
    return settings.cookie_secure == "true"


def set_cookie(response: Response, request: Request, settings: AdminSettings, name: str, value: str,
               max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path=COOKIE_PATH, httponly=True, samesite="lax",
                        secure=cookie_secure(request, settings))


def delete_cookie(response: Response, request: Request, settings: AdminSettings, name: str) -> None:
    response.delete_cookie(name, path=COOKIE_PATH, httponly=True, samesite="lax",
                           secure=cookie_secure(request, settings))


class SessionStore:
    """Creates, reads and deletes admin sessions in Redis (`redis.asyncio` client)."""

    def __init__(self, redis: Any, settings: AdminSettings) -> None:
        self._redis = redis
        self._settings = settings
        self._signer = Signer(settings.secret_key, salt="edubot.admin.session")
        self.ttl_seconds = max(1, int(settings.session_hours * 3600))

    def sign(self, session_id: str) -> str:
        return self._signer.sign(session_id.encode("ascii")).decode("ascii")

    def unsign(self, cookie_value: str) -> str | None:
        try:
            return self._signer.unsign(cookie_value.encode("ascii")).decode("ascii")
        except (BadSignature, UnicodeError):
            return None

    async def create(self, user: AdminUser) -> AdminSession:
        """A new session (new id and CSRF token) for `user`."""
        session = AdminSession(
            session_id=secrets.token_urlsafe(32), user_id=user.id, username=user.username,
            role=user.role, csrf_token=secrets.token_urlsafe(32), created_at=time.time(),
        )
        user_key = f"{USER_SESSIONS_PREFIX}{user.id}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(SESSION_PREFIX + session.session_id, json.dumps(asdict(session)), ex=self.ttl_seconds)
            pipe.sadd(user_key, session.session_id)
            pipe.expire(user_key, self.ttl_seconds)
            await pipe.execute()
        return session

    async def load(self, cookie_value: str | None) -> AdminSession | None:
        """The live session named by a cookie value, or None (absent, forged, expired, deleted)."""
        if not cookie_value:
            return None
        session_id = self.unsign(cookie_value)
        if session_id is None:
            return None
        raw = await self._redis.get(SESSION_PREFIX + session_id)
        if raw is None:
            return None
        try:
            return AdminSession(**json.loads(raw))
        except (ValueError, TypeError):
            logger.warning("unreadable admin session dropped")
            await self.delete(session_id)
            return None

    async def delete(self, session_id: str) -> None:
        await self._redis.delete(SESSION_PREFIX + session_id)

    async def revoke_user(self, user_id: int) -> int:
        """Delete every session of one user (deactivated, password reset); returns how many."""
        user_key = f"{USER_SESSIONS_PREFIX}{user_id}"
        members = await self._redis.smembers(user_key)
        ids = [m.decode("ascii") if isinstance(m, bytes) else str(m) for m in members]
        if ids:
            await self._redis.delete(*(SESSION_PREFIX + session_id for session_id in ids))
        await self._redis.delete(user_key)
        return len(ids)


class LoginLimiter:
    """Counts failed logins per username + client address within `login_window_minutes`."""

    def __init__(self, redis: Any, settings: AdminSettings) -> None:
        self._redis = redis
        self.attempts = settings.login_attempts
        self.window_seconds = settings.login_window_minutes * 60

    @staticmethod
    def _key(username: str, address: str) -> str:
        digest = hashlib.sha256(f"{username.strip().lower()}|{address}".encode()).hexdigest()[:32]
        return FAIL_PREFIX + digest

    async def blocked(self, username: str, address: str) -> bool:
        count = await self._redis.get(self._key(username, address))
        return count is not None and int(count) >= self.attempts

    async def failed(self, username: str, address: str) -> int:
        """Count one failure; the window starts at the first failure."""
        key = self._key(username, address)
        count = int(await self._redis.incr(key))
        if count == 1:
            await self._redis.expire(key, self.window_seconds)
        return count

    async def succeeded(self, username: str, address: str) -> None:
        await self._redis.delete(self._key(username, address))


class LoginToken:
    """The CSRF token of the login form, kept in a signed pre-session cookie (double submit)."""

    def __init__(self, settings: AdminSettings) -> None:
        self._signer = Signer(settings.secret_key, salt="edubot.admin.login")

    def read(self, request: Request) -> str | None:
        raw = request.cookies.get(LOGIN_COOKIE_NAME)
        if not raw:
            return None
        try:
            return self._signer.unsign(raw.encode("ascii")).decode("ascii")
        except (BadSignature, UnicodeError):
            return None

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    def cookie_value(self, token: str) -> str:
        return self._signer.sign(token.encode("ascii")).decode("ascii")

    def matches(self, request: Request, submitted: str | None) -> bool:
        expected = self.read(request)
        return bool(expected and submitted) and secrets.compare_digest(expected, str(submitted))


def client_address(request: Request) -> str:
    """The client's address as the server saw it (behind a proxy: uvicorn --proxy-headers)."""
    return request.client.host if request.client else "unknown"


def session_store(request: Request) -> SessionStore:
    return SessionStore(request.app.state.redis, request.app.state.admin_settings)


def login_limiter(request: Request) -> LoginLimiter:
    return LoginLimiter(request.app.state.redis, request.app.state.admin_settings)
