"""action_answer_question: the answer, its metadata, the follow-up buttons, the review-queue row."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import OperationalError
from trackers import ANSWERED, NOT_ANSWERED, asked, make_tracker, responses, stored_questions

import actions.answer
from actions.answer import ActionAnswerQuestion, ActionHelp, ActionOffTopic, ActionStrayReply
from retrieval.errors import IndexFileError
from retrieval.types import SearchContext
from storage.privacy import hash_user_id
from storage.settings import get_storage_settings

QUESTION = "hoc phi lop 1 bn, sdt em 0912345678"



async def test_answered_question_sends_answer_meta_and_asks_for_a_rating(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher
) -> None:
    kb = use_kb(ANSWERED)
    events = await ActionAnswerQuestion().run(
        dispatcher, make_tracker(text=QUESTION, intent="ask_question"), {}
    )

    text, meta, ask = dispatcher.messages
    assert text["text"] == ANSWERED.answer
    assert meta["custom"] == {
        "kind": "answer_meta", "answered": True, "tentative": False, "confidence": 0.83,
        "sources": [{
            "doc_id": "hoc-phi", "title": "Quyết định miễn học phí", "number": "12/QĐ-UBND",
            "section": "Điều 1", "score": 0.83, "issued": "2025-08-01",
            "url": "https://example.edu.vn/hoc-phi",
        }],
    }
    assert ask["response"] == "utter_ask_helpful"
    # the grade the question names is the conversation's audience from now on
    assert kb.calls == [(QUESTION, SearchContext(None, None))]

    [row] = stored_questions()
    assert events == [SlotSet("last_question_id", float(row.id)), SlotSet("pending_question", None),
                      SlotSet("last_question", QUESTION), SlotSet("grade", "1")]
    assert row.answered and row.confidence == pytest.approx(0.83)
    assert row.doc_ids == ["hoc-phi"] and row.answer == ANSWERED.answer
    assert row.review_status == "open" and row.rating is None


async def test_a_tentative_answer_is_marked_in_its_metadata_and_its_stored_row(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher
) -> None:
    use_kb(dataclasses.replace(ANSWERED, confidence=0.97, tentative=True))
    await ActionAnswerQuestion().run(
        dispatcher, make_tracker(text="sdt văn phòng trường", intent="ask_question"), {})
    text, meta, ask = dispatcher.messages
    assert meta["custom"]["answered"] is True and meta["custom"]["tentative"] is True
    assert ask["response"] == "utter_ask_helpful"
    [row] = stored_questions()
    assert row.answered and row.tentative and row.review_status == "open"


async def test_stored_question_is_redacted_and_its_asker_hashed(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher
) -> None:
    use_kb(ANSWERED)
    await ActionAnswerQuestion().run(
        dispatcher, make_tracker(text=QUESTION, sender_id="zalo:8412345"), {}
    )
    [row] = stored_questions()
    assert "0912345678" not in row.text and "[số điện thoại]" in row.text
    assert row.channel == "zalo"
    assert row.user_hash == hash_user_id("8412345", get_storage_settings().hash_salt)
    assert "8412345" not in row.user_hash
    assert row.recipient == "8412345"  # kept so staff can send their answer on the platform


async def test_unanswered_question_offers_a_person_and_becomes_pending(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher
) -> None:
    use_kb(NOT_ANSWERED)
    events = await ActionAnswerQuestion().run(
        dispatcher, make_tracker(text="lịch nghỉ tết của trường", intent="nlu_fallback"), {}
    )

    text, meta, offer = dispatcher.messages
    assert text["text"] == NOT_ANSWERED.answer
    assert meta["custom"]["answered"] is False and meta["custom"]["sources"] == []
    assert offer["response"] == "utter_offer_handoff"
    [row] = stored_questions()
    assert not row.answered and row.answer == "" and row.review_status == "open"
    assert events == [
        SlotSet("last_question_id", float(row.id)),
        SlotSet("pending_question", "lịch nghỉ tết của trường"),
        SlotSet("last_question", "lịch nghỉ tết của trường"),
    ]


async def test_audience_slots_become_the_search_context(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher
) -> None:
    kb = use_kb(ANSWERED)
    tracker = make_tracker(text="giờ vào lớp", slots={"school": "Trường TH Kim Đồng", "grade": " "})
    await ActionAnswerQuestion().run(dispatcher, tracker, {})
    assert kb.calls == [("giờ vào lớp", SearchContext(school="Trường TH Kim Đồng", grade=None))]
    assert stored_questions()[0].school == "Trường TH Kim Đồng"


async def test_answer_is_still_sent_when_the_question_cannot_be_stored(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    use_kb(ANSWERED)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("INSERT INTO questions", {"text": QUESTION}, Exception("locked"))

    monkeypatch.setattr(actions.answer, "record_question", broken)
    with caplog.at_level(logging.DEBUG, logger="actions"):
        events = await ActionAnswerQuestion().run(dispatcher, make_tracker(text=QUESTION), {})

    assert responses(dispatcher) == [None, None, "utter_ask_helpful"]
    assert dispatcher.messages[0]["text"] == ANSWERED.answer
    assert events[0] == SlotSet("last_question_id", None)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and all(QUESTION not in r.getMessage() for r in errors)


async def test_broken_knowledge_base_apologises_offers_a_person_and_queues_the_question(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher
) -> None:
    use_kb(IndexFileError("chỉ mục hỏng"))
    events = await ActionAnswerQuestion().run(dispatcher, make_tracker(text="học phí"), {})
    assert responses(dispatcher) == ["utter_answer_unavailable", "utter_offer_handoff"]
    assert SlotSet("pending_question", "học phí") in events
    [row] = stored_questions()
    assert not row.answered and row.text == "học phí"


async def test_empty_message_shows_help_without_searching(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher
) -> None:
    kb = use_kb(ANSWERED)
    events = await ActionAnswerQuestion().run(dispatcher, make_tracker(text="  "), {})
    assert responses(dispatcher) == ["utter_help"] and events == [] and kb.calls == []
    assert stored_questions() == []


async def test_question_text_is_never_logged_at_info(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher,
    caplog: pytest.LogCaptureFixture,
) -> None:
    use_kb(NOT_ANSWERED)
    with caplog.at_level(logging.INFO):
        await ActionAnswerQuestion().run(dispatcher, make_tracker(text=QUESTION), {})
    info = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert info, "the action should log that it answered"
    assert all("hoc phi" not in line and "0912345678" not in line for line in info)


def test_warm_up_loads_the_knowledge_base(monkeypatch) -> None:
    from actions import answer as answer_module

    loaded = []

    class LoadingKnowledgeBase:
        def load(self) -> None:
            loaded.append(True)

    monkeypatch.setattr(answer_module, "knowledge_base", lambda: LoadingKnowledgeBase())
    answer_module.warm_up()
    assert loaded == [True]


async def test_an_off_topic_message_the_knowledge_base_answers_plainly_is_answered(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher
) -> None:
    kb = use_kb(ANSWERED)
    tracker = make_tracker(text="lich nghi tet nam nay", intent="out_of_scope")
    events = await ActionOffTopic().run(dispatcher, tracker, {})
    assert responses(dispatcher) == [None, None, "utter_ask_helpful"]
    assert dispatcher.messages[0]["text"] == ANSWERED.answer
    assert kb.calls == [("lich nghi tet nam nay", SearchContext(None, None))]
    [row] = stored_questions()
    assert row.answered and events[0] == SlotSet("last_question_id", float(row.id))


@pytest.mark.parametrize("answer", [
    NOT_ANSWERED,
    dataclasses.replace(ANSWERED, confidence=0.6, tentative=True),
    IndexFileError("index missing"),
])
async def test_an_off_topic_message_it_cannot_answer_plainly_is_refused_and_not_stored(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher, answer: Any
) -> None:
    use_kb(answer)
    tracker = make_tracker(text="giá vàng hôm nay bao nhiêu", intent="out_of_scope")
    assert await ActionOffTopic().run(dispatcher, tracker, {}) == []
    assert responses(dispatcher) == ["utter_out_of_scope"]
    assert stored_questions() == []  # nothing for staff to review


async def test_an_off_topic_message_declined_for_a_detail_the_passage_lacks_goes_to_staff(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher
) -> None:
    # "sdt nhà xe" read as off-topic: the bus notice matched, its phone number is missing
    use_kb(dataclasses.replace(NOT_ANSWERED, confidence=0.74, lacking=["phone"]))
    tracker = make_tracker(text="sdt nhà xe đưa đón", intent="out_of_scope")
    events = await ActionOffTopic().run(dispatcher, tracker, {})
    text, meta, offer = dispatcher.messages
    assert text["text"] == NOT_ANSWERED.answer and meta["custom"]["answered"] is False
    assert offer["response"] == "utter_offer_handoff"
    [row] = stored_questions()
    assert not row.answered and row.review_status == "open"
    assert SlotSet("pending_question", "sdt nhà xe đưa đón") in events


async def test_a_stray_no_that_is_a_question_is_answered_and_a_plain_no_is_not_asked(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher
) -> None:
    kb = use_kb(ANSWERED)
    question = make_tracker(text="nhuom toc co bi phat khong", intent="deny")
    await ActionStrayReply().run(dispatcher, question, {})
    assert responses(dispatcher) == [None, None, "utter_ask_helpful"]
    plain = CollectingDispatcher()
    assert await ActionStrayReply().run(plain, make_tracker(text="không ạ", intent="deny"), {}) == []
    assert responses(plain) == ["utter_anything_else"]
    assert [text for text, _ in kb.calls] == ["nhuom toc co bi phat khong"]


async def test_a_follow_up_is_asked_as_the_question_it_stands_for(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher
) -> None:
    kb = use_kb(ANSWERED)
    tracker = make_tracker(text="còn lớp 6 thì sao", intent="ask_question",
                           before=asked("học phí lớp 1 bao nhiêu", "ask_question"))
    events = await ActionAnswerQuestion().run(dispatcher, tracker, {})
    read_as = dispatcher.messages[0]
    assert read_as["response"] == "utter_follow_up_read_as"
    assert read_as["question"] == "học phí lớp 6 bao nhiêu"
    assert [text for text, _ in kb.calls] == ["học phí lớp 6 bao nhiêu"]
    [row] = stored_questions()
    assert row.text == "học phí lớp 6 bao nhiêu" and events


@pytest.mark.parametrize(("question", "slot", "searched", "kept"), [
    ("lịch khám sức khỏe thế nào", "2", "2", None),  # the conversation's grade
    # a question naming its grade is searched as it stands, and its grade kept for later
    ("lịch thi cuối kỳ lớp 7", "2", None, "7"),
    ("lịch nghỉ tết của trường tiểu học", None, None, "1-5"),  # a level names its grades
])
async def test_the_audience_grade_comes_from_the_conversation_and_is_kept_from_questions(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher,
    question: str, slot: str | None, searched: str | None, kept: str | None,
) -> None:
    kb = use_kb(ANSWERED)
    tracker = make_tracker(text=question, intent="ask_question", slots={"grade": slot})
    events = await ActionAnswerQuestion().run(dispatcher, tracker, {})
    assert kb.calls == [(question, SearchContext(None, searched))]
    assert [e["value"] for e in events if e.get("name") == "grade"] == ([kept] if kept else [])


async def test_a_message_that_only_tells_the_grade_sets_the_audience_and_is_not_searched(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher
) -> None:
    kb = use_kb(ANSWERED)
    tracker = make_tracker(text="con tôi học lớp 3 ạ", intent="ask_question")
    events = await ActionAnswerQuestion().run(dispatcher, tracker, {})
    assert events == [SlotSet("grade", "3")]
    [noted] = dispatcher.messages
    assert (noted["response"], noted["grade_label"]) == ("utter_grade_noted", "lớp 3")
    assert kb.calls == [] and stored_questions() == []


SCHOOLS = {("co_so", "hoa an"): "Trường THCS Hòa An", ("tieu_hoc", "hoa an"): "Trường Tiểu học Hòa An"}


@pytest.mark.parametrize(("question", "slot", "searched", "kept"), [
    ("lịch nghỉ tết thế nào", "Trường THCS Hòa An", "Trường THCS Hòa An", None),
    # a question naming a school of the knowledge base is searched as it stands, and the school
    # kept under the knowledge base's name for it, however typed
    ("lich nghi tet truong thcs hoa an", "Trường Tiểu học Hòa An", None, "Trường THCS Hòa An"),
    ("Trường Tiểu học Hòa An nghỉ tết mấy ngày", None, None, "Trường Tiểu học Hòa An"),
    ("trường thpt hòa an nghỉ tết mấy ngày", None, None, None),  # no document of theirs
    ("trường hòa an nghỉ tết mấy ngày", None, None, None),  # which of the two?
    # a question for another level than the conversation's school is searched without it
    ("các cháu tiểu học có học thứ bảy không", "Trường THCS Hòa An", None, None),
    ("cấp 2 có câu lạc bộ gì", "Trường THCS Hòa An", "Trường THCS Hòa An", None),
])
async def test_the_school_comes_from_the_conversation_and_is_kept_from_questions(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher,
    question: str, slot: str | None, searched: str | None, kept: str | None,
) -> None:
    kb = use_kb(ANSWERED, SCHOOLS)
    tracker = make_tracker(text=question, intent="ask_question", slots={"school": slot})
    events = await ActionAnswerQuestion().run(dispatcher, tracker, {})
    [(_, context)] = kb.calls
    assert context is not None and context.school == searched
    assert [e["value"] for e in events if e.get("name") == "school"] == ([kept] if kept else [])
    assert stored_questions()[0].school == (kept or searched)  # the school it is about
    [meta] = [m["custom"] for m in dispatcher.messages if m.get("custom")]
    assert meta.get("school") == (kept or searched)  # for the conversation log


async def test_a_message_that_only_tells_the_school_sets_the_audience_and_is_not_searched(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher
) -> None:
    kb = use_kb(ANSWERED, SCHOOLS)
    tracker = make_tracker(text="cháu nhà em học trường thcs Hoà An", intent="ask_question")
    events = await ActionAnswerQuestion().run(dispatcher, tracker, {})
    assert events == [SlotSet("grade", "6-9"), SlotSet("school", "Trường THCS Hòa An")]
    [noted] = dispatcher.messages
    assert (noted["response"], noted["school_label"]) == ("utter_school_noted", "Trường THCS Hòa An")
    assert kb.calls == [] and stored_questions() == []


async def test_a_message_that_tells_grade_and_school_keeps_both(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher
) -> None:
    kb = use_kb(ANSWERED, SCHOOLS)
    tracker = make_tracker(text="con tôi học lớp 2 trường tiểu học hòa an", intent="ask_question")
    events = await ActionAnswerQuestion().run(dispatcher, tracker, {})
    assert events == [SlotSet("grade", "2"), SlotSet("school", "Trường Tiểu học Hòa An")]
    [noted] = dispatcher.messages
    assert noted["response"] == "utter_grade_school_noted"
    assert (noted["grade_label"], noted["school_label"]) == ("lớp 2", "Trường Tiểu học Hòa An")
    assert kb.calls == []


@pytest.mark.parametrize(("action", "intent", "earlier", "follow_up", "meant", "others", "refusal"), [
    # a short question read as a stray "no"; "không cần" is a reply, however short
    (ActionStrayReply, "deny", "xe đưa đón giá bao nhiêu", "mất tiền không",
     "xe đưa đón mất tiền không", [("không cần", True), ("không ạ", True)], "utter_anything_else"),
    # read as a request for help; the menu for help itself and for a short message with nothing
    # to follow (a longer question is asked of the knowledge base, see the test below)
    (ActionHelp, "help", "tuyển sinh lớp 6 thế nào", "hồ sơ gồm những gì",
     "tuyển sinh lớp 6 hồ sơ gồm những gì",
     [("em giúp được những gì", True), ("hồ sơ gì", False), ("/help", True)],
     "utter_help"),
])
async def test_a_follow_up_read_as_a_reply_or_help_is_answered_and_the_rest_gets_the_usual_reply(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher, action: type[ActionOffTopic],
    intent: str, earlier: str, follow_up: str, meant: str, others: list[tuple[str, bool]],
    refusal: str,
) -> None:
    kb = use_kb(ANSWERED)
    before = asked(earlier, "ask_question")
    await action().run(dispatcher, make_tracker(text=follow_up, intent=intent, before=before), {})
    assert responses(dispatcher)[0] == "utter_follow_up_read_as"
    assert [text for text, _ in kb.calls] == [meant]
    for text, follows in others:
        plain = CollectingDispatcher()
        tracker = make_tracker(text=text, intent=intent, before=before if follows else [])
        assert await action().run(plain, tracker, {}) == []
        assert responses(plain) == [refusal]
    assert len(kb.calls) == 1


@pytest.mark.parametrize(("answer", "answered"), [(ANSWERED, True), (NOT_ANSWERED, False)])
async def test_a_question_read_as_help_is_answered_when_the_knowledge_base_is_sure(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher, answer: Any, answered: bool,
) -> None:
    kb = use_kb(answer)
    tracker = make_tracker(text="tiền ăn bán trú nộp cho ai", intent="help")
    await ActionHelp().run(dispatcher, tracker, {})
    assert [text for text, _ in kb.calls] == ["tiền ăn bán trú nộp cho ai"]
    if answered:
        assert dispatcher.messages[0]["text"] == ANSWERED.answer
        assert [row.answered for row in stored_questions()] == [True]
    else:  # not sure: the menu, and nothing queued for staff (as for an off-topic message)
        assert responses(dispatcher) == ["utter_help"] and stored_questions() == []


@pytest.mark.parametrize("text", ["chỉ tôi cách dùng với bot", "mình muốn hỏi nhưng không biết hỏi gì",
                                  "cho xem danh sách chức năng", "em hỗ trợ được những gì"])
async def test_a_request_for_help_gets_the_menu_without_asking_the_knowledge_base(
    data_dir: Path, use_kb: Any, dispatcher: CollectingDispatcher, text: str,
) -> None:
    kb = use_kb(ANSWERED)
    await ActionHelp().run(dispatcher, make_tracker(text=text, intent="help"), {})
    assert responses(dispatcher) == ["utter_help"] and kb.calls == []
