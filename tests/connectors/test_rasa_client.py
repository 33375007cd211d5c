"""RasaClient against a fake REST channel (httpx.MockTransport): request shape, reply parsing,
answer metadata merging, and the errors that tell the app Rasa is down."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from connectors.errors import RasaError, RasaUnavailable
from connectors.messages import OutgoingMessage, QuickReply
from connectors.rasa_client import RasaClient, parse_rest_output

BASE = "http://rasa.test"
Handler = Callable[[httpx.Request], httpx.Response]


def client_for(handler: Handler, timeout: float = 5.0) -> tuple[RasaClient, httpx.AsyncClient]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return RasaClient(BASE + "/", http, timeout), http


ANSWER_TURN = [
    {"recipient_id": "web:abc", "text": "Học phí lớp 1 được miễn.\nNguồn: Kế hoạch 12/KH-UBND"},
    {
        "recipient_id": "web:abc",
        "custom": {
            "kind": "answer_meta",
            "answered": True,
            "confidence": 0.82,
            "sources": [{"doc_id": "kh-12", "title": "Kế hoạch tuyển sinh", "url": "https://x.vn/a"}],
        },
    },
    {
        "recipient_id": "web:abc",
        "text": "Câu trả lời có giúp ích cho bạn không?",
        "buttons": [
            {"title": "👍 Hữu ích", "payload": "/rate_answer_good"},
            {"title": "👎 Chưa đúng ý", "payload": "/rate_answer_bad"},
        ],
    },
]


async def test_send_posts_sender_and_message_to_the_rest_webhook() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[{"recipient_id": "web:abc", "text": "Xin chào!"}])

    rasa, http = client_for(handler)
    async with http:
        replies = await rasa.send("web:abc", "chào bạn")

    assert [str(r.url) for r in seen] == [BASE + "/webhooks/rest/webhook"]
    assert seen[0].method == "POST"
    assert json.loads(seen[0].content) == {"sender": "web:abc", "message": "chào bạn"}
    assert replies == [OutgoingMessage(text="Xin chào!")]


async def test_answer_meta_is_merged_into_the_preceding_text_and_buttons_kept() -> None:
    rasa, http = client_for(lambda request: httpx.Response(200, json=ANSWER_TURN))
    async with http:
        replies = await rasa.send("web:abc", "học phí lớp 1")

    assert len(replies) == 2
    answer, ask_helpful = replies
    assert answer.text.startswith("Học phí lớp 1")
    assert answer.meta == {
        "answered": True,
        "confidence": 0.82,
        "sources": [{"doc_id": "kh-12", "title": "Kế hoạch tuyển sinh", "url": "https://x.vn/a"}],
    }
    assert answer.quick_replies == []
    assert ask_helpful.meta == {}
    assert ask_helpful.quick_replies == [
        QuickReply("👍 Hữu ích", "/rate_answer_good"),
        QuickReply("👎 Chưa đúng ý", "/rate_answer_bad"),
    ]
    assert ask_helpful.to_json()["quick_replies"][0] == {
        "title": "👍 Hữu ích",
        "payload": "/rate_answer_good",
    }


def test_parse_keeps_meta_that_arrives_before_any_text_for_the_next_text() -> None:
    replies = parse_rest_output(
        [{"custom": {"kind": "answer_meta", "answered": False}}, {"text": "Chưa có thông tin."}]
    )
    assert replies == [OutgoingMessage(text="Chưa có thông tin.", meta={"answered": False})]


def test_an_answer_split_at_blank_lines_by_rasa_is_joined_back_before_its_meta() -> None:
    replies = parse_rest_output(
        [
            {"text": "Anh/chị muốn góp ý gì?", "buttons": [{"title": "Hủy", "payload": "/cancel"}]},
            {"text": "Học sinh được miễn học phí."},
            {"text": "Nguồn: Thông báo 35/TB-THHA\nhttps://x.vn/tb-35"},
            {"custom": {"kind": "answer_meta", "answered": True}},
            {
                "text": "Có hữu ích không?",
                "buttons": [{"title": "👍", "payload": "/rate_answer_good"}],
            },
        ]
    )
    assert [m.text for m in replies] == [
        "Anh/chị muốn góp ý gì?",
        "Học sinh được miễn học phí.\n\nNguồn: Thông báo 35/TB-THHA\nhttps://x.vn/tb-35",
        "Có hữu ích không?",
    ]
    assert [m.meta for m in replies] == [{}, {"answered": True}, {}]
    assert replies[0].quick_replies == [QuickReply("Hủy", "/cancel")]


def test_parse_drops_other_custom_payloads_images_and_junk() -> None:
    replies = parse_rest_output(
        [
            {"text": "Một"},
            {"custom": {"kind": "something_else", "x": 1}},
            {"image": "https://x.vn/a.png"},
            "not a dict",
            {"text": "Hai", "buttons": [{"title": "", "payload": "/x"}, {"payload": "/y"}, "z"]},
        ]
    )
    assert replies == [OutgoingMessage(text="Một"), OutgoingMessage(text="Hai")]


def test_parse_accepts_text_and_custom_in_one_element_and_quick_replies_key() -> None:
    replies = parse_rest_output(
        [
            {
                "text": "Đây là câu trả lời.",
                "custom": {"kind": "answer_meta", "answered": True, "confidence": 0.7},
                "quick_replies": [{"title": "Có", "payload": "/affirm"}],
            }
        ]
    )
    assert replies == [
        OutgoingMessage(
            text="Đây là câu trả lời.",
            quick_replies=[QuickReply("Có", "/affirm")],
            meta={"answered": True, "confidence": 0.7},
        )
    ]


def test_parse_of_an_empty_turn_is_empty() -> None:
    assert parse_rest_output([]) == []


async def test_connection_refused_raises_rasa_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    rasa, http = client_for(handler)
    async with http:
        with pytest.raises(RasaUnavailable, match="cannot be reached"):
            await rasa.send("web:abc", "xin chào")


async def test_timeout_raises_rasa_unavailable_naming_the_timeout() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    rasa, http = client_for(handler, timeout=12.5)
    async with http:
        with pytest.raises(RasaUnavailable, match="12.5 s"):
            await rasa.send("web:abc", "xin chào")


async def test_server_error_is_unavailable_but_client_error_is_a_plain_rasa_error() -> None:
    rasa, http = client_for(lambda request: httpx.Response(500, text="boom"))
    async with http:
        with pytest.raises(RasaUnavailable, match="HTTP 500"):
            await rasa.send("web:abc", "xin chào")

    rasa, http = client_for(lambda request: httpx.Response(404, text="no such channel"))
    async with http:
        with pytest.raises(RasaError, match="HTTP 404") as caught:
            await rasa.send("web:abc", "xin chào")
    assert not isinstance(caught.value, RasaUnavailable)


@pytest.mark.parametrize(
    "response",
    [httpx.Response(200, text="<html>"), httpx.Response(200, json={"text": "not a list"})],
)
async def test_a_body_that_is_not_a_list_of_messages_is_a_rasa_error(
    response: httpx.Response,
) -> None:
    rasa, http = client_for(lambda request: response)
    async with http:
        with pytest.raises(RasaError):
            await rasa.send("web:abc", "xin chào")


async def test_status_returns_the_loaded_model_or_raises_when_not_ready() -> None:
    body = {"model_file": "edubot-abc.tar.gz", "model_id": "x", "num_active_training_jobs": 0}

    def ready(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/status"
        return httpx.Response(200, json=body)

    rasa, http = client_for(ready)
    async with http:
        assert await rasa.status() == body

    rasa, http = client_for(lambda request: httpx.Response(409, json={"reason": "NoAgent"}))
    async with http:
        with pytest.raises(RasaUnavailable, match="409"):
            await rasa.status()


async def test_status_sends_the_api_token_and_the_webhook_does_not_need_it() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/status":
            return httpx.Response(200, json={"model_file": "m.tar.gz"})
        return httpx.Response(200, json=[])

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    rasa = RasaClient(BASE, http, 5.0, token="s3cret")
    async with http:
        await rasa.status()
        await rasa.send("web:abc", "xin chào")
    assert [str(r.url) for r in seen] == [BASE + "/status?token=s3cret", BASE + "/webhooks/rest/webhook"]

