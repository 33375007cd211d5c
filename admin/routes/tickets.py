"""Pages of the feedback inbox: /admin/tickets (list with filters and status tabs) and
/admin/tickets/{reference} (one ticket: message, contact, notes, assignee, status, reply).

Every form posts to a small action route that calls `admin.tickets`, queues a flash message and
redirects (303) back to the ticket page; invalid input (`TicketChangeError`) changes nothing and
is shown as an error flash.  Auth and CSRF come from `protected_router()`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from admin import ticket_replies, tickets
from admin.deps import CurrentUser, SessionDep, protected_router
from admin.templating import flash, render
from admin.ticket_labels import (
    CATEGORY_LABELS,
    DELIVERY_LABELS,
    KIND_LABELS,
    STATUS_LABELS,
    URGENT_LABEL,
    category_label,
    channel_label,
    delivery_message,
    history_text,
)
from admin.ticket_notes import Note, parse_notes
from storage.models import Ticket

logger = logging.getLogger(__name__)

router = protected_router(tags=["admin"])

FormText = Annotated[str, Form()]
LABELS = {
    "statuses": STATUS_LABELS,
    "kinds": KIND_LABELS,
    "categories": CATEGORY_LABELS,
    "category_label": category_label,
    "deliveries": DELIVERY_LABELS,
    "urgent": URGENT_LABEL,
    "channel_label": channel_label,
    "history_text": history_text,
}


def _ticket_url(reference: str) -> str:
    return f"/admin/tickets/{quote(reference, safe='')}"


def _back(reference: str) -> RedirectResponse:
    return RedirectResponse(_ticket_url(reference), status_code=303)


def _missing(request: Request, reference: str) -> Response:
    return render(request, "error.html", {
        "title": "Không tìm thấy phiếu",
        "message": f"Không có phiếu nào mang mã «{reference}». Bạn kiểm tra lại mã hoặc quay về hộp thư phản ánh.",
    }, status_code=404)


def _last_reply_message(ticket: Ticket, last: Note | None) -> str:
    if last is None:
        return ""
    if last.delivery == "sent":
        return f"đã gửi tới phụ huynh qua {channel_label(ticket.channel)}."
    return delivery_message(last.delivery, ticket.channel, has_contact=bool(ticket.contact))


@router.get("/admin/tickets", include_in_schema=False)
async def inbox(request: Request, user: CurrentUser, db: SessionDep) -> Response:
    filters = tickets.InboxFilter.parse(request.query_params)
    page = tickets.list_tickets(db, filters, username=user.username)
    return render(request, "tickets.html", {
        "title": "Phản ánh – góp ý",
        "filters": filters,
        "page": page,
        "schools": tickets.schools(db),
        "legacy_categories": tickets.legacy_categories(db),
        "category_none": tickets.CATEGORY_NONE,
        "users": tickets.active_users(db),
        "status_order": tickets.STATUSES,
        "open_statuses": tickets.OPEN_STATUSES,
        **LABELS,
    })


@router.get("/admin/tickets/{reference}", include_in_schema=False)
async def detail(request: Request, reference: str, user: CurrentUser, db: SessionDep) -> Response:
    ticket = tickets.get_ticket(db, reference)
    if ticket is None:
        return _missing(request, reference)
    notes = parse_notes(ticket.notes)
    replies = [note for note in notes if note.kind == "reply"]
    last = replies[-1] if replies else None
    return render(request, "tickets_detail.html", {
        "title": f"Phiếu {ticket.reference}",
        "ticket": ticket,
        "notes": notes,
        "last_reply": last,
        "last_reply_message": _last_reply_message(ticket, last),
        "users": tickets.active_users(db),
        "history": tickets.ticket_history(db, ticket.reference),
        "status_order": tickets.STATUSES,
        "max_reply_chars": ticket_replies.MAX_REPLY_CHARS,
        "max_note_chars": tickets.MAX_NOTE_CHARS,
        "has_push": getattr(request.app.state, "push", None) is not None,
        **LABELS,
    })


def _load(db: SessionDep, reference: str) -> Ticket | None:
    return tickets.get_ticket(db, reference)


def _change(request: Request, db: SessionDep, reference: str,
            change: Callable[[Ticket], str | None]) -> Response:
    """Load the ticket, apply `change` (which returns the flash message, or None when nothing
    changed), flash an invalid change as an error, and go back to the ticket page."""
    ticket = _load(db, reference)
    if ticket is None:
        return _missing(request, reference)
    try:
        message = change(ticket)
    except tickets.TicketChangeError as error:
        flash(request, str(error), "error")
    else:
        if message:
            flash(request, message)
    return _back(ticket.reference)


@router.post("/admin/tickets/{reference}/status", include_in_schema=False)
async def change_status(request: Request, reference: str, user: CurrentUser, db: SessionDep,
                        status: FormText = "") -> Response:
    def change(ticket: Ticket) -> str | None:
        if tickets.set_status(db, ticket, status, actor=user.username):
            return f"Đã chuyển phiếu sang «{STATUS_LABELS[status]}»."
        return None

    return _change(request, db, reference, change)


@router.post("/admin/tickets/{reference}/assign", include_in_schema=False)
async def change_assignee(request: Request, reference: str, user: CurrentUser, db: SessionDep,
                          assignee: FormText = "") -> Response:
    def change(ticket: Ticket) -> str | None:
        if tickets.assign(db, ticket, assignee, actor=user.username):
            return f"Đã giao phiếu cho {assignee}." if assignee else "Phiếu chưa giao cho ai."
        return None

    return _change(request, db, reference, change)


@router.post("/admin/tickets/{reference}/take", include_in_schema=False)
async def take(request: Request, reference: str, user: CurrentUser, db: SessionDep) -> Response:
    """"Nhận xử lý": assign to me and, if new, move to in progress."""
    def change(ticket: Ticket) -> str:
        tickets.assign(db, ticket, user.username, actor=user.username)
        if ticket.status == "new":
            tickets.set_status(db, ticket, "in_progress", actor=user.username)
        return "Bạn đã nhận xử lý phiếu này."

    return _change(request, db, reference, change)


@router.post("/admin/tickets/{reference}/category", include_in_schema=False)
async def change_category(request: Request, reference: str, user: CurrentUser, db: SessionDep,
                          category: FormText = "") -> Response:
    def change(ticket: Ticket) -> str | None:
        if tickets.set_category(db, ticket, category, actor=user.username):
            return f"Đã chuyển phiếu sang phân loại «{category_label(category)}»."
        return None

    return _change(request, db, reference, change)


@router.post("/admin/tickets/{reference}/notes", include_in_schema=False)
async def add_note(request: Request, reference: str, user: CurrentUser, db: SessionDep,
                   text: FormText = "") -> Response:
    def change(ticket: Ticket) -> str:
        tickets.add_note(db, ticket, text, actor=user.username)
        return "Đã thêm ghi chú nội bộ."

    return _change(request, db, reference, change)


@router.post("/admin/tickets/{reference}/reply", include_in_schema=False)
async def reply(request: Request, reference: str, user: CurrentUser, db: SessionDep,
                text: FormText = "") -> Response:
    ticket = _load(db, reference)
    if ticket is None:
        return _missing(request, reference)
    push = getattr(request.app.state, "push", None)
    try:
        outcome = await ticket_replies.send_reply(db, ticket, text, push=push, actor=user.username)
    except tickets.TicketChangeError as error:
        flash(request, str(error), "error")
        return _back(ticket.reference)
    logger.info("reply to ticket %s by %s: %s", ticket.reference, user.username, outcome.delivery)
    flash(request, outcome.message, "ok" if outcome.sent else "error")
    return _back(ticket.reference)
