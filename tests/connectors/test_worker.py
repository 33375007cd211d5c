"""The worker end to end: webhook → queue → fake Rasa → fake platform, and what gets recorded."""

from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio
from fakes.builders import (
    MemoryRecords,
    eventually,
    make_runtime,
    messenger_body,
    messenger_headers,
    text_event,
    webhook_client,
    zalo_body,
    zalo_headers,
)

from connectors.platforms import texts
from connectors.platforms.records import SqlRecords

SENTENCE = "Theo kế hoạch tuyển sinh, trẻ sáu tuổi được vào lớp 1 tại trường đúng tuyến. "


@pytest_asyncio.fixture(loop_scope="function")
async def stack(redis, http, fake_graph, fake_zalo, fake_rasa):
    """A running platform path (one worker) with in-memory records."""
    records = MemoryRecords()
    rt = make_runtime(redis, http, rasa_url=fake_rasa.server.url,
                      graph_url=fake_graph.server.url, zalo_url=fake_zalo.server.url,
                      records=records)
    await rt.start()
    yield rt
    await rt.stop()


async def _post_messenger(rt, *entries) -> None:
    body = messenger_body(*entries)
    async with webhook_client(rt) as client:
        response = await client.post("/webhooks/messenger", content=body,
                                     headers=messenger_headers(body))
    assert response.status_code == 200


async def _post_zalo(rt, body: bytes) -> None:
    async with webhook_client(rt) as client:
        response = await client.post("/webhooks/zalo", content=body, headers=zalo_headers(body))
    assert response.status_code == 200


async def _idle(rt) -> None:
    """Wait until every queued entry was processed and acknowledged."""
    await eventually(lambda: _all_done(rt))


async def _all_done(rt) -> bool:
    total = await rt.queue.pending_count()
    for partition in range(rt.queue.partitions):
        total += await rt.redis.xlen(rt.queue.stream(partition))
    return total == 0


async def test_batch_of_two_entries_times_two_events_gives_four_replies_in_order(
    redis, http, fake_graph, fake_rasa
) -> None:
    rt = make_runtime(redis, http, rasa_url=fake_rasa.server.url,
                      graph_url=fake_graph.server.url, partitions=1)
    await rt.start()
    try:
        await _post_messenger(
            rt, [text_event("u1", "m1", "một"), text_event("u2", "m2", "hai")],
            [text_event("u1", "m3", "ba"), text_event("u2", "m4", "bốn")])
        await eventually(lambda: len(fake_graph.requests) == 4)
    finally:
        await rt.stop()
    sent = [(r["json"]["recipient"]["id"], r["json"]["message"]["text"])
            for r in fake_graph.requests]
    assert sent == [("u1", "Trả lời: một"), ("u2", "Trả lời: hai"), ("u1", "Trả lời: ba"),
                    ("u2", "Trả lời: bốn")]
    assert [m["sender"] for m in fake_rasa.received] == ["messenger:u1", "messenger:u2"] * 2


async def test_each_users_order_is_kept_across_partitions(stack, fake_graph) -> None:
    events = [text_event(f"u{i % 3}", f"m{i}", f"câu {i}") for i in range(12)]
    await _post_messenger(stack, events)
    await eventually(lambda: len(fake_graph.requests) == 12)
    for user in ("u0", "u1", "u2"):
        got = [r["json"]["message"]["text"] for r in fake_graph.requests
               if r["json"]["recipient"]["id"] == user]
        want = [f"Trả lời: câu {i}" for i in range(12) if f"u{i % 3}" == user]
        assert got == want


async def test_same_mid_five_times_gives_one_reply(stack, fake_graph, fake_rasa) -> None:
    for _ in range(5):
        await _post_messenger(stack, [text_event("u1", "m-same", "xin chào")])
    await eventually(lambda: len(fake_graph.requests) >= 1)
    await _idle(stack)
    assert len(fake_rasa.received) == 1 and len(fake_graph.requests) == 1


async def test_quick_reply_payload_reaches_rasa_as_the_choice(stack, fake_rasa) -> None:
    await _post_messenger(stack, [text_event("u1", "m1", "Học phí", quick="/ask_fee")])
    await eventually(lambda: len(fake_rasa.received) == 1)
    assert fake_rasa.received[0] == {"sender": "messenger:u1", "message": "/ask_fee"}


async def test_long_answer_is_sent_as_three_pieces(stack, fake_rasa, fake_graph) -> None:
    long_answer = (SENTENCE * 70)[:5000]
    fake_rasa.reply = lambda sender, message: [
        {"text": long_answer, "buttons": [{"title": "Hỏi tiếp", "payload": "/more"}]}]
    await _post_messenger(stack, [text_event("u1", "m1", "tuyển sinh lớp 1")])
    await eventually(lambda: len(fake_graph.requests) == 3)
    await _idle(stack)
    pieces = fake_graph.texts
    assert len(pieces) == 3 and all(len(p) <= 2000 for p in pieces)
    assert " ".join(pieces) == long_answer.strip()
    quick = [r["json"]["message"].get("quick_replies") for r in fake_graph.requests]
    assert quick[:2] == [None, None] and quick[2][0]["payload"] == "/more"


