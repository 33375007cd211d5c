"""Outbound: NFC + 2,000-char sentence split, reply window, retries by error kind, dead letters."""

from __future__ import annotations

import json
import time
import unicodedata

from fakes.builders import messenger_settings, zalo_settings
from fakes.graph_api import graph_error

from connectors.messages import OutgoingMessage, QuickReply
from connectors.outbound import DEADLETTER_STREAM, Outbound, pieces, split_text
from connectors.platforms.messenger import MessengerSender
from connectors.platforms.zalo import ZaloSender
from connectors.zalo_tokens import REFRESH_KEY, ZaloTokens

SENTENCE = "Học sinh lớp 1 được miễn học phí theo quy định hiện hành của nhà nước. "  # 72 chars


def test_short_text_is_one_nfc_piece() -> None:
    nfd = unicodedata.normalize("NFD", "Học phí")
    assert split_text(nfd) == ["Học phí"]
    assert split_text("   ") == []


def test_5000_chars_become_three_pieces_cut_at_sentence_ends() -> None:
    text = (SENTENCE * 70)[:5000]
    parts = split_text(text)
    assert len(parts) == 3
    assert all(len(p) <= 2000 for p in parts)
    assert all(p.endswith(".") for p in parts[:-1])
    assert " ".join(parts) == text.strip()


def test_decimal_points_are_not_sentence_ends() -> None:
    text = ("Mức thu là 1.500.000 đồng mỗi tháng. " * 60).strip()
    parts = split_text(text, limit=200)
    assert all("1.500.000 đồng" in p for p in parts)
    assert all(len(p) <= 200 for p in parts)


def test_a_sentence_longer_than_a_piece_is_cut_between_words() -> None:
    words = " ".join(["trường"] * 800)  # one 5,599-char "sentence"
    parts = split_text(words)
    assert len(parts) == 3 and all(len(p) <= 2000 for p in parts)
    assert all(not p.startswith(" ") and p.split()[0] == "trường" for p in parts)
    assert split_text("x" * 4500) == ["x" * 2000, "x" * 2000, "x" * 500]


def test_quick_replies_ride_on_the_last_piece() -> None:
    reply = OutgoingMessage(SENTENCE * 40, quick_replies=[QuickReply("Có", "yes")])
    out = pieces([reply, OutgoingMessage("")])
    assert len(out) == 2
    assert out[0].quick_replies == [] and out[1].quick_replies == [QuickReply("Có", "yes")]


async def _no_sleep(_: float) -> None:
    return None


def _outbound(redis, senders, **kwargs) -> Outbound:
    return Outbound(redis, {s.channel: s for s in senders}, sleep=_no_sleep, **kwargs)


async def test_zalo_token_error_refreshes_once_and_resends(fake_zalo, redis, http) -> None:
    settings = zalo_settings(fake_zalo.server.url)
    tokens = ZaloTokens(redis, http, settings)
    outbound = _outbound(redis, [ZaloSender(http, settings, tokens)])
    await outbound.note_inbound("zalo", "zu1")
    fake_zalo.access_token = "AT-valid-elsewhere"  # the stored AT-0 is now rejected (-216)
    fake_zalo.refresh_token = "RT-0"
    delivery = await outbound.send("zalo", "zu1", OutgoingMessage("Chào bạn"))
    assert delivery.status == "sent"
    assert [s["headers"]["access_token"] for s in fake_zalo.sends] == ["AT-0", "AT-1"]
    assert len(fake_zalo.refreshes) == 1
    assert await redis.get(REFRESH_KEY) == b"RT-1"


async def test_token_still_rejected_after_refresh_is_not_retried_again(fake_zalo, redis,
                                                                       http) -> None:
    settings = zalo_settings(fake_zalo.server.url)
    outbound = _outbound(redis, [ZaloSender(http, settings, ZaloTokens(redis, http, settings))])
    await outbound.note_inbound("zalo", "zu1")
    fake_zalo.reject_every_token = True
    delivery = await outbound.send("zalo", "zu1", OutgoingMessage("Chào bạn"))
    assert delivery.status == "failed"
    assert len(fake_zalo.sends) == 2 and len(fake_zalo.refreshes) == 1
    assert await redis.xlen(DEADLETTER_STREAM) == 1


