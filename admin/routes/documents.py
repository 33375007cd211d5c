"""Knowledge-base documents: the searchable list, one document's page and retiring.

Uploading and the preview are in `admin.routes.document_uploads`; announcements and FAQ entries
have their own pages but share this list, the detail page and the retire confirmation.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import RedirectResponse, Response

from admin import kb_catalog
from admin.deps import CurrentUser, SessionDep, protected_router
from admin.indexing import refresh_failed, refresh_index
from admin.kb_catalog import STATE_FILTERS, DocumentFilters
from admin.kb_changes import retire
from admin.kb_forms import KIND_LABELS
from admin.templating import flash, render
from retrieval.errors import DocumentNotFound
from retrieval.kb_store import StoredDocument, document_history, get_document

logger = logging.getLogger(__name__)

router = protected_router(tags=["admin"])

LIST_URLS = {"document": "/admin/documents", "announcement": "/admin/announcements", "faq": "/admin/faq"}
REASON_LABELS = {"replaced": "Đã thay bằng phiên bản mới", "retired": "Ngừng dùng", "removed": "Đã xoá"}


def expiring_days(request: Request) -> int:
    return int(request.app.state.admin_settings.expiring_days)


def edit_url(document: StoredDocument) -> str:
    """Where staff change this item: its own form for FAQ and announcements, else its page."""
    if document.meta.kind == "faq":
        return f"/admin/faq/{document.meta.id}"
    if document.meta.kind == "announcement" and document.meta.extra.get("origin") == "admin":
        return f"/admin/announcements/{document.meta.id}"
    return f"/admin/documents/{document.meta.id}"


def not_found(request: Request, doc_id: str) -> Response:
    return render(request, "error.html", {
        "title": "Không tìm thấy",
        "message": f"Không tìm thấy tài liệu có mã “{doc_id}”. Có thể tài liệu đã bị xoá.",
    }, status_code=404)


@router.get("/admin/documents", include_in_schema=False)
async def documents_page(
    request: Request, user: CurrentUser, db: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "", kind: str = "", school: str = "", state: str = "",
) -> Response:
    filters = DocumentFilters(
        query=q.strip(),
        kind=kind if kind in KIND_LABELS else "",
        school=school.strip(),
        state=state if state in STATE_FILTERS else "",
    )
    rows = kb_catalog.document_rows(db, filters, expiring_days=expiring_days(request))
    return render(request, "documents.html", {
        "title": "Tài liệu",
        "rows": rows,
        "filters": filters,
        "kinds": KIND_LABELS,
        "states": STATE_FILTERS,
        "schools": kb_catalog.schools(db),
        "expiring_days": expiring_days(request),
        "edit_url": edit_url,
    })


@router.get("/admin/documents/{doc_id}", include_in_schema=False)
async def document_page(request: Request, doc_id: str, user: CurrentUser, db: SessionDep) -> Response:
    try:
        document = get_document(session=db, doc_id=doc_id)
    except DocumentNotFound:
        return not_found(request, doc_id)
    state = kb_catalog.state_of(document, today=dt.date.today(), expiring_days=expiring_days(request))
    history = list(reversed(document_history(session=db, doc_id=doc_id)))
    return render(request, "documents_detail.html", {
        "title": document.meta.title,
        "doc": document,
        "meta": document.meta,
        "state": state,
        "state_label": kb_catalog.STATE_LABELS[state],
        "kinds": KIND_LABELS,
        "history": history,
        "reasons": REASON_LABELS,
        "edit_url": None if edit_url(document) == f"/admin/documents/{doc_id}" else edit_url(document),
        "list_url": LIST_URLS.get(document.meta.kind, "/admin/documents"),
    })


@router.get("/admin/documents/{doc_id}/retire", include_in_schema=False)
async def retire_confirm(request: Request, doc_id: str, user: CurrentUser, db: SessionDep) -> Response:
    try:
        document = get_document(session=db, doc_id=doc_id)
    except DocumentNotFound:
        return not_found(request, doc_id)
    return render(request, "documents_retire.html", {
        "title": "Ngừng dùng tài liệu",
        "doc": document,
        "kinds": KIND_LABELS,
        "back_url": edit_url(document),
    })


@router.post("/admin/documents/{doc_id}/retire", include_in_schema=False)
async def retire_document(request: Request, doc_id: str, user: CurrentUser, db: SessionDep) -> Response:
    try:
        document = retire(db, doc_id, actor=user.username)
    except DocumentNotFound:
        return not_found(request, doc_id)
    db.commit()
    target = LIST_URLS.get(document.meta.kind, "/admin/documents")
    if document.status == "retired":
        flash(request, f"“{document.meta.title}” đã ngừng dùng từ trước.")
        return RedirectResponse(target, status_code=303)
    note = await refresh_index()
    logger.info("Document %s retired by user %s", doc_id, user.id)
    flash(request, f"Đã ngừng dùng “{document.meta.title}”: bot sẽ không trả lời từ mục này nữa. {note}",
          "error" if refresh_failed(note) else "ok")
    return RedirectResponse(target, status_code=303)
