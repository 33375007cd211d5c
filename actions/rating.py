"""action_record_rating: the parent's 👍 / 👎 on the last knowledge answer.

A bad rating keeps the question in the admins' review queue and offers a person; the question
text (already redacted) becomes `pending_question`, so "Chuyển cán bộ" forwards it as is.
Typed words read as a rating when no answer was given ("email văn phòng trường" after a
greeting) are asked of the knowledge base first, and answered when it is sure.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.answer import answer_question, message_text
from actions.sender import sender_of
from storage.db import session_scope
from storage.errors import StorageError
from storage.repositories import Rating, rate_question

logger = logging.getLogger(__name__)

# Typed words read as a rating, with no answer to rate, are a question from this many words on.
QUESTION_WORDS = 3


def _rate(question_id: int, rating: Rating) -> str | None:
    """Store the rating; the question's stored text, None if there is no such question."""
    with session_scope() as session:
        question = rate_question(session, question_id=question_id, rating=rating)
        return question.text if question is not None else None


def _question_id(value: Any) -> int | None:
    """The `last_question_id` slot (a float slot) as a row id, None when unset or garbled."""
    try:
        return int(float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None


class ActionRecordRating(Action):
    def name(self) -> str:
        return "action_record_rating"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        rating: Rating = "good" if intent == "rate_answer_good" else "bad"
        question_id = _question_id(tracker.get_slot("last_question_id"))
        text = message_text(tracker)
        if question_id is None and not text.startswith("/") and len(text.split()) >= QUESTION_WORDS:
            # Nothing to rate: "email van phong truong" is a question the dialogue model misread.
            events = await answer_question(dispatcher, tracker, text, sure_only=True)
            if events is not None:
                return events
        question_text: str | None = None
        if question_id is not None:
            try:
                question_text = await asyncio.to_thread(_rate, question_id, rating)
            except (SQLAlchemyError, StorageError) as error:
                logger.error("could not record the rating of question %s: %s",
                             question_id, type(error).__name__)
        logger.info("rating %s for question %s from %s", rating, question_id,
                    sender_of(tracker).user_hash)

        if rating == "good":
            dispatcher.utter_message(response="utter_rating_thanks")
            return []
        dispatcher.utter_message(response="utter_rating_sorry")
        return [SlotSet("pending_question", question_text)] if question_text else []
