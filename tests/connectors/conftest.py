"""Fixtures of the connector tests: a real redis-server, fake platforms and a fake Rasa.

One redis-server is started per test session on a free port (never a system instance); each
test gets a flushed database. Fake servers run on loopback ports in the test's event loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import redis.asyncio as aioredis
from fakes.graph_api import FakeGraph
from fakes.loopback import LoopbackServer
from fakes.rasa import FakeRasa
from fakes.zalo_api import FakeZalo
from redis_server import redis_server


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real redis-server for the session, on a free loopback port."""
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest_asyncio.fixture(loop_scope="function")
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest_asyncio.fixture(loop_scope="function")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


async def _serve(fake: Any) -> AsyncIterator[Any]:
    server = LoopbackServer(fake.app)
    await server.start()
    fake.server = server
    try:
        yield fake
    finally:
        if hasattr(fake, "release"):
            fake.release()
        await server.stop()


@pytest_asyncio.fixture(loop_scope="function")
async def fake_graph() -> AsyncIterator[FakeGraph]:
    async for fake in _serve(FakeGraph()):
        yield fake


@pytest_asyncio.fixture(loop_scope="function")
async def fake_zalo() -> AsyncIterator[FakeZalo]:
    async for fake in _serve(FakeZalo()):
        yield fake


@pytest_asyncio.fixture(loop_scope="function")
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    async for fake in _serve(FakeRasa()):
        yield fake


@pytest.fixture
def storage_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh SQLite store for tests that check recorded turns and subscriptions."""
    from storage.db import reset_caches

    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("STORAGE_DATABASE_URL", raising=False)
    reset_caches()
    yield tmp_path / "data"
    reset_caches()
