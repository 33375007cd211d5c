"""Fixtures of the admin-web tests: the app in-process with a real redis-server and a fresh
SQLite store, and logged-in HTTP clients.

- `admin_app`: `connectors.app.create_app(...)` + `admin.install(app, settings)` on a temp
  `BOT_DATA_DIR`, with a real Redis (one redis-server per session on a free port, flushed per
  test) and `app.state.push` replaced by a `RecordingPush`.
- `client_admin`, `client_staff`: `AdminClient`s logged in through the real login form as
  `admin_account` / `staff_account`; `client_anon`: not logged in.
  `await client.csrf_token()` reads the session's token from a page; `await client.post_form(url,
  data)` posts a form with that token added (helpers in `admin_client.py`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import redis.asyncio as aioredis
from admin_client import BASE_URL, Account, AdminClient, RecordingPush, make_account
from fastapi import FastAPI
from redis_server import redis_server

import admin
from admin.settings import AdminSettings
from connectors.app import create_app
from connectors.settings import AppSettings

TEST_SECRET = "admin-tests-secret-key-0123456789-abcdefghij"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real redis-server for the session, on a free loopback port."""
    with redis_server(tmp_path_factory.mktemp("admin-redis")) as url:
        yield url


@pytest_asyncio.fixture(loop_scope="function")
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """The app's Redis client (a flushed database)."""
    client = aioredis.from_url(redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture()
def admin_settings() -> AdminSettings:
    return AdminSettings(app_env="dev", secret_key=TEST_SECRET, cookie_secure="auto")


@pytest.fixture()
def push() -> RecordingPush:
    return RecordingPush()


@pytest_asyncio.fixture(loop_scope="function")
async def admin_app(data_dir: Path, redis: aioredis.Redis, redis_url: str, admin_settings: AdminSettings,
                    push: RecordingPush) -> AsyncIterator[FastAPI]:
    """The whole app (web chat + admin) on a fresh store; lifespan not started."""
    settings = AppSettings(env="dev", redis_url=redis_url, secret_key=TEST_SECRET)
    async with httpx.AsyncClient() as http:
        app = create_app(settings, http_client=http, redis=redis)
        admin.install(app, admin_settings)
        app.state.push = push
        yield app


@pytest.fixture()
def admin_account(data_dir: Path) -> Account:
    return make_account("quantri", "mat-khau-quan-tri", "admin", "Nguyễn Quản Trị")


@pytest.fixture()
def staff_account(data_dir: Path) -> Account:
    return make_account("canbo", "mat-khau-can-bo", "staff", "Trần Cán Bộ")


async def _client(app: FastAPI) -> AdminClient:
    return AdminClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)


@pytest_asyncio.fixture(loop_scope="function")
async def client_anon(admin_app: FastAPI) -> AsyncIterator[AdminClient]:
    async with await _client(admin_app) as client:
        yield client


@pytest_asyncio.fixture(loop_scope="function")
async def client_admin(admin_app: FastAPI, admin_account: Account) -> AsyncIterator[AdminClient]:
    async with await _client(admin_app) as client:
        response = await client.login(admin_account.username, admin_account.password)
        assert response.status_code == 303, response.text[:500]
        yield client


@pytest_asyncio.fixture(loop_scope="function")
async def client_staff(admin_app: FastAPI, staff_account: Account) -> AsyncIterator[AdminClient]:
    async with await _client(admin_app) as client:
        response = await client.login(staff_account.username, staff_account.password)
        assert response.status_code == 303, response.text[:500]
        yield client
