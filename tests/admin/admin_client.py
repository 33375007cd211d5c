"""Helpers of the admin-web tests: an in-process browser, test accounts and a recording push.

Kept out of conftest.py so test modules can import them by a unique module name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import httpx

from connectors.push import PushResult
from storage.db import session_scope
from storage.repositories import create_user

BASE_URL = "http://testserver"
_CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class RecordingPush:
    """Stands in for `connectors.push.Push`: records sends, answers `status` (or `statuses[channel]`)."""

    status: str = "sent"
    statuses: dict[str, str] = field(default_factory=dict)
    sent: list[dict[str, str]] = field(default_factory=list)

    async def send(self, *, channel: str, recipient: str, text: str) -> PushResult:
        self.sent.append({"channel": channel, "recipient": recipient, "text": text})
        return PushResult(self.statuses.get(channel, self.status))


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    password: str
    role: str
    full_name: str


def make_account(username: str, password: str, role: str, full_name: str = "") -> Account:
    """Create an account in the configured store (BOT_DATA_DIR)."""
    with session_scope() as session:
        user = create_user(session, username=username, password=password, role=role, full_name=full_name)
        return Account(user.id, username, password, role, full_name)


class AdminClient(httpx.AsyncClient):
    """An in-process browser of the admin web (keeps cookies)."""

    async def login_token(self) -> str:
        page = await self.get("/admin/login")
        return _csrf_in(page.text)

    async def login(self, username: str, password: str, next_url: str = "/admin/") -> httpx.Response:
        token = await self.login_token()
        return await self.post("/admin/login", data={
            "username": username, "password": password, "csrf_token": token, "next": next_url})

    async def csrf_token(self) -> str:
        """The CSRF token of the logged-in session (read from the home page's logout form)."""
        page = await self.get("/admin/")
        assert page.status_code == 200, (page.status_code, page.headers.get("location"))
        return _csrf_in(page.text)

    async def post_form(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        """POST a form with the session's CSRF token added."""
        return await self.post(url, data={**(data or {}), "csrf_token": await self.csrf_token()}, **kwargs)


def _csrf_in(html: str) -> str:
    match = _CSRF_RE.search(html)
    assert match, "no csrf_token field in the page"
    return match.group(1)
