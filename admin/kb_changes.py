"""Changes staff make to the knowledge base in the admin web, each written with its audit entry.

Publishing an upload, saving an announcement or an FAQ entry and retiring anything all end in
`retrieval.kb_store` (which keeps the previous version's metadata in `document_versions`) and
`admin.audit.record`, in the caller's session, so the change and its audit entry are committed
together.  The caller commits and then awaits `admin.indexing.refresh_index()`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.orm import Session

from admin import audit
from admin.kb_forms import AnnouncementInput, FaqInput
from admin.uploads import StagedUpload
from retrieval.chunking import chunk_document
from retrieval.errors import DocumentNotFound, DocumentParseError
from retrieval.ingest import PreparedFile, prepare_file
from retrieval.kb_store import (
    StoredDocument,
    add_or_replace_document,
    get_document,
    retire_document,
    upsert_faq,
)
from retrieval.metadata import document_meta, slugify
from retrieval.types import DocumentMeta

logger = logging.getLogger(__name__)

ACTION_WORDS = {"added": "Đã thêm", "replaced": "Đã thay bằng phiên bản mới", "unchanged": "Không có gì thay đổi ở"}
AUDIT_VERBS = {"added": "add", "replaced": "replace"}
RESERVED_IDS = frozenset({"upload", "preview", "new"})


@dataclass
class Change:
    """What one save did: which document, added / replaced / unchanged, how many chunks."""

    doc_id: str
    action: str
    title: str
    chunks: int
    kind: str = "document"

    def note(self) -> str:
        """A Vietnamese sentence for the flash message."""
        return f"{ACTION_WORDS[self.action]} “{self.title}” (mã {self.doc_id}, {self.chunks} đoạn)."


@dataclass
class UploadPreview:
    """A staged upload parsed the way publishing will store it, plus what the file alone says."""

    prepared: PreparedFile
    inferred: DocumentMeta  # metadata from the file's front matter and header, without the form

    @property
    def meta(self) -> DocumentMeta:
        return self.prepared.meta

    def inferred_fields(self) -> list[str]:
        """Fields the preview took from the text of the document (not typed, not front matter)."""
        return list(self.inferred.extra.get("inferred", []))


def _fingerprint(*parts: Any) -> str:
    text = json.dumps(parts, default=str, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _record(session: Session, change: Change, *, actor: str, detail: dict[str, Any]) -> None:
    if change.action == "unchanged":
        return
    audit.record(
        session,
        actor=actor,
        action=f"{change.kind}.{AUDIT_VERBS[change.action]}",
        target=change.doc_id,
        detail={"title": change.title, "chunks": change.chunks, **detail},
    )


def unique_id(session: Session, base: str) -> str:
    """`base` (a slug), or `base-2`, `base-3` … when a document already has that id."""
    from storage.kb_models import Document

    base = base.strip("-")[:180] or "muc"
    candidate, number = base, 2
    while session.get(Document, candidate) is not None:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def upload_overrides(staged: StagedUpload) -> dict[str, Any]:
    """The form fields of a staged upload as front-matter keys (a replacement keeps its id)."""
    overrides: dict[str, Any] = dict(staged.fields)
    if staged.replace_id:
        overrides["id"] = staged.replace_id
    return overrides


def preview_upload(staged: StagedUpload) -> UploadPreview:
    """Parse and chunk a staged upload; raises `DocumentParseError` (Vietnamese, names the file)."""
    prepared = prepare_file(staged.path, upload_overrides(staged))
    prepared.meta.source_path = staged.filename
    if prepared.meta.id in RESERVED_IDS:  # would be shadowed by /admin/documents/upload …
        prepared.meta.id = f"tai-lieu-{prepared.meta.id}"
    parsed = prepared.parsed
    inferred = document_meta(parsed.front_matter, parsed.text, path=staged.path)
    return UploadPreview(prepared=prepared, inferred=inferred)


def publish_upload(session: Session, staged: StagedUpload, *, actor: str) -> Change:
    """Store a staged upload as a document (a new version when its id exists) and audit it."""
    preview = preview_upload(staged)
    meta, prepared = preview.meta, preview.prepared
    action = add_or_replace_document(
        session=session,
        meta=meta,
        chunks=prepared.chunks,
        questions=prepared.questions,
        content_hash=_fingerprint(prepared.parsed.content_hash, asdict(meta), prepared.questions),
    )
    change = Change(meta.id, action, meta.title, len(prepared.chunks), meta.kind)
    _record(session, change, actor=actor, detail={"file": staged.filename, "via": "upload"})
    logger.info("Upload %s published as %s (%s)", staged.token, meta.id, action)
    return change


def save_announcement(
    session: Session, data: AnnouncementInput, *, actor: str, doc_id: str | None = None
) -> Change:
    """Create an announcement (``doc_id`` None) or store a new version of one; audit it."""
    previous = get_document(session=session, doc_id=doc_id) if doc_id else None
    if previous is not None and previous.meta.kind != "announcement":
        raise DocumentNotFound(f"Mục {doc_id} không phải là thông báo.")
    chunks = chunk_document(data.body, kind="announcement")
    if not chunks:
        raise DocumentParseError("Nội dung thông báo không có đoạn văn bản nào để bot dùng.")
    new_id = doc_id or unique_id(session, "thong-bao-" + slugify(data.title)[:80])
    issued = previous.meta.issued if previous and previous.meta.issued else dt.date.today()
    meta = DocumentMeta(
        id=new_id,
        title=data.title,
        issued=issued,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        kind="announcement",
        school=data.school,
        grade=data.grade,
        source_url=data.link,
        extra={"body": data.body, "origin": "admin"},
    )
    action = add_or_replace_document(
        session=session, meta=meta, chunks=chunks, content_hash=_fingerprint(asdict(meta))
    )
    change = Change(new_id, action, data.title, len(chunks), "announcement")
    _record(session, change, actor=actor, detail={"valid_until": data.valid_until.isoformat()})
    return change


def announcement_body(document: StoredDocument) -> str:
    """The text to edit: as typed in the browser, else the stored chunks (uploaded ones)."""
    body = document.meta.extra.get("body")
    if isinstance(body, str) and body.strip():
        return body
    return "\n\n".join(chunk.text for chunk in document.chunks)


def save_faq(session: Session, data: FaqInput, *, actor: str, faq_id: str | None = None) -> Change:
    """Create an FAQ entry (``faq_id`` None) or store a new version of one; audit it."""
    if faq_id:
        previous = get_document(session=session, doc_id=faq_id)
        if previous.meta.kind != "faq":
            raise DocumentNotFound(f"Mục {faq_id} không phải là mục hỏi đáp.")
    new_id = faq_id or unique_id(session, "hoi-dap-" + slugify(data.questions[0])[:80])
    action = upsert_faq(
        session=session,
        faq_id=new_id,
        questions=data.questions,
        answer=data.answer,
        title=data.title,
        number=data.number,
        source_url=data.link,
        school=data.school,
        grade=data.grade,
    )
    change = Change(new_id, action, data.title or data.questions[0], 1, "faq")
    _record(session, change, actor=actor, detail={"questions": len(data.questions)})
    return change


def retire(session: Session, doc_id: str, *, actor: str) -> StoredDocument:
    """Stop answering from a document (kept, with history) and audit it; raises `DocumentNotFound`.

    Returns the document as it was; retiring an already retired one changes nothing.
    """
    document = get_document(session=session, doc_id=doc_id)
    if retire_document(session=session, doc_id=doc_id):
        audit.record(
            session,
            actor=actor,
            action=f"{document.meta.kind}.retire",
            target=doc_id,
            detail={"title": document.meta.title, "version": document.version},
        )
    return document
