"""What the home page of the admin web shows: a few counts and the "Sắp hết hiệu lực" panel.

Plain queries on the storage models, kept apart from the route so they are tested on their own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin.review import queue_count
from storage.kb_models import Document
from storage.models import Ticket

EXPIRING_KINDS = ("document", "announcement")


@dataclass(frozen=True)
class Counts:
    documents_active: int
    questions_open: int
    tickets_new: int
    misinformation_urgent: int


def counts(session: Session, *, low_confidence: float) -> Counts:
    """Active documents, questions in the review queue, new tickets, urgent misinformation reports.

    The question count is the review queue's own (`admin.review.queue_count`): unanswered,
    answered below `low_confidence`, or rated unhelpful, and not yet handled.
    """
    documents = session.scalar(
        select(func.count()).select_from(Document)
        .where(Document.status == "active", Document.kind.in_(EXPIRING_KINDS))
    )
    questions = queue_count(session, low_confidence=low_confidence)
    tickets = session.scalar(select(func.count()).select_from(Ticket).where(Ticket.status == "new"))
    urgent = session.scalar(
        select(func.count()).select_from(Ticket).where(
            Ticket.kind == "misinformation", Ticket.urgent.is_(True),
            Ticket.status.in_(("new", "in_progress")),
        )
    )
    return Counts(int(documents or 0), int(questions or 0), int(tickets or 0), int(urgent or 0))


def expiring(session: Session, *, today: dt.date, days: int) -> list[Document]:
    """Active documents and announcements whose validity ends within `days` days (soonest first)."""
    return list(session.scalars(
        select(Document).where(
            Document.status == "active", Document.kind.in_(EXPIRING_KINDS),
            Document.valid_until.is_not(None), Document.valid_until >= today,
            Document.valid_until <= today + dt.timedelta(days=days),
        ).order_by(Document.valid_until, Document.title)
    ))


def recently_expired(session: Session, *, today: dt.date, days: int) -> list[Document]:
    """Active documents and announcements that expired within the last `days` days (newest first)."""
    return list(session.scalars(
        select(Document).where(
            Document.status == "active", Document.kind.in_(EXPIRING_KINDS),
            Document.valid_until.is_not(None), Document.valid_until < today,
            Document.valid_until >= today - dt.timedelta(days=days),
        ).order_by(Document.valid_until.desc(), Document.title)
    ))
