"""Uploading a document: the form, the preview of its chunks, publishing or cancelling it.

Flow: GET /admin/documents/upload (optionally ``?replace=<id>`` for a new version) → POST the
file and metadata → the file is checked by content and staged (`admin.uploads`) → the preview
shows the metadata that will be stored (typed, from the file, or inferred from its header, so
staff can correct it) and every chunk with its section path → "Xuất bản" stores it
(`admin.kb_changes.publish_upload`, audited) and refreshes the search index; "Huỷ" discards it.
Included before `admin.routes.documents` so these paths win over ``/admin/documents/{id}``.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import File, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from admin.deps import CurrentUser, SessionDep, protected_router
from admin.indexing import refresh_failed, refresh_index
from admin.kb_changes import UploadPreview, preview_upload, publish_upload
from admin.kb_forms import DOCUMENT_FIELDS, KIND_LABELS, UPLOAD_KINDS, document_fields
from admin.templating import flash, render
from admin.uploads import (
    ACCEPT_ATTRIBUTE,
    StagedUpload,
    StagingNotFound,
    UploadRejected,
    check_upload,
    discard,
    load_staged,
    stage_upload,
)
from retrieval.errors import DocumentNotFound, DocumentParseError
from retrieval.kb_store import StoredDocument, get_document
from retrieval.settings import get_retrieval_settings
from retrieval.types import DocumentMeta

logger = logging.getLogger(__name__)

router = protected_router(tags=["admin"])

_META_ATTRIBUTES = {"source": "source_url"}


def _max_mb(request: Request) -> int:
    return int(request.app.state.admin_settings.upload_max_mb)


def meta_values(meta: DocumentMeta) -> dict[str, str]:
    """The form value of every metadata field of `meta` (dates as ISO for date inputs)."""
    values = {}
    for name, _ in DOCUMENT_FIELDS:
        value = getattr(meta, _META_ATTRIBUTES.get(name, name))
        values[name] = value.isoformat() if hasattr(value, "isoformat") else (value or "")
    return values


def _existing(db: SessionDep, doc_id: str | None) -> StoredDocument | None:
    if not doc_id:
        return None
    try:
        return get_document(session=db, doc_id=doc_id)
    except DocumentNotFound:
        return None


def _upload_page(request: Request, *, values: dict[str, str], replace: StoredDocument | None,
                 errors: list[str] | None = None, status_code: int = 200) -> Response:
    return render(request, "documents_upload.html", {
        "title": "Thay phiên bản mới" if replace else "Tải lên tài liệu",
        "fields": [f for f in DOCUMENT_FIELDS if not (replace and f[0] == "id")],
        "values": values,
        "kinds": KIND_LABELS if values.get("kind") == "faq" else UPLOAD_KINDS,
        "replace": replace,
        "accept": ACCEPT_ATTRIBUTE,
        "max_mb": _max_mb(request),
        "errors": errors or [],
    }, status_code=status_code)


@router.get("/admin/documents/upload", include_in_schema=False)
async def upload_form(request: Request, user: CurrentUser, db: SessionDep, replace: str = "") -> Response:
    document = _existing(db, replace)
    values = meta_values(document.meta) if document else {}
    return _upload_page(request, values=values, replace=document)


@router.post("/admin/documents/upload", include_in_schema=False)
async def upload(
    request: Request, user: CurrentUser, db: SessionDep,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    form = await request.form()
    values = {name: str(form.get(name) or "") for name, _ in DOCUMENT_FIELDS}
    replace_id = str(form.get("replace_id") or "")
    replace = _existing(db, replace_id)
    fields, errors = document_fields(form)
    if replace_id and replace is None:
        errors.append(f"Không tìm thấy tài liệu có mã “{replace_id}” để thay phiên bản mới.")
    if replace:
        fields.pop("id", None)
    staged = None
    if not errors:
        try:
            staged = await _stage(request, file, fields, user.username, replace)
        except (UploadRejected, DocumentParseError) as error:
            errors.append(str(error))
    if staged is None:
        return _upload_page(request, values=values, replace=replace, errors=errors, status_code=400)
    return RedirectResponse(f"/admin/documents/preview/{staged.token}", status_code=303)


async def _stage(request: Request, file: UploadFile | None, fields: dict[str, str], username: str,
                 replace: StoredDocument | None) -> StagedUpload:
    """Check and stage the uploaded file and parse it once, so a broken file fails right here."""
    if file is None or not file.filename:
        raise UploadRejected("Chưa chọn tệp nào để tải lên.")
    limit = _max_mb(request) * 1024 * 1024
    data = await file.read(limit + 1)
    check_upload(file.filename, data, max_mb=_max_mb(request), size=file.size)
    data_dir = get_retrieval_settings().data_dir
    staged = stage_upload(data_dir, file.filename, data, uploaded_by=username, fields=fields,
                          replace_id=replace.meta.id if replace else None)
    try:
        preview_upload(staged)
    except DocumentParseError:
        discard(staged)
        raise
    return staged


def _staged_or_none(token: str) -> StagedUpload | None:
    try:
        return load_staged(get_retrieval_settings().data_dir, token)
    except StagingNotFound:
        return None


def _gone(request: Request) -> Response:
    return render(request, "error.html", {
        "title": "Không tìm thấy bản xem trước",
        "message": "Bản tải lên này không còn (đã xuất bản, đã huỷ hoặc quá một ngày). Bạn hãy tải tệp lên lại.",
    }, status_code=404)


def _origins(staged: StagedUpload, preview: UploadPreview) -> dict[str, str]:
    """Where each shown value comes from, for the hints beside the fields."""
    inferred = set(preview.inferred_fields())
    front = set(preview.prepared.parsed.front_matter)
    origins = {}
    for name, _ in DOCUMENT_FIELDS:
        if name in staged.fields:
            origins[name] = "do bạn nhập"
        elif name in inferred:
            origins[name] = "tự nhận từ nội dung văn bản, hãy kiểm tra"
        elif name in front:
            origins[name] = "lấy từ phần đầu tệp"
    return origins


def _preview_page(request: Request, db: SessionDep, staged: StagedUpload, *, errors: list[str] | None = None,
                  values: dict[str, str] | None = None, status_code: int = 200) -> Response:
    try:
        preview = preview_upload(staged)
    except DocumentParseError as error:
        return render(request, "error.html", {"title": "Không đọc được tệp", "message": str(error)}, status_code=400)
    meta = preview.meta
    context: dict[str, Any] = {
        "title": "Xem trước trước khi xuất bản",
        "staged": staged,
        "meta": meta,
        "values": values or meta_values(meta),
        "origins": _origins(staged, preview),
        "fields": [f for f in DOCUMENT_FIELDS if not (staged.replace_id and f[0] == "id")],
        "kinds": KIND_LABELS if meta.kind == "faq" else UPLOAD_KINDS,
        "chunks": preview.prepared.chunks,
        "questions": preview.prepared.questions,
        "existing": _existing(db, meta.id),
        "errors": errors or [],
    }
    return render(request, "documents_preview.html", context, status_code=status_code)


@router.get("/admin/documents/preview/{token}", include_in_schema=False)
async def preview_page(request: Request, token: str, user: CurrentUser, db: SessionDep) -> Response:
    staged = _staged_or_none(token)
    if staged is None:
        return _gone(request)
    return _preview_page(request, db, staged)


@router.post("/admin/documents/preview/{token}", include_in_schema=False)
async def preview_submit(request: Request, token: str, user: CurrentUser, db: SessionDep) -> Response:
    """Save the corrected metadata; with ``action=publish`` also store and index the document."""
    staged = _staged_or_none(token)
    if staged is None:
        return _gone(request)
    form = await request.form()
    fields, errors = document_fields(form)
    if errors:
        values = {name: str(form.get(name) or "") for name, _ in DOCUMENT_FIELDS}
        return _preview_page(request, db, staged, errors=errors, values=values, status_code=400)
    if staged.replace_id:
        fields.pop("id", None)
    staged.fields = fields
    staged.save()
    if form.get("action") != "publish":
        flash(request, "Đã cập nhật thông tin; hãy xem lại rồi bấm “Xuất bản”.")
        return RedirectResponse(f"/admin/documents/preview/{token}", status_code=303)
    try:
        change = publish_upload(db, staged, actor=user.username)
    except DocumentParseError as error:
        return render(request, "error.html", {"title": "Không đọc được tệp", "message": str(error)}, status_code=400)
    db.commit()
    discard(staged)
    note = await refresh_index() if change.action != "unchanged" else ""
    logger.info("Upload published as %s by user %s", change.doc_id, user.id)
    flash(request, f"{change.note()} {note}".strip(), "error" if refresh_failed(note) else "ok")
    return RedirectResponse(f"/admin/documents/{change.doc_id}", status_code=303)


@router.post("/admin/documents/preview/{token}/discard", include_in_schema=False)
async def preview_discard(request: Request, token: str, user: CurrentUser) -> Response:
    staged = _staged_or_none(token)
    if staged is not None:
        discard(staged)
        flash(request, f"Đã huỷ bản tải lên “{staged.filename}”; không có gì được xuất bản.")
    return RedirectResponse("/admin/documents", status_code=303)
