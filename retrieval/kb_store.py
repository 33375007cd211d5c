"""Reading and writing knowledge-base documents in SQL (the source of truth for the indexes).

Every function takes keyword-only arguments and works inside the caller's `Session`, so the
caller decides the transaction: ingestion writes one file per transaction, and a failure
leaves nothing half-written.  Replacing, retiring or removing a document first copies its
metadata into `document_versions`, so staff can see what was answered from before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from retrieval.chunking import build_search_text
from retrieval.errors import DocumentNotFound
from retrieval.types import ChunkDraft, DocumentMeta

StoreResult = Literal["added", "replaced", "unchanged"]
_META_COLUMNS = (
    "title",
    "number",
    "issuer",
    "issued",
    "valid_from",
    "valid_until",
    "kind",
    "school",
    "grade",
    "source_url",
    "source_path",
    "extra",
)


@dataclass
class StoredChunk:
    """One stored chunk, detached from the session."""

    id: int
    ordinal: int
    section: str | None
    text: str
    search_text: str


@dataclass
class StoredDocument:
    """One stored document with its bookkeeping, detached from the session."""

    meta: DocumentMeta
    questions: list[str]
    status: str  # "active" or "retired"
    version: int
    content_hash: str
    chunk_count: int
    updated_at: dt.datetime | None = None
    chunks: list[StoredChunk] = field(default_factory=list)

    def validity(self, today: dt.date | None = None) -> str:
        """Vietnamese status shown to staff: in force, expired, not yet in force, retired."""
        if self.status == "retired":
            return "đã ngừng dùng"
        today = today or dt.date.today()
        if self.meta.valid_from and today < self.meta.valid_from:
            return "chưa hiệu lực"
        if self.meta.valid_until and today > self.meta.valid_until:
            return "hết hạn"
        return "còn hiệu lực"


def _models() -> tuple[Any, Any, Any]:
    from storage.kb_models import Chunk, Document, DocumentVersion

    return Chunk, Document, DocumentVersion


def _meta_of(doc: Any) -> DocumentMeta:
    return DocumentMeta(id=doc.id, **{name: getattr(doc, name) for name in _META_COLUMNS})


def _snapshot(doc: Any) -> dict[str, Any]:
    """JSON-safe copy of a document row's metadata for `document_versions`."""
    data = asdict(_meta_of(doc))
    data.update(questions=list(doc.questions or []), status=doc.status, updated_at=doc.updated_at)
    return json.loads(json.dumps(data, default=lambda v: v.isoformat(), ensure_ascii=False))


def _archive(session: Session, doc: Any, reason: str) -> None:
    _, _, DocumentVersion = _models()
    session.add(
        DocumentVersion(
            doc_id=doc.id,
            version=doc.version,
            metadata_json=_snapshot(doc),
            content_hash=doc.content_hash,
            chunk_count=len(doc.chunks),
            reason=reason,
        )
    )


def add_or_replace_document(
    *,
    session: Session,
    meta: DocumentMeta,
    chunks: Sequence[ChunkDraft],
    content_hash: str,
    questions: Sequence[str] = (),
) -> StoreResult:
    """Store `meta` and its chunks; an existing document with this id becomes history.

    Returns "unchanged" (and writes nothing) when the active document already has this
    content hash.  A retired document added again becomes active with a new version.
    """
    Chunk, Document, _ = _models()
    doc = session.get(Document, meta.id)
    if doc is not None and doc.content_hash == content_hash and doc.status == "active":
        return "unchanged"
    result: StoreResult = "added"
    if doc is None:
        doc = Document(id=meta.id, version=1)
        session.add(doc)
    else:
        _archive(session, doc, "replaced")
        doc.version += 1
        result = "replaced"
    for name in _META_COLUMNS:
        setattr(doc, name, getattr(meta, name))
    doc.extra = dict(meta.extra)
    doc.questions = list(questions)
    doc.content_hash = content_hash
    doc.status = "active"
    old = list(doc.chunks)
    # New rows are inserted before the old ones are deleted so their ids are always fresh.
    fresh = [
        Chunk(
            doc_id=meta.id,
            ordinal=i,
            section=draft.section,
            text=draft.text,
            search_text=build_search_text(
                title=meta.title,
                number=meta.number,
                section=draft.section,
                context=getattr(draft, "context", ""),
                questions=list(questions),
                text=draft.text,
            ),
        )
        for i, draft in enumerate(chunks)
    ]
    session.add_all(fresh)
    session.flush()
    for chunk in old:
        session.delete(chunk)
    session.flush()
    session.expire(doc, ["chunks"])
    return result


