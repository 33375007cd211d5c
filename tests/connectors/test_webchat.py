"""The web chat in-process: the page, the session cookie, /api/chat against a fake Rasa (a small
ASGI app that records what it received), validation messages, Rasa down, and the turn log."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from connectors.app import create_app
from connectors.settings import AppSettings
from connectors.turn_log import TurnLog
from connectors.webchat import COOKIE_NAME, MSG_BUSY, STATIC_URL, scoped_message_id
from storage.privacy import hash_user_id

RASA_URL = "http://rasa.test"
SALT = "test-salt"
Reply = Callable[[dict[str, Any]], list[dict[str, Any]]]


def echo(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"recipient_id": body["sender"], "text": f"Bạn nói: {body['message']}"}]


class FakeRasa:
    """Rasa's REST channel: records each posted body and answers with `reply(body)`."""

    def __init__(self, reply: Reply = echo) -> None:
        self.reply = reply
        self.received: list[dict[str, Any]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if request.url.path == "/webhooks/rest/webhook" and request.method == "POST":
            body = await request.json()
            self.received.append(body)
            response = JSONResponse(self.reply(body))
        else:
            response = JSONResponse({"detail": "not found"}, status_code=404)
        await response(scope, receive, send)

    @property
    def senders(self) -> list[str]:
        return [body["sender"] for body in self.received]


class RecordingWriter:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def __call__(self, **fields: Any) -> None:
        self.rows.append(fields)


@asynccontextmanager
async def chat_app(
    rasa: httpx.AsyncBaseTransport, writer: RecordingWriter | None = None, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    app_settings = AppSettings(rasa_url=RASA_URL, _env_file=None, **settings)
    backend = httpx.AsyncClient(mounts={RASA_URL: rasa})
    app = create_app(
        app_settings,
        http_client=backend,
        redis=object(),
        turn_log=TurnLog(writer, SALT),
    )
    async with backend, app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


def set_cookie_header(response: httpx.Response) -> str:
    headers = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
    assert len(headers) == 1, headers
    return headers[0]


async def test_page_is_vietnamese_issues_an_httponly_cookie_and_uses_no_cdn() -> None:
    async with chat_app(httpx.ASGITransport(app=FakeRasa())) as client:
        response = await client.get("/")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        html = response.text
        assert '<html lang="vi">' in html
        assert "Nhập câu hỏi của bạn" in html
        cookie = set_cookie_header(response).lower()
        assert cookie.startswith(COOKIE_NAME + "=")
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
        # Every script and stylesheet is served by the app itself.
        assert not re.search(r'(src|href)="https?://', html)
        for asset in ("webchat.js", "webchat.css"):
            assert f"{STATIC_URL}/{asset}" in html
            static = await client.get(f"{STATIC_URL}/{asset}")
            assert static.status_code == 200
            assert "http://" not in static.text and "https://" not in static.text

        # A second visit with the cookie keeps the session: no new cookie.
        again = await client.get("/")
        assert "set-cookie" not in again.headers


async def test_turns_of_one_browser_share_a_sender_and_two_browsers_do_not_mix() -> None:
    rasa = FakeRasa()
    transport = httpx.ASGITransport(app=rasa)
    async with chat_app(transport) as first, chat_app(transport) as second:
        reply = await first.post("/api/chat", json={"text": "  xin chào  "})
        assert reply.status_code == 200
        assert reply.json() == {
            "messages": [{"text": "Bạn nói: xin chào", "quick_replies": [], "meta": {}}],
            "pending": False,
        }
        await first.post("/api/chat", json={"text": "học phí lớp 1"})
        await second.post("/api/chat", json={"text": "tôi là người khác"})

    senders = rasa.senders
    assert len(senders) == 3
    assert all(re.fullmatch(r"web:[A-Za-z0-9_-]{20,}", s) for s in senders)
    assert senders[0] == senders[1] != senders[2]
    assert [b["message"] for b in rasa.received] == [
        "xin chào",
        "học phí lớp 1",
        "tôi là người khác",
    ]


async def test_a_pressed_button_sends_its_payload_to_rasa() -> None:
    rasa = FakeRasa()
    async with chat_app(httpx.ASGITransport(app=rasa)) as client:
        response = await client.post(
            "/api/chat", json={"payload": "/rate_answer_good", "text": "👍 Hữu ích"}
        )
    assert response.status_code == 200
    assert [b["message"] for b in rasa.received] == ["/rate_answer_good"]


async def test_a_forged_cookie_is_replaced_by_a_fresh_session() -> None:
    rasa = FakeRasa()
    async with chat_app(httpx.ASGITransport(app=rasa)) as client:
        client.cookies.set(COOKIE_NAME, "attacker-chosen-id.forged")
        response = await client.post("/api/chat", json={"text": "xin chào"})
    assert response.status_code == 200
    assert "attacker-chosen-id" not in rasa.senders[0]
    assert set_cookie_header(response).startswith(COOKIE_NAME + "=")


async def test_invalid_messages_get_a_vietnamese_422_and_never_reach_rasa() -> None:
    rasa = FakeRasa()
    async with chat_app(httpx.ASGITransport(app=rasa)) as client:
        cases = {
            "empty": (json.dumps({"text": "   "}), "chưa nhập"),
            "missing": (json.dumps({}), "chưa nhập"),
            "too long": (json.dumps({"text": "a" * 2001}), "quá dài"),
            "not json": ("text=xin chào", "không hợp lệ"),
            "wrong type": (json.dumps({"text": 5}), "không hợp lệ"),
            "bad payload": (json.dumps({"payload": "restart"}), "Nút bấm không hợp lệ"),
        }
        for name, (body, expected) in cases.items():
            response = await client.post(
                "/api/chat", content=body, headers={"content-type": "application/json"}
            )
            assert response.status_code == 422, name
            assert expected in response.json()["detail"], name
        at_limit = await client.post("/api/chat", json={"text": "a" * 2000})
        assert at_limit.status_code == 200
    assert len(rasa.received) == 1


async def test_a_body_over_the_app_limit_gets_413_and_never_reaches_rasa() -> None:
    rasa = FakeRasa()
    async with chat_app(httpx.ASGITransport(app=rasa), max_body_kb=4) as client:
        big = await client.post("/api/chat", json={"text": "a" * 1500, "pad": "x" * 5000})
        small = await client.post("/api/chat", json={"text": "học phí lớp 1"})
    assert big.status_code == 413
    assert "vượt quá 4 KB cho phép" in big.json()["detail"]
    assert small.status_code == 200
    assert [body["message"] for body in rasa.received] == ["học phí lớp 1"]


async def test_rasa_down_answers_503_with_the_busy_message() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with chat_app(httpx.MockTransport(refuse)) as client:
        response = await client.post("/api/chat", json={"text": "học phí lớp 1"})
    assert response.status_code == 503
    assert response.json() == {"detail": MSG_BUSY}
    assert MSG_BUSY == "Hệ thống đang bận, bạn vui lòng thử lại sau ít phút."
    # The session survives the failure, so a retry continues the same conversation.
    assert set_cookie_header(response).startswith(COOKIE_NAME + "=")


async def test_a_rasa_reply_that_is_not_a_list_is_a_502() -> None:
    async with chat_app(httpx.MockTransport(lambda r: httpx.Response(200, json={}))) as client:
        response = await client.post("/api/chat", json={"text": "xin chào"})
    assert response.status_code == 502
    assert "sự cố" in response.json()["detail"]


def answering(body: dict[str, Any]) -> list[dict[str, Any]]:
    sender = body["sender"]
    return [
        {"recipient_id": sender, "text": "Học sinh lớp 1 được miễn học phí."},
        {
            "recipient_id": sender,
            "custom": {
                "kind": "answer_meta",
                "answered": True,
                "confidence": 0.9,
                "sources": [{"doc_id": "kh-1", "title": "Kế hoạch", "url": "https://x.vn"}],
            },
        },
        {"recipient_id": sender, "text": "Có hữu ích không?", "buttons": [
            {"title": "👍 Hữu ích", "payload": "/rate_answer_good"}]},
    ]


async def test_answers_carry_their_sources_and_every_turn_is_logged_privately() -> None:
    rasa = FakeRasa(answering)
    writer = RecordingWriter()
    async with chat_app(httpx.ASGITransport(app=rasa), writer) as client:
        response = await client.post(
            "/api/chat",
            json={"text": "học phí lớp 1, gọi tôi 0912 345 678", "id": "client-msg-0001"},
        )
    assert response.status_code == 200
    answer, helpful = response.json()["messages"]
    assert answer["meta"]["sources"][0]["url"] == "https://x.vn"
    assert helpful["quick_replies"] == [{"title": "👍 Hữu ích", "payload": "/rate_answer_good"}]

    assert len(writer.rows) == 1
    row = writer.rows[0]
    session_id = rasa.senders[0].removeprefix("web:")
    assert row["user_hash"] == hash_user_id(session_id, SALT)
    assert session_id not in json.dumps(row)
    assert "0912" not in row["text"] and "[số điện thoại]" in row["text"]
    assert row["channel"] == "web"
    assert row["message_id"] == scoped_message_id("client-msg-0001", session_id)
    assert row["answered"] is True and row["confidence"] == 0.9
    assert row["sources"] == [{"doc_id": "kh-1", "title": "Kế hoạch", "url": "https://x.vn"}]
    assert row["reply"] == "Học sinh lớp 1 được miễn học phí.\n\nCó hữu ích không?"
    assert row["latency_ms"] >= 0


async def test_https_deployments_get_a_secure_cookie() -> None:
    async with chat_app(
        httpx.ASGITransport(app=FakeRasa()), public_base_url="https://chat.truong.edu.vn"
    ) as client:
        response = await client.get("/")
    assert "secure" in set_cookie_header(response).lower()
