"""Fixtures of the connector tests: a real redis-server, fake platforms and a fake Rasa.

One redis-server is started per test session on a free port (never a system instance); each
test gets a flushed database. Fake servers run on loopback ports in the test's event loop.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import redis as sync_redis
import redis.asyncio as aioredis
from fakes.graph_api import FakeGraph
from fakes.loopback import LoopbackServer
from fakes.rasa import FakeRasa
from fakes.zalo_api import FakeZalo

REDIS_SERVER = "/usr/bin/redis-server"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not shutil.which(REDIS_SERVER):
        pytest.skip("redis-server is not installed")
    port = _free_port()
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    client = sync_redis.Redis(port=port)
    try:
        for _ in range(200):
            try:
                client.ping()
                break
            except sync_redis.ConnectionError:
                time.sleep(0.02)
        else:
            raise RuntimeError("redis-server did not start")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


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
