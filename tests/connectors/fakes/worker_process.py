"""A worker in its own process, for the test that kills one with SIGKILL mid-message.

Usage: python worker_process.py REDIS_URL RASA_URL GRAPH_URL CONSUMER
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx
import redis.asyncio as aioredis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fakes.builders import make_runtime  # noqa: E402


async def main(redis_url: str, rasa_url: str, graph_url: str, consumer: str) -> None:
    redis = aioredis.from_url(redis_url)
    async with httpx.AsyncClient() as http:
        runtime = make_runtime(redis, http, rasa_url=rasa_url, graph_url=graph_url,
                               consumer=consumer)
        await runtime.start()
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
