"""FAQ entries: several ways of asking, one answer, an optional source; list, create, edit.

Entries are knowledge-base documents of kind "faq" (`retrieval.kb_store.upsert_faq`); the
searcher prefers them over document passages when they match.  Retiring goes through the
shared confirmation page of `admin.routes.documents`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import RedirectResponse, Response

from admin import kb_catalog
from admin.deps import CurrentUser, SessionDep, protected_router
from admin.indexing import refresh_failed, refresh_index
from admin.kb_catalog import DocumentFilters
from admin.kb_changes import save_faq
from admin.kb_forms import faq_input
from admin.routes.documents import expiring_days, not_found
from admin.templating import flash, render
from retrieval.errors import DocumentNotFound
from retrieval.kb_store import StoredDocument, get_document

logger = logging.getLogger(__name__)

router = protected_router(tags=["admin"])

FORM_FIELDS = ("questions", "answer", "title", "number", "link", "school", "grade")
FAQ_STATES = {"": "Tất cả", "active": "Đang dùng", "retired": "Đã ngừng dùng"}


@router.get("/admin/faq", include_in_schema=False)
async def faq_page(
    request: Request, user: CurrentUser, db: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "", state: str = "",
) -> Response:
    filters = DocumentFilters(kind="faq", state=state if state in FAQ_STATES else "")
    rows = kb_catalog.document_rows(db, filters, expiring_days=expiring_days(request))
    if q.strip():
        rows = [row for row in rows if kb_catalog.faq_matches(row.document, q)]
    return render(request, "faq.html", {
        "title": "Hỏi đáp",
        "rows": rows,
        "query": q.strip(),
        "state": filters.state,
        "states": FAQ_STATES,
        "answers": kb_catalog.faq_answers(db),
    })


def _form_page(request: Request, *, values: Mapping[str, Any], document: StoredDocument | None = None,
               errors: list[str] | None = None, status_code: int = 200) -> Response:
    return render(request, "faq_form.html", {
        "title": "Sửa mục hỏi đáp" if document else "Thêm mục hỏi đáp",
        "values": {name: str(values.get(name) or "") for name in FORM_FIELDS},
        "doc": document,
        "errors": errors or [],
    }, status_code=status_code)


@router.get("/admin/faq/new", include_in_schema=False)
async def new_form(request: Request, user: CurrentUser) -> Response:
    return _form_page(request, values={})


@router.post("/admin/faq/new", include_in_schema=False)
async def create(request: Request, user: CurrentUser, db: SessionDep) -> Response:
    return await _save(request, user.username, db, None)


@router.get("/admin/faq/{faq_id}", include_in_schema=False)
async def edit_form(request: Request, faq_id: str, user: CurrentUser, db: SessionDep) -> Response:
    try:
        document = get_document(session=db, doc_id=faq_id)
    except DocumentNotFound:
        return not_found(request, faq_id)
    if document.meta.kind != "faq":
        return RedirectResponse(f"/admin/documents/{faq_id}", status_code=303)
    meta = document.meta
    values = {
        "questions": "\n".join(document.questions),
        "answer": document.chunks[0].text if document.chunks else "",
        "title": meta.title if meta.title not in document.questions else "",
        "number": meta.number, "link": meta.source_url, "school": meta.school, "grade": meta.grade,
    }
    return _form_page(request, values=values, document=document)


@router.post("/admin/faq/{faq_id}", include_in_schema=False)
async def update(request: Request, faq_id: str, user: CurrentUser, db: SessionDep) -> Response:
    try:
        document = get_document(session=db, doc_id=faq_id)
    except DocumentNotFound:
        return not_found(request, faq_id)
    return await _save(request, user.username, db, document)


async def _save(request: Request, actor: str, db: SessionDep, document: StoredDocument | None) -> Response:
    form = await request.form()
    data, errors = faq_input(form)
    if data is not None:
        try:
            change = save_faq(db, data, actor=actor, faq_id=document.meta.id if document else None)
        except (DocumentNotFound, ValueError) as error:
            errors.append(str(error))
    if data is None or errors:
        return _form_page(request, values=form, document=document, errors=errors, status_code=400)
    db.commit()
    note = await refresh_index() if change.action != "unchanged" else ""
    logger.info("FAQ %s %s", change.doc_id, change.action)
    flash(request, f"{change.note()} {note}".strip(), "error" if refresh_failed(note) else "ok")
    return RedirectResponse("/admin/faq", status_code=303)
