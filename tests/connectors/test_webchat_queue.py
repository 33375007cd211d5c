"""Web chat on the queued path, in-process: POST /api/chat → inbound stream → worker → fake Rasa
→ the session's reply stream → back to the page; long-polling for late replies, deduplication on
the page's message id, the session header of embedded pages, and the framing policy."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fakes.builders import MemoryRecords, eventually, make_runtime

from connectors.app import create_app
from connectors.settings import AppSettings
from connectors.web_replies import SESSION_PREFIX
from connectors.webchat import COOKIE_NAME, SESSION_HEADER, STATIC_URL, scoped_message_id

TOKEN_RE = re.compile(r'data-session="([^"]+)"')


@asynccontextmanager
async def queued_app(redis: Any, http: httpx.AsyncClient, rasa_url: str,
                     graph_url: str | None = None, **settings: Any
                     ) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    values: dict[str, Any] = {"webchat_wait_seconds": 5.0, "webchat_poll_seconds": 2.0}
    values.update(settings)
    app_settings = AppSettings(_env_file=None, rasa_url=rasa_url, **values)
    runtime = make_runtime(redis, http, rasa_url=rasa_url, graph_url=graph_url,
                           records=MemoryRecords())
    app = create_app(app_settings, http_client=http, redis=redis, runtime=runtime)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client, app


async def test_a_message_goes_through_the_queue_and_its_replies_come_back(
    redis, http, fake_rasa
) -> None:
    async with queued_app(redis, http, fake_rasa.server.url) as (client, app):
        page = await client.get("/")
        response = await client.post("/api/chat", json={"id": "page-msg-0001", "text": "xin chào"})
        assert response.status_code == 200
        body = response.json()
        assert body["pending"] is False
        assert [m["text"] for m in body["messages"]] == ["Trả lời: xin chào"]
        assert re.fullmatch(r"\d+-\d+", body["messages"][0]["id"])
        assert re.fullmatch(r"\d+-\d+", body["cursor"])
        session = client.cookies.get(COOKIE_NAME).split(".")[0]
        assert fake_rasa.received == [{"sender": f"web:{session}", "message": "xin chào"}]
        # The page and the message made the session known (staff answers can reach it).
        assert await redis.exists(f"{SESSION_PREFIX}{session}")
        scoped = scoped_message_id("page-msg-0001", session)
        assert await redis.exists(f"dedup:web:{scoped}")
        # The worker records the turn after the replies went out: wait for it.
        records = app.state.platform_runtime.records
        await eventually(lambda: len(records.turns) >= 1)
        assert [(m.channel, m.message_id, d) for m, _, d in records.turns] == [
            ("web", scoped, "sent")]
        assert page.status_code == 200


async def test_the_same_page_message_id_in_two_sessions_is_two_turns(redis, http, fake_rasa) -> None:
    """A page chooses its message ids; another session reusing one is not a duplicate."""
    async with queued_app(redis, http, fake_rasa.server.url) as (client, _):
        first = await client.post("/api/chat", json={"id": "page-msg-shared", "text": "một"})
        client.cookies.clear()
        second = await client.post("/api/chat", json={"id": "page-msg-shared", "text": "hai"})
    assert [r.json()["messages"][0]["text"] for r in (first, second)] == ["Trả lời: một", "Trả lời: hai"]
    assert [m["message"] for m in fake_rasa.received] == ["một", "hai"]
    assert len({m["sender"] for m in fake_rasa.received}) == 2


async def test_the_same_page_message_id_twice_is_one_rasa_turn_with_the_same_replies(
    redis, http, fake_rasa
) -> None:
    async with queued_app(redis, http, fake_rasa.server.url) as (client, _):
        await client.get("/")
        await client.post("/api/chat", json={"id": "first-message", "text": "một"})
        first = await client.post("/api/chat", json={"id": "page-msg-same", "text": "hai"})
        again = await client.post("/api/chat", json={"id": "page-msg-same", "text": "hai"})
    assert [m["message"] for m in fake_rasa.received] == ["một", "hai"]
    assert [m["text"] for m in first.json()["messages"]] == ["Trả lời: hai"]
    assert again.json()["messages"] == first.json()["messages"]
    assert again.json()["pending"] is False


async def test_a_slow_turn_answers_pending_then_the_page_long_polls_the_replies(
    redis, http, fake_rasa
) -> None:
    fake_rasa.hold()
    # A poll longer than redis-py's 5-second socket timeout must still just wait.
    async with queued_app(redis, http, fake_rasa.server.url, webchat_wait_seconds=0.3,
                          webchat_poll_seconds=6.0) as (client, _):
        await client.get("/")
        response = await client.post("/api/chat", json={"id": "slow-message", "text": "chậm"})
        body = response.json()
        assert response.status_code == 200
        assert body == {"messages": [], "pending": True, "cursor": "0-0"}
        await eventually(lambda: len(fake_rasa.received) == 1)
        # Nothing yet: the poll waits (6 s here), then answers with the same cursor.
        empty = (await client.get("/api/chat/replies", params={"after": body["cursor"]})).json()
        assert empty == {"messages": [], "done": [], "cursor": "0-0"}
        fake_rasa.release()
        late = (await client.get("/api/chat/replies", params={"after": body["cursor"]})).json()
        while "slow-message" not in late["done"]:
            more = (await client.get("/api/chat/replies", params={"after": late["cursor"]})).json()
            late = {"messages": late["messages"] + more["messages"],
                    "done": late["done"] + more["done"], "cursor": more["cursor"]}
    assert [m["text"] for m in late["messages"]] == ["Trả lời: chậm"]


async def test_an_embedded_page_without_cookies_keeps_its_session_through_the_header(
    redis, http, fake_rasa
) -> None:
    async with queued_app(redis, http, fake_rasa.server.url) as (client, _):
        page = await client.get("/", params={"embed": 1})
        token = TOKEN_RE.search(page.text).group(1)
        client.cookies.clear()  # a third-party iframe whose cookies the browser blocks
        for text in ("một", "hai"):
            response = await client.post("/api/chat", json={"text": text},
                                         headers={SESSION_HEADER: token})
            assert response.status_code == 200
            client.cookies.clear()
        forged = await client.post("/api/chat", json={"text": "ba"},
                                   headers={SESSION_HEADER: token + "x"})
        assert forged.status_code == 200
    senders = [m["sender"] for m in fake_rasa.received]
    assert senders[0] == senders[1] == "web:" + token.split(".")[0]
    assert senders[2] != senders[0]


async def test_replies_need_a_session_and_start_at_the_end_without_a_cursor(
    redis, http, fake_rasa
) -> None:
    async with queued_app(redis, http, fake_rasa.server.url) as (client, _):
        anonymous = (await client.get("/api/chat/replies", params={"after": "0-0"})).json()
        assert anonymous["messages"] == []
        await client.get("/")
        await client.post("/api/chat", json={"text": "xin chào"})
        start = (await client.get("/api/chat/replies")).json()
        assert start["messages"] == [] and re.fullmatch(r"\d+-\d+", start["cursor"])
        everything = (await client.get("/api/chat/replies", params={"after": "0-0"})).json()
        assert [m["text"] for m in everything["messages"]] == ["Trả lời: xin chào"]
        assert everything["cursor"] == start["cursor"]


async def test_the_page_may_be_framed_only_by_the_configured_origins(
    redis, http, fake_rasa
) -> None:
    async with queued_app(redis, http, fake_rasa.server.url) as (client, _):
        own = await client.get("/")
    assert "frame-ancestors 'self';" in own.headers["content-security-policy"]
    async with queued_app(redis, http, fake_rasa.server.url, public_base_url="https://chat.vn",
                          webchat_frame_ancestors="https://thcs-a.edu.vn, https://xa-b.gov.vn"
                          ) as (client, _):
        page = await client.get("/", params={"embed": 1})
        embed = await client.get(f"{STATIC_URL}/embed.js")
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'self' https://thcs-a.edu.vn https://xa-b.gov.vn;" in policy
    cookie = page.headers["set-cookie"].lower()
    assert "samesite=none" in cookie and "secure" in cookie
    assert 'class="chat chat--embedded"' in page.text
    assert embed.status_code == 200 and "iframe" in embed.text and "embed=1" in embed.text

