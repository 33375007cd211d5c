"""Push: staff answers reach parents on Messenger (pieces, window, failures), web chat (known
sessions only) and report `no_channel` for a channel that is not configured; the app exposes it."""

from __future__ import annotations

import time

import httpx
from fakes.builders import make_runtime
from fakes.graph_api import graph_error

from connectors.app import create_app
from connectors.outbound import LAST_INBOUND_PREFIX
from connectors.push import Push, PushResult
from connectors.settings import AppSettings

SENTENCE = "Nhà trường đã kiểm tra lại hồ sơ và xác nhận con bạn được miễn học phí năm nay. "


async def _runtime(redis, http, fake_rasa, fake_graph):
    return make_runtime(redis, http, rasa_url=fake_rasa.server.url,
                        graph_url=fake_graph.server.url)


async def _interacted(redis, channel: str, user: str, seconds_ago: float = 60) -> None:
    await redis.set(f"{LAST_INBOUND_PREFIX}{channel}:{user}", str(time.time() - seconds_ago))


async def test_messenger_push_inside_the_window_is_sent_in_pieces(
    redis, http, fake_rasa, fake_graph
) -> None:
    rt = await _runtime(redis, http, fake_rasa, fake_graph)
    await _interacted(redis, "messenger", "psid-1")
    result = await rt.push.send(channel="messenger", recipient="psid-1", text=SENTENCE * 60)
    assert result == PushResult("sent")
    texts = fake_graph.texts
    assert len(texts) == 3 and all(len(t) <= 2000 for t in texts)
    assert "".join(texts).replace(" ", "") == (SENTENCE * 60).replace(" ", "")
    assert {r["json"]["recipient"]["id"] for r in fake_graph.requests} == {"psid-1"}


async def test_messenger_push_outside_the_window_is_undelivered_and_not_sent(
    redis, http, fake_rasa, fake_graph
) -> None:
    rt = await _runtime(redis, http, fake_rasa, fake_graph)
    await _interacted(redis, "messenger", "psid-old", seconds_ago=25 * 3600)
    result = await rt.push.send(channel="messenger", recipient="psid-old", text="Trả lời")
    assert result.status == "undelivered" and result.detail
    never = await rt.push.send(channel="messenger", recipient="psid-never", text="Trả lời")
    assert never.status == "undelivered"
    assert fake_graph.requests == []


async def test_a_platform_that_keeps_failing_gives_failed(
    redis, http, fake_rasa, fake_graph
) -> None:
    rt = await _runtime(redis, http, fake_rasa, fake_graph)
    await _interacted(redis, "messenger", "psid-1")
    fake_graph.script = [graph_error(2, status=500)] * 10
    result = await rt.push.send(channel="messenger", recipient="psid-1", text="Trả lời")
    assert result.status == "failed" and result.detail
    assert len(fake_graph.requests) == 5  # worker_settings: send_attempts default 5


async def test_blocked_recipient_is_undelivered(redis, http, fake_rasa, fake_graph) -> None:
    rt = await _runtime(redis, http, fake_rasa, fake_graph)
    await _interacted(redis, "messenger", "psid-1")
    fake_graph.script = [graph_error(551)]
    result = await rt.push.send(channel="messenger", recipient="psid-1", text="Trả lời")
    assert result.status == "undelivered"
    assert len(fake_graph.requests) == 1


async def test_a_channel_that_is_not_configured_is_no_channel(
    redis, http, fake_rasa, fake_graph
) -> None:
    rt = await _runtime(redis, http, fake_rasa, fake_graph)  # Zalo has no settings here
    result = await rt.push.send(channel="zalo", recipient="zu-1", text="Trả lời")
    assert result.status == "no_channel"
    web_less = Push(rt.outbound, None, salt="s")
    assert (await web_less.send(channel="web", recipient="sess", text="x")).status == "no_channel"


async def test_web_push_reaches_a_known_session_through_its_reply_stream(
    redis, http, fake_rasa, fake_graph
) -> None:
    rt = await _runtime(redis, http, fake_rasa, fake_graph)
    settings = AppSettings(_env_file=None, rasa_url=fake_rasa.server.url,
                           webchat_poll_seconds=1.0)
    app = create_app(settings, http_client=http, redis=redis, runtime=rt)
    assert app.state.push is rt.push
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://testserver") as client:
            await client.get("/")
            session = client.cookies.get("edubot_chat").split(".")[0]
            start = (await client.get("/api/chat/replies")).json()["cursor"]
            long_text = SENTENCE * 40  # web chat shows it as one message, not in pieces
            result = await app.state.push.send(channel="web", recipient=session, text=long_text)
            assert result == PushResult("sent")
            polled = (await client.get("/api/chat/replies", params={"after": start})).json()
    assert [m["text"] for m in polled["messages"]] == [long_text.strip()]
    gone = await rt.push.send(channel="web", recipient="never-seen-session", text="x")
    assert gone.status == "undelivered"
    assert not await redis.exists("webout:never-seen-session")


async def test_an_app_without_runtime_has_no_push(fake_rasa) -> None:
    app = create_app(AppSettings(_env_file=None), redis=object())
    assert getattr(app.state, "push", None) is None
