"""action_route_feedback: a message read as feedback, before the feedback form opens.

The dialogue model takes a short question on fees or meals for feedback now and then ("báo
nghỉ ăn trước mấy giờ", "trường có thu tiền quỹ lớp không"): a parent who asked gets a form
asking what they want to report.  A question-shaped message without feedback words
(`actions.intake.is_plain_question`) is asked of the knowledge base first; when it answers
plainly the parent gets the answer and a button to send feedback after all.  Otherwise, and for
every other message, `feedback_answered` is false and the feedback form opens
(data/rules/forms.yml).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import answer_question, message_text
from actions.intake import is_plain_question


class ActionRouteFeedback(Action):
    def name(self) -> str:
        return "action_route_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = message_text(tracker)
        if is_plain_question(text):
            events = await answer_question(dispatcher, tracker, text, sure_only=True)
            if events is not None:
                dispatcher.utter_message(response="utter_offer_feedback")
                return [*events, SlotSet("feedback_answered", True)]
        return [SlotSet("feedback_answered", False)]
