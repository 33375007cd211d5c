"""Reliability of the platform path with the real Rasa, action server and Redis (fake Send APIs).

The shared stack (`bot`) keeps running untouched. This module starts its own app (webhooks, web
chat, worker) and a second worker process against ITS OWN redis-server, and reaches the shared
Rasa through a proxy in this process that can be slowed down or switched off (a stopped proxy
refuses connections exactly like a stopped Rasa). So Redis can be restarted and a worker killed
without disturbing the other integration tests. Messenger and Zalo are enabled through their
settings with the fake Graph / Zalo servers' URLs (tests/connectors/fakes).

Checked: the webhook answers 200 in < 1 s while Rasa takes 30 s; Rasa down for 20 s → messages
wait in the queue and are answered once it is back, none lost; the worker holding a message is
killed → the other worker completes it with exactly one reply; Redis restarted → /health says
unhealthy and webhooks get 503 while it is down, the platform's re-deliveries of the same message
id are accepted once it is back, and the message is answered once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import redis as sync_redis
from script_modules import load_script
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from waiting import wait_until

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "connectors"))
from fakes import builders  # noqa: E402  (tests/connectors/fakes)
from fakes.graph_api import FakeGraph  # noqa: E402
from fakes.loopback import LoopbackServer  # noqa: E402
from fakes.zalo_api import FakeZalo  # noqa: E402

from connectors.platforms import texts  # noqa: E402

if TYPE_CHECKING:
    from tests.integration.conftest import Bot

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RASA_SLOW_S = 30.0
RASA_DOWN_S = 20.0
ACK_LIMIT_S = 1.0
REPLY_TIMEOUT_S = 120.0
ZALO_AT, ZALO_RT = "REL-AT-0", "REL-RT-0"


class RasaProxy:
    """Forwards Rasa's REST webhook and /status to the real Rasa, optionally `delay_s` late."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.delay_s = 0.0
        self.received: list[float] = []
        self.app = Starlette(routes=[
            Route("/webhooks/rest/webhook", self._forward, methods=["POST"]),
            Route("/status", self._forward, methods=["GET"]),
        ])

    async def _forward(self, request: Request) -> Response:
        body = await request.body()
        if request.method == "POST":
            self.received.append(time.monotonic())
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
        async with httpx.AsyncClient(timeout=120) as client:
            answer = await client.request(request.method, self.target + request.url.path,
                                          params=request.query_params, content=body,
                                          headers={"Content-Type": "application/json"})
        return Response(answer.content, status_code=answer.status_code,
                        media_type="application/json")


class Loopbacks:
    """The fake Graph and Zalo APIs and the Rasa proxy, served by a thread's own event loop."""

    def __init__(self, rasa_url: str) -> None:
        self.graph = FakeGraph()
        self.zalo = FakeZalo(access_token=ZALO_AT, refresh_token=ZALO_RT)
        self.proxy = RasaProxy(rasa_url)
        self.servers = {name: LoopbackServer(app) for name, app in
                        (("graph", self.graph.app), ("zalo", self.zalo.app),
                         ("proxy", self.proxy.app))}
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(60)

    def __enter__(self) -> Loopbacks:
        self.thread.start()
        for server in self.servers.values():
            self.call(server.start())
        return self

    def __exit__(self, *exc_info: object) -> None:
        for server in self.servers.values():
            self.call(server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def url(self, name: str) -> str:
        return self.servers[name].url

    def replies_to(self, user: str) -> list[str]:
        return [r["json"]["message"]["text"] for r in list(self.graph.requests)
                if r["json"]["recipient"]["id"] == user and "message" in r["json"]]


class Platforms:
    """This module's app + second worker on their own Redis, and the loopback fakes."""

    def __init__(self, stack: Any, loopbacks: Loopbacks) -> None:
        self.stack = stack
        self.fakes = loopbacks
        self.http = httpx.Client(base_url=stack.app_url, timeout=30)
        self.redis = sync_redis.Redis.from_url(stack.redis_url)

    def post_messenger(self, user: str, mid: str, text: str) -> tuple[int, float]:
        body = builders.messenger_body([builders.text_event(user, mid, text)])
        return self._post("/webhooks/messenger", body, builders.messenger_headers(body))

    def post_zalo(self, user: str, mid: str, text: str) -> tuple[int, float]:
        body = builders.zalo_body(user=user, mid=mid, text=text)
        return self._post("/webhooks/zalo", body, builders.zalo_headers(body))

    def _post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, float]:
        started = time.perf_counter()
        response = self.http.post(path, content=body, headers=headers)
        return response.status_code, time.perf_counter() - started

    def state(self, channel: str, mid: str) -> dict[str, str]:
        raw = self.redis.hgetall(f"msgstate:{channel}:{mid}")
        return {k.decode(): v.decode() for k, v in raw.items()}

    def wait_done(self, channel: str, mid: str, timeout: float = REPLY_TIMEOUT_S) -> dict[str, str]:
        def answered() -> dict[str, str] | None:
            state = _quietly(lambda: self.state(channel, mid))
            return state if state and state.get("done") else None

        return wait_until(answered, timeout=timeout, what=f"{channel} message {mid} answered")