async def test_zalo_image_gets_the_text_only_reply_without_rasa(stack, fake_zalo,
                                                               fake_rasa) -> None:
    await _post_zalo(stack, zalo_body("user_send_image", user="zu1", mid="img-1"))
    await eventually(lambda: len(fake_zalo.sends) == 1)
    await _idle(stack)
    assert fake_zalo.texts == [texts.UNSUPPORTED] and fake_rasa.received == []
    assert fake_zalo.sends[0]["json"]["recipient"] == {"user_id": "zu1"}
    (message, _, delivery), = stack.records.turns
    assert (message.kind, delivery) == ("unsupported", "sent")


async def test_zalo_follow_gets_the_welcome_menu(stack, fake_zalo, fake_rasa) -> None:
    payload = zalo_body("follow", follower={"id": "fan1"}, oa_id="998877")
    await _post_zalo(stack, payload)
    await eventually(lambda: len(fake_zalo.sends) == 1)
    text = fake_zalo.texts[0]
    assert text.startswith(texts.WELCOME) and "• Học phí" in text
    assert fake_rasa.received == []


async def test_flood_gets_one_notice_not_a_thousand_turns(redis, http, fake_graph,
                                                          fake_rasa) -> None:
    rt = make_runtime(redis, http, rasa_url=fake_rasa.server.url,
                      graph_url=fake_graph.server.url, rate_limit_per_minute=5)
    rt.worker.clock = lambda: 1_000_020.0  # one fixed minute
    await rt.start()
    try:
        await _post_messenger(rt, [text_event("spam", f"f{i}", f"tin {i}") for i in range(30)])
        await eventually(lambda: len(fake_graph.requests) == 6)
        await _idle(rt)
    finally:
        await rt.stop()
    assert len(fake_rasa.received) == 5
    assert fake_graph.texts.count(texts.FLOOD) == 1
    assert fake_graph.texts[:5] == [f"Trả lời: tin {i}" for i in range(5)]


async def test_zalo_window_error_is_recorded_undelivered(redis, http, fake_zalo, fake_rasa,
                                                        storage_dir) -> None:
    from storage.db import session_scope
    from storage.models import Turn

    rt = make_runtime(redis, http, rasa_url=fake_rasa.server.url, zalo_url=fake_zalo.server.url,
                      records=SqlRecords("salt"))
    fake_zalo.script.append({"error": -230, "message": "no interaction in 7 days"})
    await rt.start()
    try:
        await _post_zalo(rt, zalo_body(user="zu7", mid="late-1", text="Gọi cho tôi 0912345678"))
        await eventually(lambda: len(fake_zalo.sends) == 1)
        await _idle(rt)
    finally:
        await rt.stop()
    assert len(fake_zalo.sends) == 1  # no retry
    with session_scope() as session:
        (turn,) = session.query(Turn).all()
    assert (turn.channel, turn.message_id, turn.delivery) == ("zalo", "late-1", "undelivered")
    assert "0912345678" not in turn.text and turn.user_hash != "zu7"


async def test_unfollow_sends_nothing_and_deactivates_the_subscription(
    redis, http, fake_zalo, fake_rasa, storage_dir
) -> None:
    from storage.db import session_scope
    from storage.models import Subscription
    from storage.privacy import hash_user_id

    with session_scope() as session:
        session.add(Subscription(channel="zalo", user_hash=hash_user_id("fan2", "salt"),
                                 recipient="fan2", active=True))
    rt = make_runtime(redis, http, rasa_url=fake_rasa.server.url, zalo_url=fake_zalo.server.url,
                      records=SqlRecords("salt"))
    await rt.start()
    try:
        await _post_zalo(rt, zalo_body("unfollow", follower={"id": "fan2"}))
        await _idle(rt)
    finally:
        await rt.stop()
    assert fake_zalo.sends == [] and fake_rasa.received == []
    with session_scope() as session:
        (subscription,) = session.query(Subscription).all()
    assert subscription.active is False


async def test_rasa_down_then_back_loses_nothing(stack, fake_rasa, fake_graph) -> None:
    await fake_rasa.server.stop()  # connection refused from now on
    await _post_messenger(stack, [text_event("u1", "d1", "một"), text_event("u2", "d2", "hai"),
                                  text_event("u1", "d3", "ba")])
    await eventually(lambda: stack.queue.pending_count())  # the worker holds a message
    await asyncio.sleep(0.3)  # a few failed attempts
    assert fake_graph.requests == []
    await fake_rasa.server.start()
    await eventually(lambda: len(fake_graph.requests) == 3)
    await _idle(stack)
    by_user = {u: [r["json"]["message"]["text"] for r in fake_graph.requests
                   if r["json"]["recipient"]["id"] == u] for u in ("u1", "u2")}
    assert by_user == {"u1": ["Trả lời: một", "Trả lời: ba"], "u2": ["Trả lời: hai"]}


