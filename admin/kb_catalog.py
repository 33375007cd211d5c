"""What the knowledge-base pages list: documents with their state, searched and filtered.

A document's *state* for staff combines its status and validity window on a given day:
in force ("active"), in force but ending within `expiring_days` ("expiring"), past its
`valid_until` ("expired"), before its `valid_from` ("upcoming") or retired.  The knowledge base
of a commune holds hundreds of documents, not millions, so filtering happens in Python over
`retrieval.kb_store.list_documents`; searching ignores diacritics ("hoc phi" finds "Học phí").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from retrieval.kb_store import StoredDocument, list_documents
from retrieval.normalize import fold

STATE_LABELS = {
    "active": "Đang hiệu lực",
    "expiring": "Sắp hết hạn",
    "expired": "Hết hạn",
    "upcoming": "Chưa hiệu lực",
    "retired": "Đã ngừng dùng",
}
# Filter choices: "active" also lists expiring documents (they are still in force).
STATE_FILTERS = {"": "Tất cả", **STATE_LABELS}


def state_of(document: StoredDocument, *, today: dt.date, expiring_days: int) -> str:
    """One key of STATE_LABELS for `document` on `today`."""
    meta = document.meta
    if document.status == "retired":
        return "retired"
    if meta.valid_until and meta.valid_until < today:
        return "expired"
    if meta.valid_from and meta.valid_from > today:
        return "upcoming"
    if meta.valid_until and (meta.valid_until - today).days <= expiring_days:
        return "expiring"
    return "active"


@dataclass
class DocumentRow:
    """A document as one row of a list page."""

    document: StoredDocument
    state: str
    days_left: int | None  # until valid_until (negative when expired), None without an end

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def id(self) -> str:
        return self.document.meta.id


@dataclass
class DocumentFilters:
    """What the list page was asked for (all empty: everything)."""

    query: str = ""
    kind: str = ""
    school: str = ""
    state: str = ""

    def matches(self, row: DocumentRow) -> bool:
        meta = row.document.meta
        if self.kind and meta.kind != self.kind:
            return False
        if self.school and fold(meta.school or "") != fold(self.school):
            return False
        if self.state == "active":
            if row.state not in ("active", "expiring"):
                return False
        elif self.state and row.state != self.state:
            return False
        if self.query:
            haystack = fold(" ".join(filter(None, (meta.title, meta.number, meta.id))))
            return all(word in haystack for word in fold(self.query).split())
        return True


def _row(document: StoredDocument, today: dt.date, expiring_days: int) -> DocumentRow:
    until = document.meta.valid_until
    return DocumentRow(
        document=document,
        state=state_of(document, today=today, expiring_days=expiring_days),
        days_left=(until - today).days if until else None,
    )


def document_rows(
    session: Session,
    filters: DocumentFilters | None = None,
    *,
    expiring_days: int,
    today: dt.date | None = None,
) -> list[DocumentRow]:
    """Documents matching `filters`: in-force first, then by kind, most recently updated first."""
    today = today or dt.date.today()
    filters = filters or DocumentFilters()
    rows = [_row(doc, today, expiring_days) for doc in list_documents(session=session)]
    rows = [row for row in rows if filters.matches(row)]
    order = {state: i for i, state in enumerate(("expiring", "active", "upcoming", "expired", "retired"))}
    rows.sort(key=lambda r: r.document.updated_at or dt.datetime.min, reverse=True)
    rows.sort(key=lambda r: order[r.state])
    return rows


def schools(session: Session) -> list[str]:
    """The audiences (school names) documents are written for, for the filter menu."""
    names = {doc.meta.school for doc in list_documents(session=session) if doc.meta.school}
    return sorted(names, key=fold)


def faq_matches(document: StoredDocument, query: str) -> bool:
    """True when every word of `query` (diacritics ignored) is in the entry's title or questions."""
    haystack = fold(" ".join([document.meta.title, *document.questions]))
    return all(word in haystack for word in fold(query).split())


def faq_answers(session: Session) -> dict[str, str]:
    """The answer text of every FAQ entry (the text of its single chunk), by id."""
    from sqlalchemy import select

    from storage.kb_models import Chunk, Document

    query = select(Chunk.doc_id, Chunk.text).join(Document, Document.id == Chunk.doc_id).where(Document.kind == "faq")
    return {doc_id: text for doc_id, text in session.execute(query)}
