"""Data access for the operations tables: what the action server, the connectors, the admin web
and the CLI write and read, as keyword-only functions on a `Session`.

Free text a resident typed goes through `storage.privacy.redact` here, so no caller can store
a phone or ID number by forgetting to; user ids arrive already hashed (`user_hash`), except
`recipient`, the raw platform id kept on tickets, subscriptions and questions to reply on the
platform.
Functions flush (so ids are set) but never commit: the caller's `session_scope()` does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.db import session_scope
from storage.errors import InvalidRoleError, ReferenceCodeExhausted, UserExistsError
from storage.models import AuditEntry, Question, Subscription, Ticket, Turn, User, utcnow
from storage.privacy import redact
from storage.references import PREFIXES, new_reference

ROLES = ("admin", "staff")
MIN_PASSWORD_CHARS = 10  # the CLI and the admin web refuse shorter passwords
TICKET_KINDS = tuple(PREFIXES)
REFERENCE_ATTEMPTS = 8
Rating = Literal["good", "bad"]
RATINGS: tuple[Rating, ...] = ("good", "bad")

_hasher = PasswordHasher()


# Questions and ratings -------------------------------------------------------------------------

def record_question(
    session: Session,
    *,
    channel: str,
    user_hash: str,
    text: str,
    answered: bool,
    confidence: float,
    answer: str = "",
    tentative: bool = False,
    doc_ids: Sequence[str] = (),
    school: str | None = None,
    recipient: str = "",
) -> Question:
    """Store a knowledge question and the bot's answer; it starts in the review queue ("open").

    `recipient` is the raw platform id of the asker, kept only so staff can send an answer later.
    """
    question = Question(
        channel=channel,
        user_hash=user_hash,
        text=redact(text),
        answered=answered,
        confidence=float(confidence),
        tentative=tentative,
        answer=answer,
        doc_ids=list(doc_ids),
        school=school or None,
        recipient=recipient,
    )
    session.add(question)
    session.flush()
    return question


def rate_question(session: Session, *, question_id: int, rating: str) -> Question | None:
    """Record a resident's rating; None when the question does not exist.

    A good rating of an answered question takes it out of the review queue ("ok"); a bad
    rating puts it back in ("open") if it had been taken out that way.
    """
    if rating not in RATINGS:
        raise ValueError(f"unknown rating {rating!r}")
    question = session.get(Question, question_id)
    if question is None:
        return None
    question.rating = rating
    question.rated_at = utcnow()
    if rating == "good" and question.answered and question.review_status == "open":
        question.review_status = "ok"
    elif rating == "bad" and question.review_status == "ok":
        question.review_status = "open"
    session.flush()
    return question


# Tickets -----------------------------------------------------------------------------------------

def create_ticket(
    session: Session,
    *,
    kind: str,
    channel: str,
    user_hash: str,
    recipient: str,
    message: str,
    contact: str = "",
    school: str = "",
    category: str = "",
    urgent: bool | None = None,
    new_code: Callable[[str], str] = new_reference,
) -> Ticket:
    """Store a ticket under a fresh reference code; misinformation reports are urgent by default."""
    if kind not in TICKET_KINDS:
        raise ValueError(f"unknown ticket kind {kind!r}")
    ticket = Ticket(
        reference=_free_reference(session, kind, new_code),
        kind=kind,
        channel=channel,
        user_hash=user_hash,
        recipient=recipient,
        message=redact(message),
        contact=contact.strip()[:200],
        school=school or "",
        category=category,
        urgent=(kind == "misinformation") if urgent is None else urgent,
    )
    session.add(ticket)
    session.flush()
    return ticket


def _free_reference(session: Session, kind: str, new_code: Callable[[str], str]) -> str:
    for _ in range(REFERENCE_ATTEMPTS):
        code = new_code(kind)
        taken = session.scalar(select(Ticket.id).where(Ticket.reference == code))
        if taken is None:
            return code
    raise ReferenceCodeExhausted(f"no free {kind} reference after {REFERENCE_ATTEMPTS} tries")


def get_ticket(session: Session, *, reference: str) -> Ticket | None:
    """The ticket with this reference code, if any."""
    return session.scalar(select(Ticket).where(Ticket.reference == reference))


# Subscriptions -----------------------------------------------------------------------------------

def set_subscription(
    session: Session, *, channel: str, user_hash: str, recipient: str, active: bool
) -> Subscription:
    """Create or update the resident's subscription on this channel (one row per resident)."""
    subscription = session.scalar(
        select(Subscription).where(
            Subscription.channel == channel, Subscription.user_hash == user_hash
        )
    )
    if subscription is None:
        subscription = Subscription(channel=channel, user_hash=user_hash)
        session.add(subscription)
    subscription.recipient = recipient
    subscription.active = active
    session.flush()
    return subscription


# Staff accounts ----------------------------------------------------------------------------------

def create_user(
    session: Session, *, username: str, password: str, role: str = "staff", full_name: str = ""
) -> User:
    """Create a staff or admin account; the password is stored as an argon2 hash."""
    if role not in ROLES:
        raise InvalidRoleError(f"vai trò không hợp lệ: {role!r} (chỉ {', '.join(ROLES)})")
    username = username.strip()
    if get_user(session, username=username) is not None:
        raise UserExistsError(f"tài khoản {username!r} đã tồn tại")
    user = User(
        username=username,
        password_hash=_hasher.hash(password),
        role=role,
        full_name=full_name,
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, *, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username.strip()))


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def verify_password(session: Session, *, username: str, password: str) -> User | None:
    """The active account if `password` is right, else None (also for unknown users).

    Re-hashes the password when the stored hash uses older argon2 parameters.
    """
    user = get_user(session, username=username)
    if user is None or not user.active:
        _hasher.hash(password)  # spend the same time as a real check
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        session.flush()
    return user


def set_password(session: Session, *, user: User, password: str) -> None:
    """Replace a user's password (stored as a new argon2 hash)."""
    user.password_hash = _hasher.hash(password)
    session.flush()


# Audit log and turn log --------------------------------------------------------------------------

def add_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record one change made by a person or a command ("user.create", "ticket.close" …)."""
    entry = AuditEntry(actor=actor, action=action, target=target, detail=dict(detail or {}))
    session.add(entry)
    session.flush()
    return entry


def log_turn(
    session: Session | None = None,
    *,
    channel: str,
    user_hash: str,
    text: str,
    reply: str = "",
    message_id: str | None = None,
    intent: str | None = None,
    intent_confidence: float | None = None,
    answered: bool | None = None,
    confidence: float | None = None,
    sources: Sequence[Any] = (),
    latency_ms: float | None = None,
    delivery: str = "sent",
    school: str | None = None,
) -> Turn:
    """Record one resident message and the bot's reply.

    Without `session`, the row is written in its own transaction (the connectors call it so).
    """
    if session is None:
        with session_scope() as own_session:
            return log_turn(
                own_session, channel=channel, user_hash=user_hash, text=text, reply=reply,
                message_id=message_id, intent=intent, intent_confidence=intent_confidence,
                answered=answered, confidence=confidence, sources=sources,
                latency_ms=latency_ms, delivery=delivery, school=school,
            )
    turn = Turn(
        channel=channel,
        user_hash=user_hash,
        message_id=message_id,
        text=redact(text),
        reply=reply,
        intent=intent,
        intent_confidence=intent_confidence,
        answered=answered,
        confidence=confidence,
        sources=list(sources),
        latency_ms=latency_ms,
        delivery=delivery,
        school=school,
    )
    session.add(turn)
    session.flush()
    return turn
