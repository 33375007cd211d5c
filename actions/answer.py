"""action_answer_question: a knowledge question in, the knowledge base's answer out.

Thin on purpose: the answer (text, citation, confidence) comes from
`retrieval.service.get_knowledge_base().answer(...)`; this action only adds the conversation
around it — the answer metadata for the connectors, the "was it helpful?" buttons or the
handoff offer, the review-queue row, and the slots the rating and handoff use next.
A failed database write is logged and the parent still gets the answer.

A follow-up ("còn lớp 6 thì sao?", "giá bao nhiêu") is asked as the full question it stands
for (`actions.followup`), which the parent sees first and staff see in the review queue; a
message that only tells the child's grade or school ("con tôi học lớp 3", "cháu học trường THCS
Hòa An") sets the conversation's audience and is acknowledged, not searched; a question naming
a school of the knowledge base sets the conversation's school (`actions.audience`), which the
review-queue row and later tickets carry.

action_off_topic asks the knowledge base before refusing an off-topic message, and answers
only when it is sure (`answer_question(sure_only=True)`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, Protocol

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.audience import Known, named_school, school_mentions, teaches
from actions.followup import (
    QUESTION_SLOT,
    earlier_questions,
    grade_label,
    grade_named,
    resolve,
    stated_grade,
)
from actions.intake import asks_for_help
from actions.sender import Sender, sender_of
from retrieval.errors import RetrievalError
from retrieval.types import Answer, SearchContext
from storage.db import session_scope
from storage.errors import StorageError
from storage.repositories import record_question

logger = logging.getLogger(__name__)

# One search at a time per action server: the model and the index are shared by all requests.
_search_lock = threading.Lock()


class KnowledgeBase(Protocol):
    def answer(self, question: str, context: SearchContext | None = None) -> Answer: ...

    def schools(self) -> Known: ...


def knowledge_base() -> KnowledgeBase:
    """The process-wide knowledge base (tests replace this function)."""
    from retrieval.service import get_knowledge_base

    return get_knowledge_base()


def warm_up() -> None:
    """Load the embedding model and the index before the first question (called at start-up)."""
    with _search_lock:
        load = getattr(knowledge_base(), "load", None)
        if load is not None:
            load()


def _search(question: str, context: SearchContext) -> Answer:
    with _search_lock:
        return knowledge_base().answer(question, context)


def _schools() -> Known:
    with _search_lock:
        return knowledge_base().schools()


async def known_schools() -> Known:
    """The knowledge base's schools and their names; none when it cannot be read."""
    try:
        return await asyncio.to_thread(_schools)
    except RetrievalError as error:
        logger.error("knowledge base unavailable: %s", type(error).__name__)
        return {}


def _store_question(sender: Sender, question: str, answer: Answer, school: str | None) -> int:
    with session_scope() as session:
        row = record_question(
            session,
            channel=sender.channel,
            user_hash=sender.user_hash,
            text=question,
            answered=answer.answered,
            confidence=answer.confidence,
            tentative=answer.tentative,
            answer=answer.answer if answer.answered else "",
            doc_ids=[source.doc_id for source in answer.sources],
            school=school,
            recipient=sender.user_id,
        )
        return row.id


def answer_meta(answer: Answer, school: str | None = None) -> dict[str, Any]:
    """The machine-readable part of a reply that the connectors log and show (sources, links),
    with the school the question was asked for when known (the conversation log keeps it)."""
    meta = {
        "kind": "answer_meta",
        "answered": answer.answered,
        "tentative": answer.tentative,
        "confidence": round(float(answer.confidence), 4),
        "sources": [source.to_json() for source in answer.sources],
    }
    return {**meta, "school": school} if school else meta


def _slot_text(tracker: Tracker, name: str) -> str | None:
    value = tracker.get_slot(name)
    if value is None:
        return None
    return str(value).strip() or None


async def answer_question(
    dispatcher: CollectingDispatcher, tracker: Tracker, question: str, *, sure_only: bool = False,
    schools: Known | None = None,
) -> list[EventType] | None:
    """Answer `question` from the knowledge base: the answer, its metadata, the follow-up
    buttons and the review-queue row.  With `sure_only` (a message the dialogue model took for
    something else) nothing is said or stored unless the knowledge base answers plainly, and
    None is returned.  The events set `pending_question` to None exactly when it answered.

    A follow-up ("còn lớp 6 thì sao?", "giá bao nhiêu") is asked as the full question it stands
    for, said to the parent first ("Dạ, em hiểu anh/chị hỏi: …")."""
    meant = resolve(question, earlier_questions(tracker.events))
    question = meant or question
    sure_only = sure_only and not meant  # a follow-up is a question whatever it was read as
    # A grade, school level or school the question names is the conversation's audience from
    # now on; the question itself is searched as it stands (its own words already name them),
    # one that names none with the conversation's.
    named = grade_named(question)
    school_named = named_school(question, await known_schools() if schools is None else schools)
    grade = None if named else _slot_text(tracker, "grade")
    school = None if school_named else _slot_text(tracker, "school")
    if school and named and not teaches(school, named):  # "tiểu học" asked from THCS
        school = None
    remembered = [SlotSet(QUESTION_SLOT, question), *([SlotSet("grade", named)] if named else []),
                  *([SlotSet("school", school_named)] if school_named else [])]
    sender = sender_of(tracker)
    logger.debug("question from %s: %r", sender.user_hash, question)

    try:
        answer = await asyncio.to_thread(_search, question, SearchContext(school, grade))
    except RetrievalError as error:
        logger.error("knowledge base unavailable for %s: %s", sender.user_hash,
                     type(error).__name__)
        answer = None
    # a question on a topic the knowledge base knows, whose detail (a phone number, a name) it
    # lacks, is no off-topic message: declined honestly and kept for staff ("sdt nhà xe")
    if sure_only and (answer is None or answer.tentative
                      or not (answer.answered or answer.lacking)):
        return None
    if meant:
        dispatcher.utter_message(response="utter_follow_up_read_as", question=meant)

    question_id = await _store(sender, question, answer, school_named or school)
    if answer is None:
        dispatcher.utter_message(response="utter_answer_unavailable")
        dispatcher.utter_message(response="utter_offer_handoff")
        return [SlotSet("last_question_id", None), SlotSet("pending_question", question), *remembered]

    logger.info("answer for %s: answered=%s tentative=%s confidence=%.3f question_id=%s",
                sender.user_hash, answer.answered, answer.tentative, answer.confidence,
                question_id)
    dispatcher.utter_message(text=answer.answer)
    dispatcher.utter_message(json_message=answer_meta(answer, school_named or school))
    last_id = float(question_id) if question_id is not None else None
    if answer.answered:
        dispatcher.utter_message(response="utter_ask_helpful")
        return [SlotSet("last_question_id", last_id), SlotSet("pending_question", None), *remembered]
    dispatcher.utter_message(response="utter_offer_handoff")
    return [SlotSet("last_question_id", last_id), SlotSet("pending_question", question), *remembered]


