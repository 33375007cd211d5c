"""The feedback inbox: góp ý / phản ánh, misinformation reports and requests for a person.

Queries (inbox order, filters, status counts) and every change staff make to a ticket (status,
assignee, category, internal note; the reply to the parent is `admin.ticket_replies`).  Each
change is written to the audit log through `admin.audit.record`; the routes in
`admin.routes.tickets` only parse forms.

Inbox order: open (new / in progress) misinformation reports first — they are urgent, a wrong
notice may be spreading — then new tickets, then newest first.  A closed urgent report keeps its
"Khẩn" badge but no longer jumps the queue.

Categories are the fixed topics of `actions.ticket_categories` (set at creation by the
categoriser, corrected here by staff); a value outside that list (typed before the list existed)
is kept and shown as it is until someone picks a topic from the list.

Internal notes and every reply attempt are appended to `Ticket.notes` (format in
`admin.ticket_notes`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from actions.ticket_categories import CATEGORY_LABELS
from admin.audit import record
from admin.errors import AdminError
from admin.ticket_notes import Note, append_note
from storage.models import AuditEntry, Ticket, User, utcnow

logger = logging.getLogger(__name__)

STATUSES = ("new", "in_progress", "answered", "closed")
OPEN_STATUSES = ("new", "in_progress")
KINDS = ("feedback", "misinformation", "human")
MAX_NOTE_CHARS = 2000
MAX_CATEGORY_CHARS = 60  # the column
CATEGORY_NONE = "none"  # the filter value of tickets without a category
PAGE_SIZE = 50
ASSIGNEE_MINE = "mine"
ASSIGNEE_NONE = "none"


class TicketChangeError(AdminError):
    """A change staff asked for is not valid; the route shows its (Vietnamese) message as an error
    flash and changes nothing."""


@dataclass(frozen=True)
class InboxFilter:
    """What the inbox shows; empty strings mean "all"."""

    kind: str = ""
    status: str = ""
    category: str = ""  # a key, CATEGORY_NONE or an older free-text value
    school: str = ""
    assignee: str = ""  # "", "mine", "none" or a username
    query: str = ""
    page: int = 1

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> InboxFilter:
        """The filter from query parameters; unknown values are ignored (show all)."""
        kind = params.get("kind", "")
        status = params.get("status", "")
        try:
            page = max(1, int(params.get("page", "1") or "1"))
        except ValueError:
            page = 1
        return cls(
            kind=kind if kind in KINDS else "",
            status=status if status in STATUSES else "",
            category=" ".join(params.get("category", "").split())[:MAX_CATEGORY_CHARS],
            school=params.get("school", "").strip(),
            assignee=params.get("assignee", "").strip(),
            query=params.get("q", "").strip()[:100],
            page=page,
        )


@dataclass(frozen=True)
class InboxPage:
    tickets: list[Ticket]
    total: int
    page: int
    pages: int
    counts: dict[str, int] = field(default_factory=dict)  # per status, "all" included


# Queries ---------------------------------------------------------------------------------------

def _conditions(filters: InboxFilter, username: str, *, with_status: bool) -> list[Any]:
    conditions: list[Any] = []
    if filters.kind:
        conditions.append(Ticket.kind == filters.kind)
    if with_status and filters.status:
        conditions.append(Ticket.status == filters.status)
    if filters.category:
        conditions.append(Ticket.category == ("" if filters.category == CATEGORY_NONE else filters.category))
    if filters.school:
        conditions.append(Ticket.school == filters.school)
    if filters.assignee == ASSIGNEE_MINE:
        conditions.append(Ticket.assignee == username)
    elif filters.assignee == ASSIGNEE_NONE:
        conditions.append(Ticket.assignee == "")
    elif filters.assignee:
        conditions.append(Ticket.assignee == filters.assignee)
    if filters.query:
        escaped = filters.query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        conditions.append(or_(*(column.ilike(pattern, escape="\\") for column in (
            Ticket.reference, Ticket.message, Ticket.contact, Ticket.notes, Ticket.reply))))
    return conditions


def inbox_order() -> tuple[Any, ...]:
    """Open urgent tickets, then new ones, then newest first."""
    urgent_open = case((and_(Ticket.urgent.is_(True), Ticket.status.in_(OPEN_STATUSES)), 0), else_=1)
    new_first = case((Ticket.status == "new", 0), else_=1)
    return urgent_open, new_first, Ticket.created_at.desc(), Ticket.id.desc()


def list_tickets(session: Session, filters: InboxFilter, *, username: str) -> InboxPage:
    """One page of the inbox under `filters` (`username` resolves "mine"), with status counts."""
    conditions = _conditions(filters, username, with_status=True)
    total = session.scalar(select(func.count(Ticket.id)).where(*conditions)) or 0
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(filters.page, pages)
    statement: Select[tuple[Ticket]] = (
        select(Ticket).where(*conditions).order_by(*inbox_order())
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    )
    tickets = list(session.scalars(statement))
    return InboxPage(tickets=tickets, total=total, page=page, pages=pages,
                     counts=status_counts(session, filters, username=username))


def status_counts(session: Session, filters: InboxFilter, *, username: str) -> dict[str, int]:
    """Tickets per status under every filter except the status itself (the tabs)."""
    conditions = _conditions(filters, username, with_status=False)
    rows = session.execute(
        select(Ticket.status, func.count(Ticket.id)).where(*conditions).group_by(Ticket.status)
    ).all()
    counts = {status: 0 for status in STATUSES}
    for status, count in rows:
        counts[status] = counts.get(status, 0) + count
    counts["all"] = sum(count for _status, count in rows)
    return counts


def schools(session: Session) -> list[str]:
    """Schools named on tickets, for the filter."""
    return list(session.scalars(
        select(Ticket.school).where(Ticket.school != "").distinct().order_by(Ticket.school)))


def legacy_categories(session: Session) -> list[str]:
    """Categories on tickets that are not in the fixed list (typed before it existed), for the
    filter: they can still be found, and are shown as they are."""
    return list(session.scalars(
        select(Ticket.category).where(Ticket.category != "", Ticket.category.not_in(list(CATEGORY_LABELS)))
        .distinct().order_by(Ticket.category)))


def active_users(session: Session) -> list[User]:
    """Who a ticket can be assigned to."""
    return list(session.scalars(select(User).where(User.active.is_(True)).order_by(User.username)))


def get_ticket(session: Session, reference: str) -> Ticket | None:
    """The ticket with this reference code (case and spaces forgiven), if any."""
    code = reference.strip().upper()
    return session.scalar(select(Ticket).where(Ticket.reference == code))


def ticket_history(session: Session, reference: str) -> list[AuditEntry]:
    """The audit entries about this ticket, oldest first."""
    return list(session.scalars(
        select(AuditEntry).where(AuditEntry.target == reference, AuditEntry.action.like("ticket.%"))
        .order_by(AuditEntry.created_at, AuditEntry.id)))


# Changes ---------------------------------------------------------------------------------------

def clean_text(text: str, limit: int, what: str) -> str:
    cleaned = text.replace("\r\n", "\n").strip()
    if not cleaned:
        raise TicketChangeError(f"Chưa nhập {what}.")
    if len(cleaned) > limit:
        raise TicketChangeError(f"{what.capitalize()} dài quá {limit} ký tự ({len(cleaned)} ký tự).")
    return cleaned


def set_status(session: Session, ticket: Ticket, status: str, *, actor: str) -> bool:
    """Move the ticket to `status` (any of STATUSES, reopening included); False if unchanged."""
    if status not in STATUSES:
        raise TicketChangeError("Trạng thái không hợp lệ.")
    previous = ticket.status
    if status == previous:
        return False
    ticket.status = status
    record(session, actor=actor, action="ticket.status", target=ticket.reference,
           detail={"from": previous, "to": status})
    session.flush()
    return True


def assign(session: Session, ticket: Ticket, username: str, *, actor: str) -> bool:
    """Give the ticket to an active user ("" = nobody); False if unchanged."""
    username = username.strip()
    if username and username not in {user.username for user in active_users(session)}:
        raise TicketChangeError("Người được giao không tồn tại hoặc đã bị khoá.")
    previous = ticket.assignee
    if username == previous:
        return False
    ticket.assignee = username
    record(session, actor=actor, action="ticket.assign", target=ticket.reference,
           detail={"from": previous, "to": username})
    session.flush()
    return True


def set_category(session: Session, ticket: Ticket, category: str, *, actor: str) -> bool:
    """Put the ticket under one of the fixed categories (a key of `CATEGORY_LABELS`); False if
    unchanged (an older free-text value sent back as it is counts as unchanged)."""
    category = category.strip()
    previous = ticket.category
    if category == previous:
        return False
    if not category:
        raise TicketChangeError("Chưa chọn phân loại.")
    if category not in CATEGORY_LABELS:
        raise TicketChangeError("Phân loại không có trong danh sách.")
    ticket.category = category
    record(session, actor=actor, action="ticket.category", target=ticket.reference,
           detail={"from": previous, "to": category})
    session.flush()
    return True


def add_note(session: Session, ticket: Ticket, text: str, *, actor: str) -> Note:
    """Append an internal note (never shown to the parent)."""
    note = Note(at=utcnow(), author=actor, text=clean_text(text, MAX_NOTE_CHARS, "ghi chú"))
    append_note(session, ticket, note)
    record(session, actor=actor, action="ticket.note", target=ticket.reference,
           detail={"chars": len(note.text)})
    session.flush()
    return note
