"""action_route_feedback / action_route_misinformation: a question read as feedback or as a rumour
report is answered when the knowledge base is sure; anything else opens the form."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from trackers import ANSWERED, NOT_ANSWERED, make_tracker, responses, stored_questions

from actions.ticket_route import ActionRouteFeedback, ActionRouteMisinformation


async def test_a_question_read_as_feedback_is_answered_with_an_offer_to_send_feedback(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher
) -> None:
    kb = use_kb(ANSWERED)
    tracker = make_tracker(text="báo nghỉ ăn trước mấy giờ", intent="give_feedback")
    events = await ActionRouteFeedback().run(dispatcher, tracker, {})
    assert responses(dispatcher) == [None, None, "utter_ask_helpful", "utter_offer_feedback"]
    assert dispatcher.messages[0]["text"] == ANSWERED.answer
    assert [text for text, _ in kb.calls] == ["báo nghỉ ăn trước mấy giờ"]
    assert events[-1] == SlotSet("routed_to_answer", True)
    [row] = stored_questions()
    assert row.answered


@pytest.mark.parametrize("answer", [
    NOT_ANSWERED, dataclasses.replace(ANSWERED, confidence=0.6, tentative=True)])
async def test_a_question_it_cannot_answer_plainly_opens_the_form_and_is_not_stored(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher, answer: Any
) -> None:
    use_kb(answer)
    tracker = make_tracker(text="sao trường thu quỹ lớp nhiều vậy?", intent="give_feedback")
    events = await ActionRouteFeedback().run(dispatcher, tracker, {})
    assert events == [SlotSet("routed_to_answer", False)]
    assert dispatcher.messages == []
    assert stored_questions() == []


@pytest.mark.parametrize("text", ["tôi muốn góp ý", "/give_feedback",
                                  "nhà vệ sinh khu lớp 2 bẩn quá, đề nghị dọn thường xuyên"])
async def test_feedback_opens_the_form_without_asking_the_knowledge_base(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher, text: str
) -> None:
    kb = use_kb(ANSWERED)
    events = await ActionRouteFeedback().run(
        dispatcher, make_tracker(text=text, intent="give_feedback"), {})
    assert events == [SlotSet("routed_to_answer", False)]
    assert kb.calls == [] and dispatcher.messages == []


async def test_a_question_read_as_a_rumour_report_is_answered_and_a_rumour_is_not_asked(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher
) -> None:
    kb = use_kb(ANSWERED)
    question = make_tracker(text="gia dinh kho khan co duoc mien tien an ko",
                            intent="report_misinformation")
    events = await ActionRouteMisinformation().run(dispatcher, question, {})
    assert responses(dispatcher) == [None, None, "utter_ask_helpful"]  # no rumour, no button
    assert events[-1] == SlotSet("routed_to_answer", True)
    rumour = make_tracker(text="nghe nói năm nay học phí tăng gấp đôi, có đúng không",
                          intent="report_misinformation")
    assert await ActionRouteMisinformation().run(CollectingDispatcher(), rumour, {}) == [
        SlotSet("routed_to_answer", False)]
    assert [text for text, _ in kb.calls] == ["gia dinh kho khan co duoc mien tien an ko"]


async def test_an_unanswered_question_read_as_a_rumour_report_is_queued_as_a_question(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher
) -> None:
    use_kb(NOT_ANSWERED)
    question = make_tracker(text="gia dinh kho khan co duoc mien tien an ko",
                            intent="report_misinformation")
    events = await ActionRouteMisinformation().run(dispatcher, question, {})
    assert responses(dispatcher) == [None, None, "utter_offer_handoff"]
    assert SlotSet("pending_question", question.latest_message["text"]) in events
    assert events[-1] == SlotSet("routed_to_answer", True)
    [row] = stored_questions()
    assert not row.answered and row.review_status == "open"


async def test_a_message_read_as_a_rumour_report_that_names_no_report_is_a_question(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher
) -> None:
    kb = use_kb(ANSWERED)
    tracker = make_tracker(text="lịch nghỉ tết", intent="report_misinformation")
    events = await ActionRouteMisinformation().run(dispatcher, tracker, {})
    assert events[-1] == SlotSet("routed_to_answer", True)
    assert [text for text, _ in kb.calls] == ["lịch nghỉ tết"]