async def test_zalo_window_error_is_not_retried_and_is_undelivered(fake_zalo, redis,
                                                                   http) -> None:
    settings = zalo_settings(fake_zalo.server.url)
    outbound = _outbound(redis, [ZaloSender(http, settings, ZaloTokens(redis, http, settings))])
    await outbound.note_inbound("zalo", "zu1")
    fake_zalo.script.append({"error": -230, "message": "no interaction in 7 days"})
    delivery = await outbound.send("zalo", "zu1", OutgoingMessage("Chào bạn"))
    assert (delivery.status, delivery.code) == ("undelivered", -230)
    assert len(fake_zalo.sends) == 1
    assert await redis.xlen(DEADLETTER_STREAM) == 0


async def test_messenger_551_is_undelivered_without_retry(fake_graph, redis, http) -> None:
    outbound = _outbound(redis, [MessengerSender(http, messenger_settings(fake_graph.server.url))])
    await outbound.note_inbound("messenger", "psid")
    fake_graph.script.append(graph_error(551))
    delivery = await outbound.send("messenger", "psid", OutgoingMessage("Chào bạn"))
    assert (delivery.status, delivery.code) == ("undelivered", 551)
    assert len(fake_graph.requests) == 1


async def test_rate_limit_and_5xx_are_retried_with_backoff(fake_graph, redis, http) -> None:
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    sender = MessengerSender(http, messenger_settings(fake_graph.server.url))
    outbound = Outbound(redis, {"messenger": sender}, sleep=sleep, backoff_s=1.0)
    await outbound.note_inbound("messenger", "psid")
    fake_graph.script += [graph_error(613), (500, {"error": {"code": 2, "message": "x"}})]
    delivery = await outbound.send("messenger", "psid", OutgoingMessage("Chào bạn"))
    assert delivery.status == "sent" and len(fake_graph.requests) == 3
    assert len(delays) == 2 and 2.0 <= delays[0] <= 4.0 and 1.0 <= delays[1] <= 2.0


async def test_transient_errors_end_in_the_dead_letter_stream(fake_graph, redis, http) -> None:
    outbound = _outbound(redis, [MessengerSender(http, messenger_settings(fake_graph.server.url))],
                         attempts=3)
    await outbound.note_inbound("messenger", "psid")
    fake_graph.script += [(503, {})] * 5
    delivery = await outbound.send("messenger", "psid", OutgoingMessage("Câu trả lời"),
                                   message_id="mid7", user_hash="h1")
    assert delivery.status == "failed" and len(fake_graph.requests) == 3
    ((_, fields),) = await redis.xrange(DEADLETTER_STREAM)
    record = json.loads(fields[b"data"])
    assert record["message_id"] == "mid7" and record["kind"] == "transient"
    assert record["user_hash"] == "h1" and record["text"] == "Câu trả lời"


async def test_nothing_is_sent_outside_the_window(fake_graph, redis, http) -> None:
    outbound = _outbound(redis, [MessengerSender(http, messenger_settings(fake_graph.server.url))])
    long_ago_ms = int((time.time() - 25 * 3600) * 1000)
    await outbound.note_inbound("messenger", "psid", long_ago_ms)
    delivery = await outbound.send("messenger", "psid", OutgoingMessage("Chào bạn"))
    assert (delivery.status, delivery.code) == ("undelivered", "window")
    assert fake_graph.requests == []
    await outbound.note_inbound("messenger", "psid")  # the user wrote again
    assert (await outbound.send("messenger", "psid", OutgoingMessage("Chào"))).status == "sent"


async def test_unknown_user_has_no_window(fake_graph, redis, http) -> None:
    outbound = _outbound(redis, [MessengerSender(http, messenger_settings(fake_graph.server.url))])
    delivery = await outbound.send("messenger", "never-wrote", OutgoingMessage("Chào"))
    assert delivery.status == "undelivered" and fake_graph.requests == []