def remove_document(*, session: Session, doc_id: str) -> None:
    """Delete a document and its chunks; its last metadata stays in `document_versions`."""
    _, Document, _ = _models()
    doc = session.get(Document, doc_id)
    if doc is None:
        raise DocumentNotFound(f"Không tìm thấy tài liệu có mã {doc_id}.")
    _archive(session, doc, "removed")
    session.delete(doc)
    session.flush()


def retire_document(*, session: Session, doc_id: str) -> bool:
    """Stop answering from a document but keep it (status "retired"); False if already retired."""
    _, Document, _ = _models()
    doc = session.get(Document, doc_id)
    if doc is None:
        raise DocumentNotFound(f"Không tìm thấy tài liệu có mã {doc_id}.")
    if doc.status == "retired":
        return False
    _archive(session, doc, "retired")
    doc.status = "retired"
    session.flush()
    return True


def _stored(doc: Any, chunk_count: int, chunks: list[StoredChunk] | None = None) -> StoredDocument:
    return StoredDocument(
        meta=_meta_of(doc),
        questions=list(doc.questions or []),
        status=doc.status,
        version=doc.version,
        content_hash=doc.content_hash,
        chunk_count=chunk_count,
        updated_at=doc.updated_at,
        chunks=chunks or [],
    )


def list_documents(*, session: Session, include_retired: bool = True) -> list[StoredDocument]:
    """Every document (without chunk texts), ordered by kind then id."""
    Chunk, Document, _ = _models()
    counts = dict(
        session.execute(select(Chunk.doc_id, func.count(Chunk.id)).group_by(Chunk.doc_id)).all()
    )
    query = select(Document).order_by(Document.kind, Document.id)
    if not include_retired:
        query = query.where(Document.status == "active")
    return [_stored(doc, counts.get(doc.id, 0)) for doc in session.scalars(query)]


def get_document(*, session: Session, doc_id: str) -> StoredDocument:
    """One document with its chunks in order; raises `DocumentNotFound`."""
    _, Document, _ = _models()
    doc = session.get(Document, doc_id)
    if doc is None:
        raise DocumentNotFound(f"Không tìm thấy tài liệu có mã {doc_id}.")
    chunks = [StoredChunk(c.id, c.ordinal, c.section, c.text, c.search_text) for c in doc.chunks]
    return _stored(doc, len(chunks), chunks)


def document_history(*, session: Session, doc_id: str) -> list[dict[str, Any]]:
    """Earlier versions of a document, oldest first (version, reason, when, metadata)."""
    _, _, DocumentVersion = _models()
    rows = session.scalars(
        select(DocumentVersion).where(DocumentVersion.doc_id == doc_id).order_by(DocumentVersion.id)
    )
    return [
        {
            "version": r.version,
            "reason": r.reason,
            "replaced_at": r.replaced_at,
            "chunk_count": r.chunk_count,
            "metadata": r.metadata_json,
        }
        for r in rows
    ]


def upsert_faq(
    *,
    session: Session,
    faq_id: str,
    questions: Sequence[str],
    answer: str,
    title: str | None = None,
    number: str | None = None,
    issuer: str | None = None,
    issued: dt.date | None = None,
    source_url: str | None = None,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    school: str | None = None,
    grade: str | None = None,
) -> StoreResult:
    """Create or replace an FAQ entry: question variants plus one answer chunk."""
    variants = [q.strip() for q in questions if q and q.strip()]
    if not variants or not answer.strip():
        raise ValueError("Mục hỏi đáp cần ít nhất một câu hỏi và một câu trả lời.")
    meta = DocumentMeta(
        id=faq_id,
        title=title or variants[0],
        number=number,
        issuer=issuer,
        issued=issued,
        valid_from=valid_from,
        valid_until=valid_until,
        kind="faq",
        school=school,
        grade=grade,
        source_url=source_url,
    )
    fingerprint = json.dumps(
        [asdict(meta), variants, answer.strip()], default=str, ensure_ascii=False
    )
    return add_or_replace_document(
        session=session,
        meta=meta,
        questions=variants,
        chunks=[ChunkDraft(ordinal=0, text=answer.strip())],
        content_hash=hashlib.sha256(fingerprint.encode()).hexdigest(),
    )


def active_chunks(*, session: Session, today: dt.date | None = None) -> list[StoredChunk]:
    """Chunks of active documents, and when `today` is given only of documents in force then."""
    Chunk, Document, _ = _models()
    query = (
        select(Chunk)
        .join(Document, Document.id == Chunk.doc_id)
        .where(Document.status == "active")
        .order_by(Chunk.doc_id, Chunk.ordinal)
    )
    if today is not None:
        query = query.where((Document.valid_from.is_(None)) | (Document.valid_from <= today))
        query = query.where((Document.valid_until.is_(None)) | (Document.valid_until >= today))
    return [
        StoredChunk(c.id, c.ordinal, c.section, c.text, c.search_text)
        for c in session.scalars(query)
    ]
