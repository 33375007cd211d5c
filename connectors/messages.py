"""The channel-independent shapes of a message in and a message out.

Every platform module turns its webhook payload into `IncomingMessage`s and sends
`OutgoingMessage`s; the Rasa client turns Rasa's REST replies into `OutgoingMessage`s.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

CHANNELS = ("web", "zalo", "messenger")


@dataclass(frozen=True)
class IncomingMessage:
    """One thing a resident sent: text, or the payload of a button they pressed."""

    channel: str  # one of CHANNELS
    user_id: str  # platform user id (PSID, Zalo user id, web session id); never logged in clear
    message_id: str  # platform message id, the deduplication key
    text: str = ""
    payload: str | None = None  # quick-reply / postback payload, preferred over text
    timestamp_ms: int = 0
    kind: str = "text"  # text, unsupported (image, sticker, file …), follow, unfollow

    @property
    def sender(self) -> str:
        """The Rasa sender id: "<channel>:<user id>"."""
        return f"{self.channel}:{self.user_id}"

    @property
    def rasa_text(self) -> str:
        """What goes to Rasa: the payload if a button was pressed, else the text."""
        return self.payload or self.text


@dataclass(frozen=True)
class QuickReply:
    title: str
    payload: str


@dataclass
class OutgoingMessage:
    """One bot message: text, optional quick replies, and answer metadata when it is an answer."""

    text: str
    quick_replies: list[QuickReply] = field(default_factory=list)
    # From the action's answer_meta: answered, confidence, sources (doc_id, title, number, section, url …)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