async def test_crashed_worker_message_is_finished_by_another_exactly_once(
    redis, http, fake_graph, fake_rasa
) -> None:
    first = make_runtime(redis, http, rasa_url=fake_rasa.server.url,
                         graph_url=fake_graph.server.url, consumer="worker-a")
    second = make_runtime(redis, http, rasa_url=fake_rasa.server.url,
                          graph_url=fake_graph.server.url, consumer="worker-b")
    fake_rasa.hold()
    await first.start()
    await _post_messenger(first, [text_event("u1", "m-crash", "Học phí?")])
    await eventually(lambda: len(fake_rasa.received) == 1)
    await first.stop()  # the worker dies while Rasa is thinking
    fake_rasa.release()
    assert fake_graph.requests == []
    await second.start()
    try:
        await eventually(lambda: len(fake_graph.requests) == 1)
        await _idle(second)
    finally:
        await second.stop()
    assert fake_graph.texts == ["Trả lời: Học phí?"]
    assert [m["message"] for m in fake_rasa.received] == ["Học phí?", "Học phí?"]


async def test_replies_stored_before_a_crash_are_not_asked_again(stack, fake_graph,
                                                                fake_rasa) -> None:
    """A message taken over after its replies were stored reuses them: no second Rasa turn."""
    from connectors.messages import IncomingMessage, OutgoingMessage
    from connectors.worker import STATE_PREFIX, _encode_replies

    message = IncomingMessage("messenger", "u5", "m-half", text="câu hỏi")
    await stack.outbound.note_inbound("messenger", "u5")
    key = f"{STATE_PREFIX}messenger:m-half"
    await stack.redis.hset(key, mapping={
        "replies": _encode_replies([OutgoingMessage("phần 1"), OutgoingMessage("phần 2")]),
        "outcome": "", "sent": "1"})
    await stack.queue.enqueue(message)
    await eventually(lambda: len(fake_graph.requests) == 1)
    await _idle(stack)
    assert fake_graph.texts == ["phần 2"] and fake_rasa.received == []


@pytest.mark.parametrize("kind", ["unsupported", "text"])
async def test_every_turn_is_recorded_with_its_delivery(stack, fake_graph, kind) -> None:
    if kind == "text":
        await _post_messenger(stack, [text_event("u1", "r1", "xin chào")])
    else:
        event = text_event("u1", "r1", "")
        event["message"] = {"mid": "r1", "attachments": [{"type": "image"}]}
        await _post_messenger(stack, [event])
    await eventually(lambda: len(stack.records.turns) == 1)
    (message, replies, delivery), = stack.records.turns
    assert message.kind == kind and delivery == "sent" and len(replies) == 1


async def test_worker_killed_with_sigkill_is_taken_over_via_xautoclaim(
    redis, redis_url, http, fake_graph, fake_rasa
) -> None:
    """A real crash: no clean-up runs, the lease expires, the pending entry is auto-claimed."""
    import signal
    import sys
    from pathlib import Path

    script = Path(__file__).parent / "fakes" / "worker_process.py"
    fake_rasa.hold()
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(script), redis_url, fake_rasa.server.url, fake_graph.server.url,
        "doomed", cwd=str(Path(__file__).resolve().parents[2]))
    survivor = make_runtime(redis, http, rasa_url=fake_rasa.server.url,
                            graph_url=fake_graph.server.url, consumer="survivor")
    try:
        await eventually(lambda: _both_leases_held(redis))
        await _post_messenger(survivor, [text_event("u1", "m-kill", "Học phí?")])
        await eventually(lambda: len(fake_rasa.received) == 1)
        process.send_signal(signal.SIGKILL)
        await process.wait()
        fake_rasa.release()
        await survivor.start()
        await eventually(lambda: len(fake_graph.requests) == 1)
        await _idle(survivor)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await survivor.stop()
    assert fake_graph.texts == ["Trả lời: Học phí?"]
    assert len(fake_rasa.received) == 2  # the dead worker's turn, then the survivor's


async def _both_leases_held(redis) -> bool:
    return await redis.exists("lease:inbound:0", "lease:inbound:1") == 2


async def test_health_reports_channels_backlog_and_zalo_tokens(stack) -> None:
    health = await stack.health()
    assert health["channels"] == ["messenger", "zalo"] and health["pending"] == 0
    assert health["zalo_tokens"]["has_token"] is True and health["zalo_tokens"]["ok"] is True
