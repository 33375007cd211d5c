"""The feedback inbox service (`admin.tickets`, `admin.ticket_replies`): order, filters, counts,
categories and every change staff make to a ticket, against a temporary SQLite store.

(Named test_admin_tickets.py: tests/actions/test_tickets.py already owns the module name
"test_tickets" in pytest's rootdir import mode.)
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.ticket_categories import CATEGORY_LABELS
from admin.ticket_labels import category_label, history_text
from admin.ticket_notes import Note, append_note, parse_notes
from admin.ticket_replies import send_reply
from admin.tickets import (
    CATEGORY_NONE,
    InboxFilter,
    TicketChangeError,
    add_note,
    assign,
    get_ticket,
    legacy_categories,
    list_tickets,
    set_category,
    set_status,
    status_counts,
)
from storage.db import session_scope
from storage.models import AuditEntry, Ticket
from storage.repositories import create_ticket, create_user

NOW = dt.datetime(2026, 11, 28, 8, 0)


@dataclass
class FakeResult:
    status: str
    detail: str = ""


class RecordingPush:
    """Stands in for `connectors.push.Push`: records each send, answers with a fixed status."""

    def __init__(self, status: str = "sent") -> None:
        self.status = status
        self.sent: list[dict[str, str]] = []

    async def send(self, *, channel: str, recipient: str, text: str) -> FakeResult:
        self.sent.append({"channel": channel, "recipient": recipient, "text": text})
        return FakeResult(self.status, "test")


class ExplodingPush:
    async def send(self, *, channel: str, recipient: str, text: str) -> FakeResult:
        raise RuntimeError("connector bug")


@pytest.fixture()
def session(data_dir: Path) -> Iterator[Session]:
    with session_scope() as session:
        yield session


def _ticket(session: Session, kind: str = "feedback", *, hours_ago: float = 0, status: str = "new",
            school: str = "", assignee: str = "", message: str = "Trường thu thêm tiền quỹ lớp",
            channel: str = "zalo", recipient: str = "zalo-user-1", contact: str = "",
            category: str | None = None) -> Ticket:
    ticket = create_ticket(session, kind=kind, channel=channel, user_hash="h" * 16, recipient=recipient,
                           message=message, contact=contact, school=school)
    ticket.created_at = NOW - dt.timedelta(hours=hours_ago)
    ticket.status = status
    ticket.assignee = assignee
    if category is not None:  # else whatever the categoriser chose at creation
        ticket.category = category
    session.flush()
    return ticket


def _refs(session: Session, filters: InboxFilter, username: str = "lan") -> list[str]:
    return [ticket.reference for ticket in list_tickets(session, filters, username=username).tickets]


def _audit(session: Session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


# Order, filters, counts --------------------------------------------------------------------------

def test_open_misinformation_first_then_new_then_newest(session: Session) -> None:
    old_new = _ticket(session, hours_ago=50)
    in_progress_recent = _ticket(session, "human", hours_ago=1, status="in_progress")
    urgent_old = _ticket(session, "misinformation", hours_ago=72, status="in_progress")
    recent_new = _ticket(session, hours_ago=2)
    urgent_closed = _ticket(session, "misinformation", hours_ago=0.5, status="closed")
    answered_old = _ticket(session, hours_ago=100, status="answered")

    order = _refs(session, InboxFilter())

    assert order == [urgent_old.reference, recent_new.reference, old_new.reference,
                     urgent_closed.reference, in_progress_recent.reference, answered_old.reference]
    assert urgent_old.urgent and urgent_closed.urgent and not recent_new.urgent


def test_filters_by_kind_status_school_and_assignee(session: Session) -> None:
    feedback = _ticket(session, school="THCS Kim Liên", assignee="lan")
    report = _ticket(session, "misinformation", school="THCS Kim Liên", status="in_progress")
    human = _ticket(session, "human", school="TH Nghĩa Tân", assignee="minh", status="in_progress")

    assert _refs(session, InboxFilter(kind="human")) == [human.reference]
    assert set(_refs(session, InboxFilter(status="in_progress"))) == {report.reference, human.reference}
    assert set(_refs(session, InboxFilter(school="THCS Kim Liên"))) == {feedback.reference, report.reference}
    assert _refs(session, InboxFilter(assignee="mine"), username="lan") == [feedback.reference]
    assert _refs(session, InboxFilter(assignee="mine"), username="minh") == [human.reference]
    assert _refs(session, InboxFilter(assignee="none")) == [report.reference]
    assert _refs(session, InboxFilter(assignee="minh")) == [human.reference]
    assert _refs(session, InboxFilter(kind="feedback", status="closed")) == []


def test_search_by_reference_code_or_text(session: Session) -> None:
    fee = _ticket(session, message="Học phí học kỳ 2 thu 100% khi nào?")
    bus = _ticket(session, message="Xe đưa đón đến muộn", contact="Zalo: mẹ bé An")

    assert _refs(session, InboxFilter(query=fee.reference.lower())) == [fee.reference]
    assert _refs(session, InboxFilter(query=fee.reference[3:])) == [fee.reference]
    assert _refs(session, InboxFilter(query="đưa đón")) == [bus.reference]
    assert _refs(session, InboxFilter(query="mẹ bé An")) == [bus.reference]
    # LIKE wildcards in the query are literal characters.
    assert _refs(session, InboxFilter(query="100%")) == [fee.reference]
    assert _refs(session, InboxFilter(query="%")) == [fee.reference]
    assert _refs(session, InboxFilter(query="_")) == []


def test_status_counts_ignore_the_status_filter_but_keep_the_others(session: Session) -> None:
    _ticket(session)
    _ticket(session, status="in_progress")
    _ticket(session, status="closed")
    _ticket(session, "human", status="closed")

    counts = status_counts(session, InboxFilter(kind="feedback", status="new"), username="lan")

    assert counts == {"new": 1, "in_progress": 1, "answered": 0, "closed": 1, "all": 3}
    page = list_tickets(session, InboxFilter(status="closed"), username="lan")
    assert page.total == 2 and page.counts["all"] == 4


def test_pages_of_the_inbox(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("admin.tickets.PAGE_SIZE", 2)
    refs = [_ticket(session, hours_ago=index).reference for index in range(5)]

    first = list_tickets(session, InboxFilter(page=1), username="lan")
    last = list_tickets(session, InboxFilter(page=9), username="lan")

    assert [t.reference for t in first.tickets] == refs[:2] and first.pages == 3 and first.total == 5
    assert last.page == 3 and [t.reference for t in last.tickets] == refs[4:]


def test_filter_parsing_ignores_unknown_values() -> None:
    parsed = InboxFilter.parse({"kind": "spam", "status": "deleted", "page": "x", "school": " TH A ",
                                "assignee": "mine", "q": " GY-ABC ", "category": "  ban_tru "})
    assert parsed == InboxFilter(kind="", status="", category="ban_tru", school="TH A", assignee="mine",
                                 query="GY-ABC", page=1)
    assert InboxFilter.parse({"kind": "human", "status": "closed", "page": "-3"}) == InboxFilter(
        kind="human", status="closed", page=1)


def test_get_ticket_forgives_case_and_spaces(session: Session) -> None:
    ticket = _ticket(session)
    assert get_ticket(session, f"  {ticket.reference.lower()} ") is ticket
    assert get_ticket(session, "GY-NOPE22") is None


# Changes ------------------------------------------------------------------------------------------

def test_status_transitions_are_audited_and_reopening_works(session: Session) -> None:
    ticket = _ticket(session)

    assert set_status(session, ticket, "in_progress", actor="lan")
    assert set_status(session, ticket, "closed", actor="lan")
    assert set_status(session, ticket, "in_progress", actor="minh")
    assert not set_status(session, ticket, "in_progress", actor="minh")
    with pytest.raises(TicketChangeError):
        set_status(session, ticket, "deleted", actor="lan")

    assert ticket.status == "in_progress"
    entries = _audit(session, "ticket.status")
    assert [(e.actor, e.target, e.detail) for e in entries] == [
        ("lan", ticket.reference, {"from": "new", "to": "in_progress"}),
        ("lan", ticket.reference, {"from": "in_progress", "to": "closed"}),
        ("minh", ticket.reference, {"from": "closed", "to": "in_progress"}),
    ]


def test_assign_only_to_active_users(session: Session) -> None:
    create_user(session, username="lan", password="mat-khau-dai-1", full_name="Nguyễn Thị Lan")
    locked = create_user(session, username="cu", password="mat-khau-dai-2")
    locked.active = False
    ticket = _ticket(session)

    assert assign(session, ticket, "lan", actor="admin")
    assert not assign(session, ticket, "lan", actor="admin")
    for bad in ("cu", "khong-ai"):
        with pytest.raises(TicketChangeError):
            assign(session, ticket, bad, actor="admin")
    assert assign(session, ticket, "", actor="admin")

    assert ticket.assignee == ""
    assert [e.detail for e in _audit(session, "ticket.assign")] == [{"from": "", "to": "lan"},
                                                                    {"from": "lan", "to": ""}]


def test_category_comes_from_the_fixed_list_and_is_audited(session: Session) -> None:
    ticket = _ticket(session, category="")
    assert set_category(session, ticket, " hoc_phi ", actor="lan")
    assert ticket.category == "hoc_phi"
    assert not set_category(session, ticket, "hoc_phi", actor="lan")
    for bad, message in (("Học phí – khoản thu", "không có trong danh sách"), ("spam", "không có trong danh sách"),
                         ("", "Chưa chọn phân loại")):
        with pytest.raises(TicketChangeError, match=message):
            set_category(session, ticket, bad, actor="lan")
    assert set_category(session, ticket, "an_toan", actor="minh")
    assert ticket.category == "an_toan"
    assert [(e.actor, e.detail) for e in _audit(session, "ticket.category")] == [
        ("lan", {"from": "", "to": "hoc_phi"}), ("minh", {"from": "hoc_phi", "to": "an_toan"})]


def test_an_older_free_text_category_is_kept_until_replaced(session: Session) -> None:
    ticket = _ticket(session, category="Xe đưa đón")
    assert not set_category(session, ticket, "Xe đưa đón", actor="lan")  # the select sends it back
    assert ticket.category == "Xe đưa đón" and _audit(session, "ticket.category") == []
    assert set_category(session, ticket, "khac", actor="lan")
    assert ticket.category == "khac"
    with pytest.raises(TicketChangeError):
        set_category(session, ticket, "Xe đưa đón", actor="lan")  # no way back to a value off the list


def test_filter_by_category_key_legacy_value_or_none(session: Session) -> None:
    fee = _ticket(session, category="hoc_phi")
    safety = _ticket(session, category="an_toan")
    legacy = _ticket(session, category="Xe đưa đón")
    blank = _ticket(session, category="")

    assert _refs(session, InboxFilter(category="hoc_phi")) == [fee.reference]
    assert _refs(session, InboxFilter(category="an_toan")) == [safety.reference]
    assert _refs(session, InboxFilter(category="Xe đưa đón")) == [legacy.reference]
    assert _refs(session, InboxFilter(category=CATEGORY_NONE)) == [blank.reference]
    assert _refs(session, InboxFilter(category="tuyen_sinh")) == []
    assert status_counts(session, InboxFilter(category="hoc_phi"), username="lan")["all"] == 1
    assert legacy_categories(session) == ["Xe đưa đón"]


def test_category_labels_are_the_categorisers(session: Session) -> None:
    assert category_label("hoc_phi") == CATEGORY_LABELS["hoc_phi"] == "Học phí – khoản thu"
    assert category_label("Xe đưa đón") == "Xe đưa đón" and category_label("") == "Chưa phân loại"
    ticket = _ticket(session, category="Xe đưa đón")
    set_category(session, ticket, "co_so_vat_chat", actor="lan")
    [entry] = _audit(session, "ticket.category")
    assert history_text(entry) == "Phân loại: Xe đưa đón → Cơ sở vật chất"


def test_notes_are_appended_with_author_and_time(session: Session) -> None:
    ticket = _ticket(session)
    add_note(session, ticket, "Đã gọi cho hiệu trưởng", actor="lan")
    first_line = ticket.notes
    add_note(session, ticket, "  Phụ huynh hẹn gọi lại\r\nchiều mai  ", actor="minh")

    notes = parse_notes(ticket.notes)
    assert ticket.notes.startswith(first_line)
    assert [(n.author, n.text, n.kind) for n in notes] == [
        ("lan", "Đã gọi cho hiệu trưởng", "note"),
        ("minh", "Phụ huynh hẹn gọi lại\nchiều mai", "note"),
    ]
    assert all(isinstance(n.at, dt.datetime) for n in notes)
    assert [e.actor for e in _audit(session, "ticket.note")] == ["lan", "minh"]
    for empty in ("", "   \n "):
        with pytest.raises(TicketChangeError, match="Chưa nhập ghi chú"):
            add_note(session, ticket, empty, actor="lan")
    assert len(parse_notes(ticket.notes)) == 2


def test_notes_survive_odd_lines(session: Session) -> None:
    ticket = _ticket(session)
    ticket.notes = "ghi tay không phải JSON\n[1, 2]\n"
    append_note(session, ticket, Note(at=NOW, author="lan", text="dòng\u2028ngăn cách"))
    notes = parse_notes(ticket.notes)
    assert [(n.author, n.text, n.at) for n in notes] == [
        ("", "ghi tay không phải JSON", None), ("", "[1, 2]", None), ("lan", "dòng\u2028ngăn cách", NOW)]
    assert json.loads(ticket.notes.split("\n")[-1])["text"] == "dòng\u2028ngăn cách"


def test_notes_written_at_the_same_time_are_both_kept(data_dir: Path) -> None:
    with session_scope() as setup:
        reference = _ticket(setup).reference
    with session_scope() as first, session_scope() as second:
        mine, theirs = get_ticket(first, reference), get_ticket(second, reference)
        assert mine is not None and theirs is not None
        add_note(first, mine, "ghi chú của Lan", actor="lan")
        first.commit()
        add_note(second, theirs, "ghi chú của Minh", actor="minh")
    with session_scope() as check:
        stored = get_ticket(check, reference)
        assert stored is not None
        assert [n.text for n in parse_notes(stored.notes)] == ["ghi chú của Lan", "ghi chú của Minh"]


# Replies -----------------------------------------------------------------------------------------

async def test_reply_sent_on_the_parents_channel_answers_the_ticket(session: Session) -> None:
    ticket = _ticket(session, "human", channel="messenger", recipient="psid-42", status="in_progress")
    push = RecordingPush("sent")

    outcome = await send_reply(session, ticket, "  Chào chị, nhà trường đã kiểm tra và sẽ hoàn tiền.  ",
                               push=push, actor="lan")

    assert push.sent == [{"channel": "messenger", "recipient": "psid-42",
                          "text": "Chào chị, nhà trường đã kiểm tra và sẽ hoàn tiền."}]
    assert outcome.sent and "Đã gửi" in outcome.message
    assert ticket.status == "answered" and ticket.reply_delivery == "sent"
    assert ticket.reply == "Chào chị, nhà trường đã kiểm tra và sẽ hoàn tiền." and ticket.replied_at
    reply_note = parse_notes(ticket.notes)[-1]
    assert (reply_note.kind, reply_note.delivery, reply_note.author) == ("reply", "sent", "lan")
    [entry] = _audit(session, "ticket.reply")
    assert entry.actor == "lan" and entry.target == ticket.reference
    assert entry.detail["delivery"] == "sent" and entry.detail["status_to"] == "answered"


async def test_undelivered_reply_is_kept_and_explained(session: Session) -> None:
    ticket = _ticket(session, channel="zalo", status="in_progress", contact="0912 345 678")
    push = RecordingPush("undelivered")

    outcome = await send_reply(session, ticket, "Nhà trường xin trả lời chị…", push=push, actor="lan")

    assert len(push.sent) == 1 and not outcome.sent
    assert outcome.message.startswith("Không gửi được: đã ngoài thời hạn trả lời của Zalo")
    assert "số điện thoại" in outcome.message
    assert ticket.status == "in_progress" and ticket.reply_delivery == "undelivered"
    assert ticket.reply == "Nhà trường xin trả lời chị…"
    assert _audit(session, "ticket.reply")[0].detail["delivery"] == "undelivered"


async def test_no_push_service_means_no_channel(session: Session) -> None:
    ticket = _ticket(session, channel="web")
    outcome = await send_reply(session, ticket, "Đã xử lý", push=None, actor="lan")
    assert outcome.delivery == "no_channel" and "chưa được kết nối" in outcome.message
    assert "không để lại số điện thoại" in outcome.message
    assert ticket.status == "new" and ticket.reply_delivery == "undelivered"
    assert parse_notes(ticket.notes)[-1].delivery == "no_channel"


async def test_a_failing_connector_does_not_lose_the_reply(session: Session) -> None:
    ticket = _ticket(session)
    outcome = await send_reply(session, ticket, "Đã xử lý", push=ExplodingPush(), actor="lan")
    assert outcome.delivery == "failed" and ticket.reply_delivery == "failed" and ticket.status == "new"


async def test_reply_without_recipient_is_not_sent(session: Session) -> None:
    ticket = _ticket(session, recipient="")
    push = RecordingPush("sent")
    outcome = await send_reply(session, ticket, "Đã xử lý", push=push, actor="lan")
    assert push.sent == [] and outcome.delivery == "undelivered"


async def test_empty_or_too_long_reply_is_refused_before_sending(session: Session) -> None:
    ticket = _ticket(session)
    push = RecordingPush("sent")
    for text in ("   ", "a" * 2001):
        with pytest.raises(TicketChangeError):
            await send_reply(session, ticket, text, push=push, actor="lan")
    assert push.sent == [] and ticket.reply == "" and _audit(session, "ticket.reply") == []