def _quietly(read: Any) -> Any:
    try:
        return read()
    except sync_redis.RedisError:
        return None


def app_env(stack: Any, loopbacks: Loopbacks) -> dict[str, str]:
    return {
        "MESSENGER_APP_SECRET": builders.APP_SECRET, "MESSENGER_VERIFY_TOKEN": builders.VERIFY_TOKEN,
        "MESSENGER_PAGE_ACCESS_TOKEN": builders.PAGE_TOKEN,
        "MESSENGER_GRAPH_BASE_URL": loopbacks.url("graph"),
        "ZALO_APP_ID": builders.ZALO_APP_ID, "ZALO_OA_SECRET_KEY": builders.ZALO_SECRET,
        "ZALO_APP_SECRET": "rel-zalo-app-secret", "ZALO_ACCESS_TOKEN": ZALO_AT,
        "ZALO_REFRESH_TOKEN": ZALO_RT, "ZALO_API_BASE_URL": loopbacks.url("zalo"),
        "ZALO_OAUTH_BASE_URL": loopbacks.url("zalo"),
        # One partition: one worker at a time owns all users; the other waits for its lease.
        "WORKER_PARTITIONS": "1", "WORKER_LEASE_MS": "2000", "WORKER_CLAIM_IDLE_MS": "1000",
        "WORKER_RASA_RETRY_MAX_S": "2", "APP_RASA_TIMEOUT_SECONDS": "90",
        "APP_WEBCHAT_WAIT_SECONDS": "3",
    }


@pytest.fixture(scope="module")
def platforms(bot: Bot, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platforms]:
    services = load_script("services")
    log_dir = tmp_path_factory.mktemp("reliability-logs")
    with Loopbacks(bot.stack.rasa_url) as loopbacks:
        stack = services.Stack(log_dir, data_dir=bot.data_dir,
                               extra_env={**bot.stack.extra_env, **app_env(bot.stack, loopbacks)})
        try:
            stack.start_redis(services.free_port())
            stack.rasa_url, stack.rasa_token = loopbacks.url("proxy"), bot.stack.rasa_token
            stack.action_server_url = bot.stack.action_server_url
            stack.start_app(services.free_port())
            env = dict(stack.services["app"].env)
            stack.launch(services.Service(
                "worker", "", log_dir / "worker.log",
                [str(services.APP_PYTHON), "-m", "connectors.platforms.runtime"], env))
            yield Platforms(stack, loopbacks)
        finally:
            stack.stop_all()


def test_webhooks_answer_at_once_while_rasa_takes_30_seconds(platforms: Platforms) -> None:
    proxy = platforms.fakes.proxy
    proxy.delay_s = RASA_SLOW_S
    try:
        before = len(proxy.received)
        acks = [platforms.post_messenger("rel-slow-m", "rel.slow.m1", "xin chào"),
                platforms.post_zalo("rel-slow-z", "rel.slow.z1", "xin chào")]
        assert [status for status, _ in acks] == [200, 200]
        assert max(seconds for _, seconds in acks) < ACK_LIMIT_S, acks
        wait_until(lambda: len(proxy.received) > before, timeout=30, what="the worker asks Rasa",
                   interval=0.1)
        asked = time.monotonic()
        # Web chat on the same queue: the page gets `pending` after its short wait, not an error.
        chat = httpx.Client(base_url=platforms.stack.app_url, timeout=30)
        chat.get("/")
        page = chat.post("/api/chat", json={"id": "rel-slow-web-1", "text": "xin chào"})
        assert page.status_code == 200 and page.json()["pending"] is True
        chat.close()
    finally:
        proxy.delay_s = 0.0
    for channel, mid in (("messenger", "rel.slow.m1"), ("zalo", "rel.slow.z1")):
        state = platforms.wait_done(channel, mid)
        assert state["delivery"] == "sent", state
    assert time.monotonic() - asked >= RASA_SLOW_S - 1
    replies = platforms.fakes.replies_to("rel-slow-m")
    assert replies and texts.BOT_DOWN not in replies
    assert len(replies) == int(platforms.state("messenger", "rel.slow.m1")["sent"])
    assert any(s["json"]["recipient"]["user_id"] == "rel-slow-z" for s in platforms.fakes.zalo.sends)


