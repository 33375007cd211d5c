"""Repositories of the operations tables: questions and ratings, tickets, subscriptions, users,
the audit and turn logs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.db import session_scope
from storage.errors import InvalidRoleError, ReferenceCodeExhausted, UserExistsError
from storage.models import AuditEntry, Ticket, Turn, User
from storage.references import ALPHABET, new_reference
from storage.repositories import (
    add_audit,
    create_ticket,
    create_user,
    get_ticket,
    list_users,
    log_turn,
    rate_question,
    record_question,
    set_subscription,
    verify_password,
)


@pytest.fixture()
def session(data_dir: Path) -> Iterator[Session]:
    with session_scope() as session:
        yield session


def _question(session: Session, *, answered: bool) -> int:
    return record_question(session, channel="web", user_hash="h", text="giờ học buổi sáng",
                           answered=answered, confidence=0.7, doc_ids=["lich-hoc"]).id


# Questions ---------------------------------------------------------------------------------------

def test_record_question_redacts_and_starts_open(session: Session) -> None:
    row = record_question(session, channel="zalo", user_hash="h1", answered=False,
                          confidence=0.2, text="con em CCCD 001234567890 cần giấy gì")
    assert row.id is not None
    assert row.text == "con em CCCD [số giấy tờ] cần giấy gì"
    assert row.review_status == "open" and row.rating is None and row.doc_ids == []


@pytest.mark.parametrize(("answered", "ratings", "status"), [
    (True, ["good"], "ok"),
    (True, ["bad"], "open"),
    (True, ["good", "bad"], "open"),
    (False, ["good"], "open"),  # "no information" rated good is still a gap in the knowledge base
])
def test_rating_moves_questions_in_and_out_of_the_review_queue(
    session: Session, answered: bool, ratings: list[str], status: str
) -> None:
    question_id = _question(session, answered=answered)
    for rating in ratings:
        row = rate_question(session, question_id=question_id, rating=rating)
    assert row is not None and row.rating == ratings[-1] and row.review_status == status


def test_rating_keeps_a_status_set_by_an_admin(session: Session) -> None:
    question_id = _question(session, answered=False)
    row = rate_question(session, question_id=question_id, rating="bad")
    assert row is not None
    row.review_status = "answered"
    row = rate_question(session, question_id=question_id, rating="good")
    assert row is not None and row.review_status == "answered"


def test_rating_an_unknown_question_or_with_an_unknown_value(session: Session) -> None:
    assert rate_question(session, question_id=12345, rating="good") is None
    with pytest.raises(ValueError):
        rate_question(session, question_id=_question(session, answered=True), rating="meh")


# Tickets -----------------------------------------------------------------------------------------

def _ticket(session: Session, kind: str = "feedback", **extra: Any) -> Ticket:
    return create_ticket(session, kind=kind, channel="zalo", user_hash="h", recipient="99",
                         message="Đường vào trường ngập nước, gọi 0912.345.678", **extra)


@pytest.mark.parametrize(("kind", "prefix", "urgent"), [
    ("feedback", "GY", False), ("misinformation", "TS", True), ("human", "CB", False),
])
def test_ticket_reference_and_urgency_depend_on_its_kind(
    session: Session, kind: str, prefix: str, urgent: bool
) -> None:
    ticket = _ticket(session, kind)
    assert re.fullmatch(rf"{prefix}-[{ALPHABET}]{{6}}", ticket.reference)
    assert ticket.urgent is urgent and ticket.status == "new"
    assert ticket.message == "Đường vào trường ngập nước, gọi [số điện thoại]"
    assert get_ticket(session, reference=ticket.reference) is ticket


def test_ticket_contact_is_kept_as_given_and_urgency_can_be_forced(session: Session) -> None:
    ticket = _ticket(session, contact=" 0912 345 678 ", urgent=True, school="TH Kim Đồng")
    assert ticket.contact == "0912 345 678" and ticket.urgent and ticket.school == "TH Kim Đồng"


def test_colliding_reference_is_drawn_again(session: Session) -> None:
    codes = iter(["GY-AAAAAA", "GY-AAAAAA", "GY-BBBBBB"])
    first = _ticket(session, new_code=lambda kind: next(codes))
    second = _ticket(session, new_code=lambda kind: next(codes))
    assert (first.reference, second.reference) == ("GY-AAAAAA", "GY-BBBBBB")


def test_reference_space_exhausted_raises(session: Session) -> None:
    _ticket(session, new_code=lambda kind: "GY-AAAAAA")
    with pytest.raises(ReferenceCodeExhausted):
        _ticket(session, new_code=lambda kind: "GY-AAAAAA")


def test_unknown_ticket_kind_is_refused(session: Session) -> None:
    with pytest.raises(ValueError):
        _ticket(session, "complaint")


def test_reference_alphabet_has_no_look_alikes() -> None:
    assert not set("0O1I") & set(ALPHABET)
    codes = {new_reference("human") for _ in range(200)}
    assert len(codes) == 200
    assert all(re.fullmatch(rf"CB-[{ALPHABET}]{{6}}", code) for code in codes)


# Subscriptions -----------------------------------------------------------------------------------

def test_set_subscription_upserts_one_row_per_resident_and_channel(session: Session) -> None:
    first = set_subscription(session, channel="zalo", user_hash="h", recipient="1", active=True)
    again = set_subscription(session, channel="zalo", user_hash="h", recipient="1", active=False)
    other = set_subscription(session, channel="web", user_hash="h", recipient="1", active=True)
    assert again is first and not first.active and other.id != first.id


# Users -------------------------------------------------------------------------------------------

def test_create_user_stores_an_argon2_hash(session: Session) -> None:
    user = create_user(session, username=" hieutruong ", password="mật khẩu dài", role="admin")
    assert user.username == "hieutruong" and user.role == "admin" and user.active
    assert user.password_hash.startswith("$argon2id$") and "mật khẩu" not in user.password_hash
    assert PasswordHasher().verify(user.password_hash, "mật khẩu dài")


def test_create_user_refuses_duplicates_and_unknown_roles(session: Session) -> None:
    create_user(session, username="gv01", password="x" * 10)
    with pytest.raises(UserExistsError):
        create_user(session, username="gv01", password="y" * 10)
    with pytest.raises(InvalidRoleError):
        create_user(session, username="gv02", password="x" * 10, role="root")
    assert [u.username for u in list_users(session)] == ["gv01"]


def test_verify_password(session: Session) -> None:
    user = create_user(session, username="canbo", password="dung-roi-123")
    assert verify_password(session, username="canbo", password="dung-roi-123") is user
    assert verify_password(session, username="canbo", password="sai-roi-123") is None
    assert verify_password(session, username="khongco", password="dung-roi-123") is None
    user.active = False
    assert verify_password(session, username="canbo", password="dung-roi-123") is None


def test_verify_password_upgrades_an_old_hash(session: Session) -> None:
    user = create_user(session, username="cu", password="mat-khau-cu")
    old_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash("mat-khau-cu")
    user.password_hash = old_hash
    assert verify_password(session, username="cu", password="mat-khau-cu") is user
    assert user.password_hash != old_hash
    assert PasswordHasher().verify(user.password_hash, "mat-khau-cu")


def test_verify_password_with_a_corrupt_hash_fails_closed(session: Session) -> None:
    user = create_user(session, username="hong", password="mat-khau-hong")
    user.password_hash = "not-a-hash"
    assert verify_password(session, username="hong", password="mat-khau-hong") is None


# Audit and turn logs -----------------------------------------------------------------------------

def test_add_audit(session: Session) -> None:
    add_audit(session, actor="cli", action="user.create", target="gv01", detail={"role": "staff"})
    [entry] = session.scalars(select(AuditEntry)).all()
    assert (entry.actor, entry.action, entry.target, entry.detail) == (
        "cli", "user.create", "gv01", {"role": "staff"})


def test_log_turn_in_a_session_redacts_the_resident_text(session: Session) -> None:
    turn = log_turn(session, channel="web", user_hash="h", text="sđt 0912345678",
                    reply="Dạ vâng", answered=True, confidence=0.9,
                    sources=[{"doc_id": "a"}], latency_ms=12.5)
    assert turn.text == "sđt [số điện thoại]" and turn.sources == [{"doc_id": "a"}]
    assert turn.delivery == "sent"


def test_log_turn_without_a_session_commits_its_own(data_dir: Path) -> None:
    log_turn(channel="zalo", user_hash="h", text="xin chào", message_id="m1")
    with session_scope() as session:
        [turn] = session.scalars(select(Turn)).all()
    assert (turn.channel, turn.message_id, turn.text) == ("zalo", "m1", "xin chào")


def test_nothing_is_committed_when_the_caller_fails(data_dir: Path) -> None:
    with pytest.raises(RuntimeError), session_scope() as session:
        create_user(session, username="tam", password="x" * 10)
        raise RuntimeError("later step failed")
    with session_scope() as session:
        assert session.scalars(select(User)).all() == []
