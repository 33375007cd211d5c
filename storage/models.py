"""Tables for what residents and staff do: the turn log, ratings, unanswered questions,
feedback/reports/tickets, subscriptions, admin users and the audit log.

Knowledge-base tables (documents, versions, chunks, FAQ) live in `storage.kb_models`.
Platform user ids are never stored in clear: `user_hash` is `storage.privacy.hash_user_id(...)`;
free text is stored after `storage.privacy.redact(...)`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import Base


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Turn(Base):
    """One resident message and the bot's reply to it."""

    __tablename__ = "turns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(String(20), index=True)  # web, zalo, messenger
    user_hash: Mapped[str] = mapped_column(String(64), index=True)
    message_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    text: Mapped[str] = mapped_column(Text, default="")  # redacted
    intent: Mapped[str | None] = mapped_column(String(60), nullable=True)
    intent_confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    answered: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    sources: Mapped[list[Any]] = mapped_column(JSON, default=list)
    reply: Mapped[str] = mapped_column(Text, default="")
    latency_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    delivery: Mapped[str] = mapped_column(String(20), default="sent")  # sent, undelivered, failed
    school: Mapped[str | None] = mapped_column(String(120), nullable=True)


class Question(Base):
    """A knowledge question the bot handled: what it answered and how it was rated.

    Unanswered, tentative, low-confidence and badly rated questions form the admins' review
    queue.
    """

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(String(20), index=True)
    user_hash: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text)  # redacted
    answered: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    # Answered with the caveat that it may not match the question (retrieval.answer).
    tentative: Mapped[bool] = mapped_column(Boolean, default=False)
    answer: Mapped[str] = mapped_column(Text, default="")
    doc_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    rating: Mapped[str | None] = mapped_column(String(10), nullable=True)  # good, bad
    rated_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    review_status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    # open, answered (became an FAQ), attached, dismissed, ok (answered well; not in the queue)
    review_note: Mapped[str] = mapped_column(Text, default="")
    school: Mapped[str | None] = mapped_column(String(120), nullable=True)
    # Raw platform id of the asker, kept only to send a staff answer on the platform while its
    # window is open; never written to logs or exports.
    recipient: Mapped[str] = mapped_column(String(200), default="")
    reviewed_by: Mapped[str] = mapped_column(String(80), default="")
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # The FAQ entry or document that now answers it (review_status answered/attached).
    resolution_doc_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    answer_delivery: Mapped[str] = mapped_column(String(20), default="")
    # "", sent, undelivered (outside the window or no channel), failed


class Ticket(Base):
    """Feedback (góp ý, phản ánh), a misinformation report or a request for a person."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True, index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)  # feedback, misinformation, human
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    channel: Mapped[str] = mapped_column(String(20))
    user_hash: Mapped[str] = mapped_column(String(64), index=True)
    # Kept so staff can reply on the platform; never written to logs or exports.
    recipient: Mapped[str] = mapped_column(String(200), default="")
    message: Mapped[str] = mapped_column(Text)  # redacted
    contact: Mapped[str] = mapped_column(String(200), default="")  # given on purpose by the parent
    school: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(60), default="")
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    # new, in_progress, answered, closed
    assignee: Mapped[str] = mapped_column(String(80), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    reply: Mapped[str] = mapped_column(Text, default="")  # the staff answer sent to the parent
    replied_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    reply_delivery: Mapped[str] = mapped_column(String(20), default="")  # "", sent, undelivered, failed


class Subscription(Base):
    """A resident who asked to receive announcements on a channel."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(20))
    user_hash: Mapped[str] = mapped_column(String(64), index=True)
    recipient: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class User(Base):
    """A staff or admin account of the admin web."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(80), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="staff")  # admin, staff
    full_name: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AuditEntry(Base):
    """One change made by a staff member, an admin or a CLI command."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

