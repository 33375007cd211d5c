"""Messenger: signature on raw bytes, batch parsing, event filtering, Send API calls."""

from __future__ import annotations

import json

import pytest
from fakes.builders import (
    APP_SECRET,
    PAGE_TOKEN,
    VERIFY_TOKEN,
    messenger_body,
    messenger_headers,
    messenger_settings,
    text_event,
)
from fakes.graph_api import graph_error

from connectors.messages import OutgoingMessage, QuickReply
from connectors.platforms import messenger
from connectors.platforms.errors import SendError


def test_signature_over_raw_bytes_with_escaped_vietnamese() -> None:
    body = messenger_body([text_event("u1", "m1", "Học phí lớp 1 bao nhiêu?")])
    assert b"\\u1ecd" in body  # Graph escapes non-ASCII; re-serialising would not match
    headers = {k.lower(): v for k, v in messenger_headers(body).items()}
    assert messenger.verify(body, headers, APP_SECRET)
    reserialised = json.dumps(json.loads(body), ensure_ascii=False).encode("utf-8")
    assert not messenger.verify(reserialised, headers, APP_SECRET)


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-hub-signature-256": ""}, {"x-hub-signature-256": "sha256=00"},
     {"x-hub-signature": "sha1=abc"}],
)
def test_missing_or_wrong_signature_is_refused(headers: dict[str, str]) -> None:
    body = messenger_body([text_event("u1", "m1", "xin chào")])
    assert not messenger.verify(body, headers, APP_SECRET)


def test_signature_with_another_secret_is_refused() -> None:
    body = messenger_body([text_event("u1", "m1", "xin chào")])
    headers = {k.lower(): v for k, v in messenger_headers(body, "other").items()}
    assert not messenger.verify(body, headers, APP_SECRET)


def test_subscription_check_answers_only_the_configured_token() -> None:
    good = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"}
    assert messenger.verify_subscription(good, VERIFY_TOKEN) == "42"
    assert messenger.verify_subscription({**good, "hub.verify_token": "x"}, VERIFY_TOKEN) is None
    assert messenger.verify_subscription({**good, "hub.mode": "other"}, VERIFY_TOKEN) is None


def test_batch_of_two_entries_with_two_events_each_keeps_order() -> None:
    body = messenger_body(
        [text_event("u1", "m1", "một"), text_event("u2", "m2", "hai")],
        [text_event("u1", "m3", "ba"), text_event("u3", "m4", "bốn")],
    )
    messages = messenger.parse(json.loads(body))
    assert [(m.user_id, m.message_id, m.text) for m in messages] == [
        ("u1", "m1", "một"), ("u2", "m2", "hai"), ("u1", "m3", "ba"), ("u3", "m4", "bốn")]
    assert all(m.channel == "messenger" and m.kind == "text" for m in messages)


def test_echo_delivery_and_read_are_not_user_messages() -> None:
    base = {"sender": {"id": "u1"}, "recipient": {"id": "PAGE"}, "timestamp": 1}
    events = [
        {**base, "message": {"mid": "e1", "text": "bot said", "is_echo": True}},
        {**base, "delivery": {"mids": ["m1"], "watermark": 1}},
        {**base, "read": {"watermark": 1}},
    ]
    assert messenger.parse(json.loads(messenger_body(events))) == []


def test_quick_reply_payload_is_preferred_over_its_title() -> None:
    body = messenger_body([text_event("u1", "m1", "Học phí", quick="/ask_fee")])
    (message,) = messenger.parse(json.loads(body))
    assert message.payload == "/ask_fee" and message.rasa_text == "/ask_fee"


def test_postback_and_attachment() -> None:
    base = {"sender": {"id": "u1"}, "recipient": {"id": "PAGE"}, "timestamp": 5}
    events = [
        {**base, "postback": {"mid": "p1", "title": "Bắt đầu", "payload": "GET_STARTED"}},
        {**base, "message": {"mid": "a1", "attachments": [{"type": "image"}]}},
    ]
    postback, image = messenger.parse(json.loads(messenger_body(events)))
    assert (postback.message_id, postback.rasa_text) == ("p1", "GET_STARTED")
    assert (image.message_id, image.kind) == ("a1", "unsupported")


@pytest.mark.parametrize("payload", [{"object": "user"}, [], "x"])
def test_not_a_page_webhook_is_a_value_error(payload: object) -> None:
    with pytest.raises(ValueError):
        messenger.parse(payload)


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [(400, graph_error(190)[1], "token"), (400, graph_error(613)[1], "rate_limit"),
     (400, graph_error(551)[1], "recipient"), (400, graph_error(10, 2018278)[1], "window"),
     (400, graph_error(100)[1], "permanent"), (500, graph_error(2)[1], "transient"),
     (502, None, "transient")],
)
def test_error_classification(status: int, body: object, kind: str) -> None:
    error = messenger.classify(status, body)
    assert error is not None and error.kind == kind


def test_success_is_not_an_error() -> None:
    assert messenger.classify(200, {"recipient_id": "u", "message_id": "m"}) is None


async def test_send_posts_the_send_api_body(fake_graph, http) -> None:
    sender = messenger.MessengerSender(http, messenger_settings(fake_graph.server.url))
    replies = [QuickReply(f"Lựa chọn số {i} rất dài", f"P{i}") for i in range(15)]
    message_id = await sender.send("PSID1", OutgoingMessage("Chào bạn", quick_replies=replies))
    assert message_id == "m_1"
    (request,) = fake_graph.requests
    assert request["version"] == "v21.0" and request["params"] == {"access_token": PAGE_TOKEN}
    body = request["json"]
    assert body["recipient"] == {"id": "PSID1"} and body["messaging_type"] == "RESPONSE"
    assert body["message"]["text"] == "Chào bạn"
    quick = body["message"]["quick_replies"]
    assert len(quick) == 13 and all(len(q["title"]) <= 20 for q in quick)
    assert quick[0] == {"content_type": "text", "title": "Lựa chọn số 0 rất dà", "payload": "P0"}


async def test_send_raises_the_classified_error(fake_graph, http) -> None:
    fake_graph.script.append(graph_error(551))
    sender = messenger.MessengerSender(http, messenger_settings(fake_graph.server.url))
    with pytest.raises(SendError) as caught:
        await sender.send("PSID1", OutgoingMessage("Chào"))
    assert caught.value.kind == "recipient" and caught.value.code == 551


async def test_slow_graph_is_a_transient_timeout(fake_graph, http) -> None:
    fake_graph.delay_s = 2.0
    settings = messenger_settings(fake_graph.server.url, timeout_s=0.2)
    with pytest.raises(SendError) as caught:
        await messenger.MessengerSender(http, settings).send("PSID1", OutgoingMessage("Chào"))
    assert (caught.value.kind, caught.value.code) == ("transient", "timeout")


def test_half_configured_channel_fails_at_start_up() -> None:
    with pytest.raises(ValueError, match="MESSENGER_PAGE_ACCESS_TOKEN"):
        messenger_settings(page_access_token="")
