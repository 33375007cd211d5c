"""Submitting the ticket forms: a feedback, a misinformation report or a request for a person.

Each submit action stores one `storage.models.Ticket` under a reference code the parent can
quote later (its topic guessed by `actions.ticket_categories`), tells the parent that code, and
clears the form slots for the next form.  If the store fails the parent is told to try again,
never left without a reply.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.sender import Sender, sender_of
from actions.ticket_categories import categorise
from storage.db import session_scope
from storage.errors import StorageError
from storage.repositories import create_ticket

logger = logging.getLogger(__name__)

FORM_SLOTS = ("feedback_message", "misinformation_message", "human_message", "contact")
# {kind_label} in utter_ticket_received.
KIND_LABELS = {
    "feedback": "góp ý",
    "misinformation": "báo tin sai",
    "human": "yêu cầu gặp cán bộ",
}


def reset_form_slots() -> list[EventType]:
    """Events clearing every ticket-form slot."""
    return [SlotSet(slot, None) for slot in FORM_SLOTS]


def _store_ticket(
    kind: str, sender: Sender, message: str, contact: str, school: str
) -> tuple[str, bool]:
    with session_scope() as session:
        ticket = create_ticket(
            session,
            kind=kind,
            channel=sender.channel,
            user_hash=sender.user_hash,
            recipient=sender.user_id,
            message=message,
            contact=contact,
            school=school,
            category=categorise(message),
        )
        return ticket.reference, ticket.urgent


class SubmitTicket(Action, ABC):
    """Stores the ticket of one form kind."""

    kind: ClassVar[str]
    message_slot: ClassVar[str]

    @abstractmethod
    def name(self) -> str:
        """Abstract, so the action server does not register this base class itself."""

    def after_submit(self) -> list[EventType]:
        """Extra events once the ticket is stored (or failed)."""
        return []

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        sender = sender_of(tracker)
        message = str(tracker.get_slot(self.message_slot) or "").strip()
        contact = str(tracker.get_slot("contact") or "").strip()
        school = str(tracker.get_slot("school") or "").strip()
        if not message:
            logger.warning("%s: empty %s from %s", self.name(), self.message_slot,
                           sender.user_hash)
            dispatcher.utter_message(response="utter_ticket_failed")
            return reset_form_slots()
        try:
            reference, urgent = await asyncio.to_thread(
                _store_ticket, self.kind, sender, message, contact, school
            )
        except (SQLAlchemyError, StorageError) as error:
            logger.error("could not store a %s ticket from %s: %s", self.kind, sender.user_hash,
                         type(error).__name__)
            dispatcher.utter_message(response="utter_ticket_failed")
            return reset_form_slots()
        logger.info("ticket %s (%s, urgent=%s) from %s on %s", reference, self.kind, urgent,
                    sender.user_hash, sender.channel)
        dispatcher.utter_message(
            response="utter_ticket_received", reference=reference,
            kind_label=KIND_LABELS[self.kind],
        )
        return reset_form_slots() + self.after_submit()


class ActionSubmitFeedback(SubmitTicket):
    kind = "feedback"
    message_slot = "feedback_message"

    def name(self) -> str:
        return "action_submit_feedback"


class ActionSubmitMisinformation(SubmitTicket):
    kind = "misinformation"
    message_slot = "misinformation_message"

    def name(self) -> str:
        return "action_submit_misinformation"


class ActionSubmitHuman(SubmitTicket):
    kind = "human"
    message_slot = "human_message"

    def name(self) -> str:
        return "action_submit_human"

    def after_submit(self) -> list[EventType]:
        # The forwarded question is handled; the next handoff must not reuse it.
        return [SlotSet("pending_question", None)]


class ActionResetFormSlots(Action):
    """Clears the form slots after a cancelled form (rules in data/rules/forms.yml)."""

    def name(self) -> str:
        return "action_reset_form_slots"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return reset_form_slots()
