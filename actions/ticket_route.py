"""action_route_feedback, action_route_misinformation: a message read as feedback or as a
misinformation report, before its form opens.

The dialogue model takes a short question for feedback or for a rumour report now and then
("báo nghỉ ăn trước mấy giờ", "gia đình khó khăn có được miễn tiền ăn không"): a parent who
asked gets a form asking what they want to report.  A question-shaped message without feedback
or rumour words (`actions.intake.is_plain_question`) is asked of the knowledge base first; when
it answers plainly the parent gets the answer (after feedback, with a button to send feedback
after all), and `routed_to_answer` is true.  Otherwise, and for every other message,
`routed_to_answer` is false and the form opens (data/rules/forms.yml).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import answer_question, message_text
from actions.intake import is_plain_question, names_no_report


class ActionRouteFeedback(Action):
    offer: ClassVar[str | None] = "utter_offer_feedback"
    # Feedback is often put as a question ("bếp ăn bán trú có đảm bảo vệ sinh không"): only a
    # plain answer keeps the form closed.
    sure_only: ClassVar[bool] = True

    def is_question(self, text: str) -> bool:
        return is_plain_question(text)

    def name(self) -> str:
        return "action_route_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = message_text(tracker)
        if self.is_question(text):
            events = await answer_question(dispatcher, tracker, text, sure_only=self.sure_only)
            if events is not None:
                if self.offer and SlotSet("pending_question", None) in events:  # answered
                    dispatcher.utter_message(response=self.offer)
                return [*events, SlotSet("routed_to_answer", True)]
        return [SlotSet("routed_to_answer", False)]


class ActionRouteMisinformation(ActionRouteFeedback):
    """A plain question read as a rumour report is a question whatever the knowledge base
    says: unanswered, it gets the honest no-answer and the offer of a person, and is queued
    for staff like any question.  It names no rumour, so no "Báo tin sai" button follows."""

    offer = None
    sure_only = False

    def is_question(self, text: str) -> bool:
        """Also a message with no word of a report at all ("lịch nghỉ tết")."""
        return is_plain_question(text) or names_no_report(text)

    def name(self) -> str:
        return "action_route_misinformation"
