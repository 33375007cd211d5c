"""Announcements typed in the browser ("Lịch nghỉ Tết 2026"): list, create, edit.

An announcement is a knowledge-base document of kind "announcement" with a required end date:
the bot cites it while it is in force and never after (the searcher drops documents outside
their validity window).  Retiring goes through the shared confirmation page of
`admin.routes.documents`.  Announcements uploaded as files are managed as documents.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import RedirectResponse, Response

from admin import kb_catalog
from admin.deps import CurrentUser, SessionDep, protected_router
from admin.indexing import refresh_failed, refresh_index
from admin.kb_catalog import STATE_FILTERS, DocumentFilters
from admin.kb_changes import announcement_body, save_announcement
from admin.kb_forms import announcement_input
from admin.routes.documents import expiring_days, not_found
from admin.templating import flash, render
from retrieval.errors import DocumentNotFound, DocumentParseError
from retrieval.kb_store import StoredDocument, get_document

logger = logging.getLogger(__name__)

router = protected_router(tags=["admin"])

FORM_FIELDS = ("title", "body", "valid_from", "valid_until", "school", "grade", "link")


@router.get("/admin/announcements", include_in_schema=False)
async def announcements_page(
    request: Request, user: CurrentUser, db: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "", state: str = "",
) -> Response:
    filters = DocumentFilters(query=q.strip(), kind="announcement", state=state if state in STATE_FILTERS else "")
    rows = kb_catalog.document_rows(db, filters, expiring_days=expiring_days(request))
    return render(request, "announcements.html", {
        "title": "Thông báo",
        "rows": rows,
        "filters": filters,
        "states": STATE_FILTERS,
        "expiring_days": expiring_days(request),
    })


def _form_page(request: Request, *, values: Mapping[str, Any], document: StoredDocument | None = None,
               errors: list[str] | None = None, status_code: int = 200) -> Response:
    return render(request, "announcements_form.html", {
        "title": "Sửa thông báo" if document else "Viết thông báo",
        "values": {name: str(values.get(name) or "") for name in FORM_FIELDS},
        "doc": document,
        "errors": errors or [],
    }, status_code=status_code)


@router.get("/admin/announcements/new", include_in_schema=False)
async def new_form(request: Request, user: CurrentUser) -> Response:
    return _form_page(request, values={"valid_from": dt.date.today().isoformat()})


@router.post("/admin/announcements/new", include_in_schema=False)
async def create(request: Request, user: CurrentUser, db: SessionDep) -> Response:
    return await _save(request, user.username, db, None)


@router.get("/admin/announcements/{doc_id}", include_in_schema=False)
async def edit_form(request: Request, doc_id: str, user: CurrentUser, db: SessionDep) -> Response:
    try:
        document = get_document(session=db, doc_id=doc_id)
    except DocumentNotFound:
        return not_found(request, doc_id)
    if document.meta.kind != "announcement" or document.meta.extra.get("origin") != "admin":
        return RedirectResponse(f"/admin/documents/{doc_id}", status_code=303)
    meta = document.meta
    values = {
        "title": meta.title, "body": announcement_body(document), "school": meta.school, "grade": meta.grade,
        "link": meta.source_url,
        "valid_from": meta.valid_from.isoformat() if meta.valid_from else "",
        "valid_until": meta.valid_until.isoformat() if meta.valid_until else "",
    }
    return _form_page(request, values=values, document=document)


@router.post("/admin/announcements/{doc_id}", include_in_schema=False)
async def update(request: Request, doc_id: str, user: CurrentUser, db: SessionDep) -> Response:
    try:
        document = get_document(session=db, doc_id=doc_id)
    except DocumentNotFound:
        return not_found(request, doc_id)
    return await _save(request, user.username, db, document)


async def _save(request: Request, actor: str, db: SessionDep, document: StoredDocument | None) -> Response:
    form = await request.form()
    data, errors = announcement_input(form)
    if data is not None:
        try:
            change = save_announcement(db, data, actor=actor, doc_id=document.meta.id if document else None)
        except (DocumentParseError, DocumentNotFound) as error:
            errors.append(str(error))
    if data is None or errors:
        return _form_page(request, values=form, document=document, errors=errors, status_code=400)
    db.commit()
    note = await refresh_index() if change.action != "unchanged" else ""
    logger.info("Announcement %s %s", change.doc_id, change.action)
    message = change.note()
    if data.valid_until < dt.date.today():
        message += " Lưu ý: ngày hết hạn đã qua nên bot sẽ không dùng thông báo này."
    flash(request, f"{message} {note}".strip(), "error" if refresh_failed(note) else "ok")
    return RedirectResponse("/admin/announcements", status_code=303)
