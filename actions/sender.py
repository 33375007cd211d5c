"""Who is talking: the channel and platform user id inside Rasa's sender id, and its hash.

The connectors send `sender = "<channel>:<platform user id>"` (see the dialogue contract); a
sender id without a known channel prefix (the Rasa shell, tests, the REST channel used directly)
is a web-chat user.  Only `Sender.user_hash` may reach logs and analytics; `user_id` is stored
solely as the recipient of tickets and subscriptions, to reply on the platform.
"""

from __future__ import annotations

from dataclasses import dataclass

from rasa_sdk import Tracker

from storage.privacy import hash_user_id
from storage.settings import get_storage_settings

CHANNELS = ("web", "zalo", "messenger")
DEFAULT_CHANNEL = "web"


@dataclass(frozen=True)
class Sender:
    channel: str
    user_id: str
    user_hash: str


def split_sender_id(sender_id: str) -> tuple[str, str]:
    """("zalo", "12345") for "zalo:12345"; ("web", sender_id) when there is no channel prefix."""
    channel, separator, user_id = sender_id.partition(":")
    if separator and channel in CHANNELS and user_id:
        return channel, user_id
    return DEFAULT_CHANNEL, sender_id


def sender_of(tracker: Tracker, salt: str | None = None) -> Sender:
    """The sender of the conversation in `tracker`, its user id hashed with the storage salt."""
    channel, user_id = split_sender_id(tracker.sender_id or "")
    salt = get_storage_settings().hash_salt if salt is None else salt
    return Sender(channel=channel, user_id=user_id, user_hash=hash_user_id(user_id, salt))
