"""action_route_feedback: a question read as feedback is answered when the knowledge base is
sure; anything else opens the feedback form."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from trackers import ANSWERED, NOT_ANSWERED, make_tracker, responses

from actions.feedback_route import ActionRouteFeedback
from storage.db import session_scope
from storage.models import Question


def _questions() -> list[Question]:
    with session_scope() as session:
        return list(session.scalars(select(Question)))


async def test_a_question_read_as_feedback_is_answered_with_an_offer_to_send_feedback(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher
) -> None:
    kb = use_kb(ANSWERED)
    tracker = make_tracker(text="báo nghỉ ăn trước mấy giờ", intent="give_feedback")
    events = await ActionRouteFeedback().run(dispatcher, tracker, {})
    assert responses(dispatcher) == [None, None, "utter_ask_helpful", "utter_offer_feedback"]
    assert dispatcher.messages[0]["text"] == ANSWERED.answer
    assert [text for text, _ in kb.calls] == ["báo nghỉ ăn trước mấy giờ"]
    assert events[-1] == SlotSet("feedback_answered", True)
    [row] = _questions()
    assert row.answered


@pytest.mark.parametrize("answer", [
    NOT_ANSWERED, dataclasses.replace(ANSWERED, confidence=0.6, tentative=True)])
async def test_a_question_it_cannot_answer_plainly_opens_the_form_and_is_not_stored(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher, answer: Any
) -> None:
    use_kb(answer)
    tracker = make_tracker(text="sao trường thu quỹ lớp nhiều vậy?", intent="give_feedback")
    events = await ActionRouteFeedback().run(dispatcher, tracker, {})
    assert events == [SlotSet("feedback_answered", False)]
    assert dispatcher.messages == []
    assert _questions() == []


@pytest.mark.parametrize("text", ["tôi muốn góp ý", "/give_feedback",
                                  "nhà vệ sinh khu lớp 2 bẩn quá, đề nghị dọn thường xuyên"])
async def test_feedback_opens_the_form_without_asking_the_knowledge_base(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher, text: str
) -> None:
    kb = use_kb(ANSWERED)
    events = await ActionRouteFeedback().run(
        dispatcher, make_tracker(text=text, intent="give_feedback"), {})
    assert events == [SlotSet("feedback_answered", False)]
    assert kb.calls == [] and dispatcher.messages == []
