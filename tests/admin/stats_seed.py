"""Seeding the store through the repositories with fixed dates, for the statistics tests.

Rows are created by `storage.repositories` (so redaction and defaults are the real ones) and
then moved to fixed local times (Vietnam, UTC+7) by setting `created_at` in naive UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from storage.kb_models import Document
from storage.models import Question, Ticket, Turn
from storage.repositories import create_ticket, log_turn, rate_question, record_question

DAY1, DAY2, DAY3 = dt.date(2026, 11, 18), dt.date(2026, 11, 19), dt.date(2026, 11, 20)
SCHOOL = "THCS Hòa Bình"
PHONE = "0912 345 678"
CCCD = "012345678901"
RAW_TEXT = f"Gọi cho tôi số {PHONE}, CCCD {CCCD} nhé"
RECIPIENT = "zalo-raw-recipient-778899"
CONTACT = "chị Lan 0987654321"


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """Naive UTC of a local (UTC+7) time."""
    return dt.datetime.combine(day, dt.time(hour, minute)) - dt.timedelta(hours=7)


def turn(session: Session, when: dt.datetime, channel: str = "web", **fields: Any) -> Turn:
    row = log_turn(session, channel=channel, user_hash=fields.pop("user_hash", "u1"),
                   text=fields.pop("text", "xin chào"), **fields)
    row.created_at = when
    session.flush()
    return row


def question(session: Session, when: dt.datetime, text: str, *, answered: bool, doc_ids: tuple[str, ...] = (),
             school: str | None = None, rating: str | None = None, user_hash: str = "u1",
             tentative: bool = False) -> Question:
    row = record_question(session, channel="web", user_hash=user_hash, text=text, answered=answered,
                          confidence=0.8 if answered else 0.1, answer="Theo quy định…" if answered else "",
                          doc_ids=doc_ids, school=school, tentative=tentative)
    row.created_at = when
    if rating is not None:
        rate_question(session, question_id=row.id, rating=rating)
        row.rated_at = when + dt.timedelta(minutes=5)
    session.flush()
    return row


def ticket(session: Session, when: dt.datetime, kind: str, message: str = "Trường cần sửa mái che", **fields: Any
           ) -> Ticket:
    row = create_ticket(session, kind=kind, channel="zalo", user_hash=fields.pop("user_hash", "u2"),
                        recipient=fields.pop("recipient", RECIPIENT), message=message, **fields)
    row.created_at = when
    session.flush()
    return row


def seed_range(session: Session) -> None:
    """Three days of activity (DAY1..DAY3) plus one message just after DAY3 ends."""
    session.add(Document(id="hoc-phi", title="Quy định học phí 2025–2026", kind="document"))
    for channel in ("web", "web", "zalo"):
        turn(session, at(DAY1, 9), channel)
    turn(session, at(DAY2, 6, 30), "web", sources=[{"doc_id": "da-xoa", "title": "Thông báo cũ"}])  # 23:30 UTC DAY1
    turn(session, at(DAY3, 10), "messenger", school=SCHOOL)
    turn(session, at(DAY3 + dt.timedelta(days=1), 0, 30), "web")  # outside the range
    question(session, at(DAY1, 9), "Học phí năm nay bao nhiêu?", answered=True, doc_ids=("hoc-phi",), rating="good")
    question(session, at(DAY1, 10), "Thông báo cũ nói gì?", answered=True, doc_ids=("da-xoa",), tentative=True)
    question(session, at(DAY2, 8), "hoc phi nam nay bao nhieu", answered=True, doc_ids=("hoc-phi",), rating="bad")
    question(session, at(DAY2, 9), RAW_TEXT, answered=False)
    question(session, at(DAY3, 9), "Học phí năm nay bao nhiêu?", answered=True, doc_ids=("hoc-phi",))
    question(session, at(DAY3, 10), "Lịch nghỉ Tết?", answered=False, school=SCHOOL)
    ticket(session, at(DAY2, 14), "feedback", category="co_so_vat_chat", contact=CONTACT)
    ticket(session, at(DAY3, 8), "misinformation", message=f"Tin sai, gọi {PHONE}", school=SCHOOL)
    ticket(session, at(DAY3, 9), "human", message="Cho tôi gặp cô giáo")
