"""action_subscribe / action_unsubscribe: one subscription row per resident, switched on and off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from trackers import ANSWERED, NOT_ANSWERED, make_tracker, responses, stored_questions

import actions.subscription
from actions.subscription import ActionSubscribe, ActionUnsubscribe
from storage.db import session_scope
from storage.models import Subscription


def _subscriptions() -> list[Subscription]:
    with session_scope() as session:
        return list(session.scalars(select(Subscription)))


async def test_subscribe_then_unsubscribe_keeps_one_row(data_dir: Path) -> None:
    tracker = make_tracker(text="nhận thông báo", sender_id="messenger:6021448392021")
    first = CollectingDispatcher()
    assert await ActionSubscribe().run(first, tracker, {}) == []
    assert responses(first) == ["utter_subscribed"]
    [row] = _subscriptions()
    assert row.active and row.channel == "messenger" and row.recipient == "6021448392021"

    second = CollectingDispatcher()
    await ActionUnsubscribe().run(second, tracker, {})
    assert responses(second) == ["utter_unsubscribed"]
    [row] = _subscriptions()
    assert not row.active

    await ActionSubscribe().run(CollectingDispatcher(), tracker, {})
    assert [r.active for r in _subscriptions()] == [True]


async def test_residents_on_other_channels_have_their_own_rows(data_dir: Path) -> None:
    await ActionSubscribe().run(CollectingDispatcher(), make_tracker(sender_id="zalo:1"), {})
    await ActionSubscribe().run(CollectingDispatcher(), make_tracker(sender_id="web:1"), {})
    assert sorted(r.channel for r in _subscriptions()) == ["web", "zalo"]


async def test_failed_store_says_so(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("UPDATE subscriptions", {}, Exception("locked"))

    monkeypatch.setattr(actions.subscription, "set_subscription", broken)
    dispatcher = CollectingDispatcher()
    assert await ActionSubscribe().run(dispatcher, make_tracker(), {}) == []
    assert responses(dispatcher) == ["utter_subscription_failed"]


@pytest.mark.parametrize("action", [ActionSubscribe, ActionUnsubscribe])
async def test_a_question_read_as_a_subscription_is_answered_and_subscribes_no_one(
        data_dir: Path, use_kb: Any, action: Any) -> None:
    kb = use_kb(ANSWERED)
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="đăng ký xe đưa đón ở đâu", intent="subscribe")
    await action().run(dispatcher, tracker, {})
    assert [text for text, _ in kb.calls] == ["đăng ký xe đưa đón ở đâu"]
    assert dispatcher.messages[0]["text"] == ANSWERED.answer
    assert "utter_subscribed" not in responses(dispatcher)
    assert "utter_unsubscribed" not in responses(dispatcher)
    assert _subscriptions() == []
    [row] = stored_questions()
    assert row.answered


async def test_a_question_read_as_a_subscription_it_cannot_answer_goes_to_staff(
        data_dir: Path, use_kb: Any) -> None:
    use_kb(NOT_ANSWERED)
    dispatcher = CollectingDispatcher()
    await ActionSubscribe().run(dispatcher, make_tracker(text="đăng ký bán trú học kỳ 2",
                                                          intent="subscribe"), {})
    assert responses(dispatcher)[-1] == "utter_offer_handoff"
    assert _subscriptions() == []
    [row] = stored_questions()
    assert not row.answered


async def test_a_request_for_announcements_asks_no_question(data_dir: Path, use_kb: Any) -> None:
    kb = use_kb(ANSWERED)
    dispatcher = CollectingDispatcher()
    await ActionSubscribe().run(dispatcher, make_tracker(text="đăng ký nhận thông báo tuyển sinh",
                                                          intent="subscribe"), {})
    assert responses(dispatcher) == ["utter_subscribed"] and kb.calls == []
    assert [row.active for row in _subscriptions()] == [True]