def test_the_logs_hold_no_token_of_the_page_or_of_rasa(platforms: Platforms) -> None:
    status, _ = platforms.post_messenger("rel-logs-m", "rel.logs.m1", "học phí năm nay")
    assert status == 200
    assert platforms.wait_done("messenger", "rel.logs.m1")["delivery"] == "sent"
    assert platforms.fakes.replies_to("rel-logs-m")  # the Graph API was called with the token
    logs = {path.name: path.read_text(encoding="utf-8", errors="replace")
            for path in platforms.stack.log_dir.glob("*.log")}
    assert {"app.log", "worker.log"} <= set(logs)
    for name, text in logs.items():
        assert builders.PAGE_TOKEN not in text, name
        assert platforms.stack.rasa_token not in text, name


def test_rasa_down_for_20_seconds_loses_nothing(platforms: Platforms) -> None:
    proxy_server = platforms.fakes.servers["proxy"]
    users = [f"rel-down-{i}" for i in range(3)]
    platforms.fakes.call(proxy_server.stop())
    try:
        for i, user in enumerate(users):
            status, seconds = platforms.post_messenger(user, f"rel.down.{i}", "xin chào")
            assert status == 200 and seconds < ACK_LIMIT_S
        time.sleep(RASA_DOWN_S)
        assert all(platforms.fakes.replies_to(user) == [] for user in users)
        assert not platforms.state("messenger", "rel.down.0").get("done")
    finally:
        platforms.fakes.call(proxy_server.start())
    for i, user in enumerate(users):
        state = platforms.wait_done("messenger", f"rel.down.{i}")
        assert state["delivery"] == "sent", state
        replies = platforms.fakes.replies_to(user)
        assert replies and texts.BOT_DOWN not in replies
        assert len(replies) == int(state["sent"])


def test_a_killed_worker_is_replaced_and_the_message_answered_once(platforms: Platforms) -> None:
    proxy = platforms.fakes.proxy
    stack = platforms.stack
    proxy.delay_s = 6.0
    try:
        before = len(proxy.received)
        assert platforms.post_messenger("rel-kill", "rel.kill.1", "xin chào")[0] == 200
        wait_until(lambda: len(proxy.received) > before, timeout=30, what="a worker asks Rasa",
                   interval=0.05)
        owner = platforms.redis.get("lease:inbound:0").decode()
        owner_pid = int(owner.split("-")[-2])
        victim = next(name for name, pid in stack.pids().items() if pid == owner_pid)
        os.kill(owner_pid, signal.SIGKILL)
        proxy.delay_s = 0.0
        state = platforms.wait_done("messenger", "rel.kill.1")
    finally:
        proxy.delay_s = 0.0
    time.sleep(2)  # the dead worker's late Rasa answer, if it mattered, would arrive by now
    replies = platforms.fakes.replies_to("rel-kill")
    assert state["delivery"] == "sent" and len(replies) == int(state["sent"]) >= 1
    assert texts.BOT_DOWN not in replies
    stack.restart(victim)  # the same command and port, for the tests after this one


def test_redis_restart_is_reported_and_retries_are_answered_once(platforms: Platforms) -> None:
    stack = platforms.stack
    assert platforms.post_messenger("rel-redis", "rel.redis.1", "xin chào")[0] == 200
    platforms.wait_done("messenger", "rel.redis.1")
    answered_before = len(platforms.fakes.replies_to("rel-redis"))
    redis_service = stack.services["redis"]
    stack.stop("redis")
    try:
        health = platforms.http.get("/health")
        assert health.status_code == 503 and health.json()["redis"]["ok"] is False
        status, seconds = platforms.post_messenger("rel-redis", "rel.redis.2", "cảm ơn")
        assert status == 503 and seconds < 5  # not accepted: the platform will re-deliver
    finally:
        stack.launch(redis_service)
    wait_until(lambda: platforms.http.get("/health").json()["redis"]["ok"] is True, timeout=30,
               what="the app sees Redis back", interval=0.5)
    statuses = []
    for _ in range(3):  # the platform's re-deliveries of the refused webhook
        status, _ = platforms.post_messenger("rel-redis", "rel.redis.2", "cảm ơn")
        statuses.append(status)
        if status != 200:
            time.sleep(1)
    assert statuses[-1] == 200 and 200 in statuses
    state = platforms.wait_done("messenger", "rel.redis.2")
    time.sleep(2)  # any duplicate would be sent by now
    replies = platforms.fakes.replies_to("rel-redis")
    assert state["delivery"] == "sent"
    assert len(replies) - answered_before == int(state["sent"]) >= 1
