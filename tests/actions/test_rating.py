"""action_record_rating: 👍 takes an answered question out of the review queue, 👎 keeps it in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import OperationalError
from trackers import ANSWERED, NOT_ANSWERED, make_tracker, responses

import actions.rating
from actions.rating import ActionRecordRating
from storage.db import session_scope
from storage.models import Question
from storage.repositories import record_question


def _question(*, answered: bool = True, text: str = "học phí lớp 1") -> int:
    with session_scope() as session:
        row = record_question(session, channel="web", user_hash="abc", text=text,
                              answered=answered, confidence=0.8 if answered else 0.1)
        return row.id


def _row(question_id: int) -> Question:
    with session_scope() as session:
        row = session.get(Question, question_id)
        assert row is not None
        return row


async def test_good_rating_of_an_answer_leaves_the_review_queue(
    data_dir: Path, dispatcher: CollectingDispatcher
) -> None:
    question_id = _question()
    tracker = make_tracker(text="/rate_answer_good", intent="rate_answer_good",
                           slots={"last_question_id": float(question_id)})
    events = await ActionRecordRating().run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_rating_thanks"] and events == []
    row = _row(question_id)
    assert row.rating == "good" and row.review_status == "ok" and row.rated_at is not None


async def test_bad_rating_stays_in_the_queue_and_prepares_the_handoff(
    data_dir: Path, dispatcher: CollectingDispatcher
) -> None:
    question_id = _question(text="học phí lớp 1, gọi 0912345678")
    tracker = make_tracker(text="/rate_answer_bad", intent="rate_answer_bad",
                           slots={"last_question_id": float(question_id)})
    events = await ActionRecordRating().run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_rating_sorry"]
    row = _row(question_id)
    assert row.rating == "bad" and row.review_status == "open"
    assert events == [SlotSet("pending_question", "học phí lớp 1, gọi [số điện thoại]")]


async def test_changing_a_good_rating_to_bad_puts_the_question_back_in_the_queue(
    data_dir: Path,
) -> None:
    question_id = _question()
    slots = {"last_question_id": float(question_id)}
    await ActionRecordRating().run(
        CollectingDispatcher(), make_tracker(intent="rate_answer_good", slots=slots), {})
    await ActionRecordRating().run(
        CollectingDispatcher(), make_tracker(intent="rate_answer_bad", slots=slots), {})
    row = _row(question_id)
    assert row.rating == "bad" and row.review_status == "open"


async def test_rating_without_a_stored_question_still_replies(
    data_dir: Path, dispatcher: CollectingDispatcher
) -> None:
    events = await ActionRecordRating().run(
        dispatcher, make_tracker(intent="rate_answer_bad"), {})
    assert responses(dispatcher) == ["utter_rating_sorry"] and events == []

    unknown = make_tracker(intent="rate_answer_good", slots={"last_question_id": 999.0})
    other = CollectingDispatcher()
    assert await ActionRecordRating().run(other, unknown, {}) == []
    assert responses(other) == ["utter_rating_thanks"]


async def test_garbled_question_id_or_a_broken_store_still_replies(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    garbled = CollectingDispatcher()
    tracker = make_tracker(intent="rate_answer_bad", slots={"last_question_id": "abc"})
    assert await ActionRecordRating().run(garbled, tracker, {}) == []
    assert responses(garbled) == ["utter_rating_sorry"]

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("UPDATE questions", {}, Exception("locked"))

    monkeypatch.setattr(actions.rating, "rate_question", broken)
    failing = CollectingDispatcher()
    tracker = make_tracker(intent="rate_answer_good", slots={"last_question_id": 3.0})
    assert await ActionRecordRating().run(failing, tracker, {}) == []
    assert responses(failing) == ["utter_rating_thanks"]


async def test_words_read_as_a_rating_with_nothing_to_rate_are_asked_of_the_knowledge_base(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher
) -> None:
    kb = use_kb(ANSWERED)
    tracker = make_tracker(text="email van phong truong", intent="rate_answer_bad")
    events = await ActionRecordRating().run(dispatcher, tracker, {})
    assert responses(dispatcher) == [None, None, "utter_ask_helpful"]
    assert kb.calls and events and events[0].get("name") == "last_question_id"
    # ... and stay a rating when the knowledge base is not sure, or an answer was given
    unsure = CollectingDispatcher()
    use_kb(NOT_ANSWERED)
    assert await ActionRecordRating().run(unsure, tracker, {}) == []
    assert responses(unsure) == ["utter_rating_sorry"]
    rated = CollectingDispatcher()
    asked = use_kb(ANSWERED)
    button = make_tracker(text="/rate_answer_bad", intent="rate_answer_bad")
    await ActionRecordRating().run(rated, button, {})
    assert responses(rated) == ["utter_rating_sorry"] and asked.calls == []
