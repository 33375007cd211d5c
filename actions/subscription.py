"""action_subscribe / action_unsubscribe: the parent opts in or out of announcements.

One subscription row per resident and channel; the raw platform id is kept as its recipient so
that announcements can be pushed on the platform later.

"Đăng ký" is also how parents say registering for a school service, and the dialogue model
now and then reads "đăng ký xe đưa đón ở đâu" as a request for announcements.  A message that
says nothing of announcements (`actions.intake.names_no_announcements`) is a question: it is
answered from the knowledge base (or declined and queued for staff) like any other, and the
subscription is left as it was.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.answer import answer_question, message_text
from actions.intake import names_no_announcements
from actions.sender import Sender, sender_of
from storage.db import session_scope
from storage.errors import StorageError
from storage.repositories import set_subscription

logger = logging.getLogger(__name__)


def _store_subscription(sender: Sender, active: bool) -> None:
    with session_scope() as session:
        set_subscription(session, channel=sender.channel, user_hash=sender.user_hash,
                         recipient=sender.user_id, active=active)


class SetSubscription(Action, ABC):
    active: ClassVar[bool]
    response: ClassVar[str]

    @abstractmethod
    def name(self) -> str:
        """Abstract, so the action server does not register this base class itself."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = message_text(tracker)
        if names_no_announcements(text):
            return await answer_question(dispatcher, tracker, text) or []
        sender = sender_of(tracker)
        try:
            await asyncio.to_thread(_store_subscription, sender, self.active)
        except (SQLAlchemyError, StorageError) as error:
            logger.error("could not set subscription of %s to %s: %s", sender.user_hash,
                         self.active, type(error).__name__)
            dispatcher.utter_message(response="utter_subscription_failed")
            return []
        logger.info("subscription of %s on %s: active=%s", sender.user_hash, sender.channel,
                    self.active)
        dispatcher.utter_message(response=self.response)
        return []


class ActionSubscribe(SetSubscription):
    active = True
    response = "utter_subscribed"

    def name(self) -> str:
        return "action_subscribe"


class ActionUnsubscribe(SetSubscription):
    active = False
    response = "utter_unsubscribed"

    def name(self) -> str:
        return "action_unsubscribe"
