"""Zalo OA: the mac signature (both first-term variants), event parsing, the cs send call."""

from __future__ import annotations

import json

import pytest
from fakes.builders import ZALO_APP_ID, ZALO_OA_ID, zalo_body, zalo_headers, zalo_settings

from connectors.messages import OutgoingMessage, QuickReply
from connectors.platforms import zalo
from connectors.platforms.errors import SendError
from connectors.zalo_tokens import ZaloTokens


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def test_signature_is_plain_sha256_of_the_four_terms() -> None:
    import hashlib

    body = b'{"timestamp":"1"}'
    expected = hashlib.sha256(b"A" + body + b"1" + b"S").hexdigest()
    assert zalo.signature("A", body, "1", "S") == expected


def test_valid_mac_with_app_id_is_accepted() -> None:
    body = zalo_body()
    assert zalo.verify(body, _lower(zalo_headers(body)), zalo_settings())


@pytest.mark.parametrize("configured_oa_id", [ZALO_OA_ID, ""])
def test_valid_mac_with_oa_id_is_accepted(configured_oa_id: str) -> None:
    """The OA-id variant: from settings, or from the body (recipient.id) when not set."""
    settings = zalo_settings(signature_first_term="oa_id", oa_id=configured_oa_id)
    body = zalo_body()
    assert zalo.verify(body, _lower(zalo_headers(body, term=ZALO_OA_ID)), settings)
    assert not zalo.verify(body, _lower(zalo_headers(body, term=ZALO_APP_ID)), settings)


def test_tampered_body_is_rejected() -> None:
    body = zalo_body(text="Học phí lớp 1?")
    headers = _lower(zalo_headers(body))
    tampered = body.replace("lớp 1".encode(), "lớp 2".encode())
    assert not zalo.verify(tampered, headers, zalo_settings())


def test_tampered_timestamp_is_rejected() -> None:
    body = zalo_body(timestamp=1700000000000)
    headers = _lower(zalo_headers(body))
    moved = body.replace(b"1700000000000", b"1700000000001")
    assert not zalo.verify(moved, headers, zalo_settings())


@pytest.mark.parametrize("header", ["", "mac=", "mac=abc", "sha256=abc"])
def test_missing_or_wrong_mac_is_rejected(header: str) -> None:
    body = zalo_body()
    headers = {"x-zevent-signature": header} if header else {}
    assert not zalo.verify(body, headers, zalo_settings())


def test_wrong_secret_is_rejected() -> None:
    body = zalo_body()
    assert not zalo.verify(body, _lower(zalo_headers(body, secret="x")), zalo_settings())


def test_text_event() -> None:
    (message,) = zalo.parse(json.loads(zalo_body(user="u9", mid="mid9", text="xin chào",
                                                 timestamp=1700000000123)))
    assert (message.channel, message.user_id, message.message_id) == ("zalo", "u9", "mid9")
    assert (message.text, message.kind, message.timestamp_ms) == ("xin chào", "text",
                                                                  1700000000123)


@pytest.mark.parametrize("event", ["user_send_image", "user_send_sticker", "user_send_file"])
def test_media_events_are_unsupported_messages(event: str) -> None:
    (message,) = zalo.parse(json.loads(zalo_body(event, mid="img1")))
    assert message.kind == "unsupported" and message.message_id == "img1"


@pytest.mark.parametrize("event", ["follow", "unfollow"])
def test_follow_events(event: str) -> None:
    payload = {"app_id": ZALO_APP_ID, "event_name": event, "timestamp": "1700000000000",
               "oa_id": ZALO_OA_ID, "follower": {"id": "fan1"}, "source": "oa_profile"}
    (message,) = zalo.parse(payload)
    assert (message.kind, message.user_id) == (event, "fan1")
    assert message.message_id == f"{event}:fan1:1700000000000"


@pytest.mark.parametrize("event", ["oa_send_text", "user_received_message",
                                   "user_seen_message", "anonymous_send_text"])
def test_echoes_and_receipts_are_ignored(event: str) -> None:
    assert zalo.parse(json.loads(zalo_body(event))) == []


def test_not_an_event_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        zalo.parse({"hello": 1})


@pytest.mark.parametrize(
    ("body", "kind"),
    [({"error": -216}, "token"), ({"error": -220}, "token"), ({"error": -32}, "rate_limit"),
     ({"error": -230}, "window"), ({"error": -232}, "window"), ({"error": -213}, "recipient"),
     ({"error": -227}, "recipient"), ({"error": -201}, "permanent"),
     ({"error": -240}, "permanent")],
)
def test_error_classification(body: dict[str, int], kind: str) -> None:
    error = zalo.classify(200, body)
    assert error is not None and error.kind == kind


def test_success_and_server_errors() -> None:
    assert zalo.classify(200, {"error": 0, "data": {"message_id": "x"}}) is None
    error = zalo.classify(503, None)
    assert error is not None and error.kind == "transient"


async def test_reply_goes_to_message_cs_with_the_bare_token(fake_zalo, http, redis) -> None:
    settings = zalo_settings(fake_zalo.server.url)
    sender = zalo.ZaloSender(http, settings, ZaloTokens(redis, http, settings))
    reply = OutgoingMessage("Học phí là 0 đồng.", quick_replies=[QuickReply("Tuyển sinh", "ts")])
    assert await sender.send("zu1", reply) == "z1"
    (call,) = fake_zalo.sends
    assert call["headers"]["access_token"] == "AT-0"
    assert "authorization" not in call["headers"]
    assert call["json"] == {"recipient": {"user_id": "zu1"},
                            "message": {"text": "Học phí là 0 đồng.\n\n• Tuyển sinh"}}


async def test_window_error_is_raised_with_its_code(fake_zalo, http, redis) -> None:
    fake_zalo.script.append({"error": -230, "message": "User has not interacted in 7 days"})
    settings = zalo_settings(fake_zalo.server.url)
    sender = zalo.ZaloSender(http, settings, ZaloTokens(redis, http, settings))
    with pytest.raises(SendError) as caught:
        await sender.send("zu1", OutgoingMessage("Chào bạn"))
    assert (caught.value.kind, caught.value.code) == ("window", -230)


def test_half_configured_zalo_fails_at_start_up_and_empty_is_disabled() -> None:
    from connectors.platform_settings import ZaloSettings

    with pytest.raises(ValueError, match="ZALO_REFRESH_TOKEN"):
        zalo_settings(refresh_token="")
    empty = ZaloSettings(_env_file=None, app_id="", oa_secret_key="", app_secret="",
                         access_token="", refresh_token="")
    assert empty.enabled is False and zalo_settings().enabled is True
