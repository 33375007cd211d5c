"""Replying to the parent who wrote a ticket, on the channel they wrote from.

The reply goes through `request.app.state.push` (`connectors.push.Push`); whatever happens to it
(sent, outside the platform's reply window, channel not configured, connector error) the text is
kept on the ticket (`Ticket.reply`, a "reply" note in `admin.ticket_notes`) and written to the
audit log, and the ticket becomes "answered" only when the parent actually received it.  Split
from `admin.tickets` (queries and the other changes) to keep both modules small.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from admin.audit import record
from admin.ticket_labels import delivery_message
from admin.ticket_notes import Note, append_note
from admin.tickets import clean_text
from storage.models import Ticket, utcnow

logger = logging.getLogger(__name__)

DELIVERY_STATUSES = ("sent", "undelivered", "failed", "no_channel")
MAX_REPLY_CHARS = 2000  # one Zalo / Messenger text


class PushOutcome(Protocol):
    """What `connectors.push.Push.send` returns (`PushResult`)."""

    status: str
    detail: str


class PushSender(Protocol):
    """`request.app.state.push`: sends a text to a parent on their channel."""

    async def send(self, *, channel: str, recipient: str, text: str) -> PushOutcome: ...


@dataclass(frozen=True)
class ReplyOutcome:
    delivery: str  # sent, undelivered, failed, no_channel
    message: str  # Vietnamese, for the flash

    @property
    def sent(self) -> bool:
        return self.delivery == "sent"


async def _deliver(push: PushSender | None, ticket: Ticket, text: str) -> str:
    if push is None:
        return "no_channel"
    if not ticket.recipient:
        return "undelivered"
    try:
        result = await push.send(channel=ticket.channel, recipient=ticket.recipient, text=text)
    except Exception:  # a connector bug must not lose the staff member's reply
        logger.exception("push to %s for ticket %s raised", ticket.channel, ticket.reference)
        return "failed"
    status = str(getattr(result, "status", "failed"))
    if status not in DELIVERY_STATUSES:
        logger.warning("push returned unknown status %r for %s", status, ticket.reference)
        return "failed"
    if status != "sent":
        logger.info("reply to %s not delivered on %s: %s (%s)", ticket.reference, ticket.channel,
                    status, getattr(result, "detail", ""))
    return status


async def send_reply(
    session: Session, ticket: Ticket, text: str, *, push: PushSender | None, actor: str
) -> ReplyOutcome:
    """Send `text` to the parent on their channel and record it; answered only when delivered.

    `push` is `request.app.state.push` (None when the app has none: every send is `no_channel`).
    The reply is stored either way (`Ticket.reply`, a "reply" note) so staff can use it when
    they phone the parent; an undelivered reply leaves the status as it was.
    """
    text = clean_text(text, MAX_REPLY_CHARS, "câu trả lời")
    delivery = await _deliver(push, ticket, text)
    ticket.reply = text
    ticket.replied_at = utcnow()
    # The column keeps sent / undelivered / failed; "no channel" counts as undelivered.
    ticket.reply_delivery = "undelivered" if delivery == "no_channel" else delivery
    append_note(session, ticket,
                Note(at=ticket.replied_at, author=actor, text=text, kind="reply", delivery=delivery))
    previous = ticket.status
    if delivery == "sent":
        ticket.status = "answered"
    record(session, actor=actor, action="ticket.reply", target=ticket.reference,
           detail={"delivery": delivery, "channel": ticket.channel, "chars": len(text),
                   "status_from": previous, "status_to": ticket.status})
    session.flush()
    return ReplyOutcome(delivery=delivery,
                        message=delivery_message(delivery, ticket.channel, has_contact=bool(ticket.contact)))
