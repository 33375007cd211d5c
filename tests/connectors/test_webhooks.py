"""Webhooks: signature before parsing, 403/400/404, dedup, and acknowledging before Rasa answers."""

from __future__ import annotations

import json

import pytest
import pytest_asyncio
from fakes.builders import (
    VERIFY_TOKEN,
    eventually,
    make_runtime,
    messenger_body,
    messenger_headers,
    text_event,
    webhook_client,
    zalo_body,
    zalo_headers,
)

from connectors.dedup import PREFIX as DEDUP_PREFIX


async def _queued(runtime) -> list[str]:
    ids = []
    for partition in range(runtime.queue.partitions):
        for _, fields in await runtime.redis.xrange(runtime.queue.stream(partition)):
            ids.append(json.loads(fields[b"data"])["message_id"])
    return ids


async def _dedup_keys(redis) -> list[bytes]:
    return [key async for key in redis.scan_iter(f"{DEDUP_PREFIX}*")]


@pytest_asyncio.fixture(loop_scope="function")
async def runtime(redis, http, fake_graph, fake_zalo, fake_rasa):
    rt = make_runtime(redis, http, rasa_url=fake_rasa.server.url,
                      graph_url=fake_graph.server.url, zalo_url=fake_zalo.server.url)
    await rt.start(run_worker=False)
    yield rt
    await rt.stop()


@pytest.mark.parametrize("headers", [
    {"Content-Type": "application/json"},
    {"X-Hub-Signature-256": "sha256=" + "0" * 64},
    {"X-Hub-Signature-256": "not-a-signature"},
])
async def test_messenger_bad_signature_is_403_and_nothing_queued(runtime, headers) -> None:
    body = messenger_body([text_event("u1", "m1", "xin chào")])
    async with webhook_client(runtime) as client:
        response = await client.post("/webhooks/messenger", content=body, headers=headers)
    assert response.status_code == 403
    assert await _queued(runtime) == [] and await _dedup_keys(runtime.redis) == []


async def test_messenger_valid_event_is_queued_and_acknowledged(runtime) -> None:
    body = messenger_body([text_event("u1", "m1", "Học phí lớp 1?")])
    async with webhook_client(runtime) as client:
        response = await client.post("/webhooks/messenger", content=body,
                                     headers=messenger_headers(body))
    assert response.status_code == 200
    assert await _queued(runtime) == ["m1"]


async def test_malformed_json_after_a_valid_signature_is_400(runtime) -> None:
    body = b'{"object": "page", "entry": ['
    async with webhook_client(runtime) as client:
        bad_json = await client.post("/webhooks/messenger", content=body,
                                     headers=messenger_headers(body))
        wrong_object = await client.post("/webhooks/messenger", content=b'{"object":"user"}',
                                         headers=messenger_headers(b'{"object":"user"}'))
    assert bad_json.status_code == 400 and wrong_object.status_code == 400
    assert await _queued(runtime) == []


async def test_verification_get_answers_the_challenge_only_for_our_token(runtime) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
              "hub.challenge": "1158201444"}
    async with webhook_client(runtime) as client:
        good = await client.get("/webhooks/messenger", params=params)
        wrong = await client.get("/webhooks/messenger",
                                 params={**params, "hub.verify_token": "guess"})
        missing = await client.get("/webhooks/messenger", params={"hub.mode": "subscribe"})
    assert good.status_code == 200 and good.text == "1158201444"
    assert good.headers["content-type"].startswith("text/plain")
    assert wrong.status_code == 403 and missing.status_code == 403


async def test_same_mid_delivered_five_times_is_queued_once(runtime) -> None:
    body = messenger_body([text_event("u1", "m-dup", "xin chào")])
    async with webhook_client(runtime) as client:
        statuses = [(await client.post("/webhooks/messenger", content=body,
                                       headers=messenger_headers(body))).status_code
                    for _ in range(5)]
    assert statuses == [200] * 5
    assert await _queued(runtime) == ["m-dup"]


async def test_zalo_signed_event_is_queued_and_bad_mac_is_403(runtime) -> None:
    body = zalo_body(mid="z-1")
    tampered = body.replace(b"z-1", b"z-2")
    async with webhook_client(runtime) as client:
        ok = await client.post("/webhooks/zalo", content=body, headers=zalo_headers(body))
        bad = await client.post("/webhooks/zalo", content=tampered, headers=zalo_headers(body))
        unsigned = await client.post("/webhooks/zalo", content=body)
    assert ok.status_code == 200
    assert bad.status_code == 403 and unsigned.status_code == 403
    assert await _queued(runtime) == ["z-1"]


async def test_disabled_channels_answer_404(redis, http, fake_rasa) -> None:
    rt = make_runtime(redis, http, rasa_url=fake_rasa.server.url)
    body = messenger_body([text_event("u1", "m1", "xin chào")])
    async with webhook_client(rt) as client:
        assert (await client.post("/webhooks/messenger", content=body,
                                  headers=messenger_headers(body))).status_code == 404
        assert (await client.get("/webhooks/messenger")).status_code == 404
        zbody = zalo_body()
        assert (await client.post("/webhooks/zalo", content=zbody,
                                  headers=zalo_headers(zbody))).status_code == 404
    assert rt.channels == []


async def test_webhook_acknowledges_while_rasa_is_still_thinking(runtime, fake_rasa,
                                                                 fake_graph) -> None:
    """Rasa takes 30 s in real life: the 200 goes out before Rasa has answered anything."""
    fake_rasa.hold()
    await runtime.start()  # the worker
    body = messenger_body([text_event("u1", "m-slow", "Học phí?")])
    async with webhook_client(runtime) as client:
        response = await client.post("/webhooks/messenger", content=body,
                                     headers=messenger_headers(body))
    assert response.status_code == 200
    assert fake_rasa.answered == []
    await eventually(lambda: len(fake_rasa.received) == 1)  # the worker is waiting on Rasa
    assert fake_rasa.answered == [] and fake_graph.requests == []
    fake_rasa.release()
    await eventually(lambda: len(fake_graph.requests) == 1)
    assert fake_graph.texts == ["Trả lời: Học phí?"]