async def _store(sender: Sender, question: str, answer: Answer | None, school: str | None
                 ) -> int | None:
    stored = answer or Answer(answered=False, answer="", confidence=0.0)
    try:
        return await asyncio.to_thread(_store_question, sender, question, stored, school)
    except (SQLAlchemyError, StorageError) as error:
        logger.error("could not record the question of %s: %s", sender.user_hash,
                     type(error).__name__)
        return None


def message_text(tracker: Tracker) -> str:
    return (tracker.latest_message.get("text") or "").strip()


class ActionAnswerQuestion(Action):
    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        question = message_text(tracker)
        if not question:
            dispatcher.utter_message(response="utter_help")
            return []
        schools = await known_schools()
        mentions = school_mentions(question, schools)
        grade = stated_grade(question, [(start, end) for start, end, _ in mentions])
        if grade is not None:  # "con tôi học lớp 3": the audience of what follows, no question
            school = named_school(question, schools)
            if school:  # "con tôi học trường THCS Hòa An", "cháu học lớp 2 trường tiểu học Hòa An"
                if grade.isdigit():
                    dispatcher.utter_message(response="utter_grade_school_noted", school_label=school,
                                             grade_label=grade_label(grade))
                else:
                    dispatcher.utter_message(response="utter_school_noted", school_label=school)
                return [SlotSet("grade", grade), SlotSet("school", school)]
            dispatcher.utter_message(response="utter_grade_noted", grade_label=grade_label(grade))
            return [SlotSet("grade", grade)]
        return await answer_question(dispatcher, tracker, question, schools=schools) or []


class ActionOffTopic(Action):
    """out_of_scope: the knowledge base is asked first, and answers when it is sure.

    The dialogue model reads a short question on a topic it has few examples of ("lich nghi
    tet nam nay", "on tap cuoi ky co thu tien ko") as off-topic now and then; the knowledge
    base, which declines weather and gold prices, decides instead.  An off-topic message it
    cannot answer plainly gets the polite refusal and is not put in the staff's queue, unless
    the knowledge base declined it only for a detail its passage lacks ("sdt nhà xe đưa đón":
    the bus notice has no phone number): that is a question for staff, offered to them."""

    refusal = "utter_out_of_scope"
    min_words = 1

    def name(self) -> str:
        return "action_off_topic"

    def asks(self, question: str, tracker: Tracker) -> bool:
        """Whether the knowledge base is asked before the usual reply."""
        return len(question.split()) >= self.min_words

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        question = message_text(tracker)
        events = None
        if question and not question.startswith("/") and self.asks(question, tracker):
            events = await answer_question(dispatcher, tracker, question, sure_only=True)
        if events is None:
            dispatcher.utter_message(response=self.refusal)
            return []
        return events


class ActionStrayReply(ActionOffTopic):
    """A yes, no, skip or cancel outside a form: "Dạ vâng …", unless it is a question of four
    words or more the knowledge base answers plainly ("nhuom toc co bi phat khong", read as
    "no") or a follow-up of the parent's last question ("mất tiền không" after the bus fares,
    read as "no"), answered as the question it stands for."""

    refusal = "utter_anything_else"
    min_words = 4

    def name(self) -> str:
        return "action_stray_reply"

    def asks(self, question: str, tracker: Tracker) -> bool:
        return super().asks(question, tracker) or \
            resolve(question, earlier_questions(tracker.events)) is not None


class ActionHelp(ActionOffTopic):
    """help: the menu of what the bot does, unless the message is a follow-up of the parent's
    last question ("hồ sơ gồm những gì" after "tuyển sinh lớp 6 thế nào", which the dialogue
    model reads as a request for help): that is answered as the question it stands for (a
    follow-up is answered whether or not the knowledge base is sure, see `answer_question`);
    or a question of four words or more that says nothing of help or the menu
    (`actions.intake.asks_for_help`: "tiền ăn bán trú nộp cho ai") and that the knowledge base
    answers plainly, as an off-topic one is."""

    refusal = "utter_help"
    min_words = 4

    def name(self) -> str:
        return "action_help"

    def asks(self, question: str, tracker: Tracker) -> bool:
        return resolve(question, earlier_questions(tracker.events)) is not None or (
            super().asks(question, tracker) and not asks_for_help(question))
