"""Validation of the three ticket forms: feedback, misinformation report, request for a person.

Each form asks for a message and an optional contact.  A message must say something (at least
`MIN_MESSAGE_CHARS` characters, not a button payload); otherwise the parent is asked again with
`utter_invalid_message`.  The contact accepts anything the parent gives (phone, Zalo name, email)
and the empty string when they skip it.  The human form starts with the last question the bot
could not answer (`pending_question`) as its message, so "Chuyển cán bộ" forwards it without
asking again.  Every form keeps the message that opened it when that says what it is about
(`actions.intake.says_enough`: "phản ánh xe đưa đón chạy ẩu", "cho tôi gặp cán bộ, con tôi bị
bạn bắt nạt ở lớp"; not "tôi muốn góp ý", "gặp cán bộ") and goes on to the contact.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.intake import says_enough
from retrieval.normalize import fold

MIN_MESSAGE_CHARS = 5
MAX_CONTACT_CHARS = 200
# Typed instead of pressing "Bỏ qua" (compared accent-folded).
SKIP_PHRASES = frozenset({"bo qua", "khong", "khong co", "khong can", "thoi", "skip"})

DomainDict = dict[str, Any]


def clean_message(value: Any) -> str | None:
    """The message text if it is long enough to act on, else None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if len(text) < MIN_MESSAGE_CHARS or text.startswith("/"):
        return None
    return text


def clean_contact(value: Any, intent: str | None) -> str:
    """The contact as given, or "" when the parent skipped it."""
    if intent in ("skip", "deny") or not isinstance(value, str):
        return ""
    text = value.strip()
    if text.startswith("/") or fold(text).strip(" .!") in SKIP_PHRASES:
        return ""
    return text[:MAX_CONTACT_CHARS]


class TicketFormValidation(FormValidationAction):
    """Shared validation: the form's message slot and the contact slot."""

    message_slot: ClassVar[str]

    @abstractmethod
    def name(self) -> str:
        """Abstract, so the action server does not register this base class itself."""

    def _opening_message(self, tracker: Tracker, dispatcher: CollectingDispatcher,
                         form: str) -> dict[str, Any]:
        """At activation (nothing requested yet), the message that opened `form` when it says
        what it is about."""
        if tracker.get_slot("requested_slot") is not None:
            return {}
        if tracker.get_slot(self.message_slot) is not None:
            return {}
        text = (tracker.latest_message.get("text") or "").strip()
        if clean_message(text) is None or not says_enough(text, form):
            return {}
        dispatcher.utter_message(response="utter_message_noted")
        return {self.message_slot: text}

    def _validate_message(
        self, value: Any, dispatcher: CollectingDispatcher
    ) -> dict[str, Any]:
        text = clean_message(value)
        if text is None:
            dispatcher.utter_message(response="utter_invalid_message")
        return {self.message_slot: text}

    def validate_contact(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        return {"contact": clean_contact(value, intent)}


class ValidateFeedbackForm(TicketFormValidation):
    message_slot = "feedback_message"

    def name(self) -> str:
        return "validate_feedback_form"

    def extract_feedback_message(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._opening_message(tracker, dispatcher, "feedback_form")

    def validate_feedback_message(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._validate_message(value, dispatcher)


class ValidateMisinformationForm(TicketFormValidation):
    message_slot = "misinformation_message"

    def name(self) -> str:
        return "validate_misinformation_form"

    def extract_misinformation_message(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._opening_message(tracker, dispatcher, "misinformation_form")

    def validate_misinformation_message(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._validate_message(value, dispatcher)


class ValidateHumanForm(TicketFormValidation):
    message_slot = "human_message"

    def name(self) -> str:
        return "validate_human_form"

    def extract_human_message(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """At activation (nothing requested yet), take the message that opened the form when it
        says what it is about, else the unanswered question."""
        opening = self._opening_message(tracker, dispatcher, "human_form")
        if opening or tracker.get_slot("requested_slot") is not None:
            return opening
        if tracker.get_slot("human_message") is not None:
            return {}
        pending = clean_message(tracker.get_slot("pending_question"))
        if not pending:
            return {}
        dispatcher.utter_message(response="utter_forwarding_question", question=pending)
        return {"human_message": pending}

    def validate_human_message(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._validate_message(value, dispatcher)
