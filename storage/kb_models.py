"""Knowledge-base tables: documents, their version history and their chunks.

SQL is the source of truth; the FAISS and BM25 indexes under `BOT_DATA_DIR/index` are derived
from the `chunks` table and can be rebuilt from it at any time (`bot kb reindex`).

FAQ entries are documents of kind "faq": their question variants are in `Document.questions`
and their answer is the text of their single chunk.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.db import Base
from storage.models import utcnow


class Document(Base):
    """The current version of one document, announcement or FAQ entry."""

    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    number: Mapped[str | None] = mapped_column(String(120), nullable=True)
    issuer: Mapped[str | None] = mapped_column(Text, nullable=True)
    issued: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    valid_from: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    valid_until: Mapped[dt.date | None] = mapped_column(Date, nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(20), default="document", index=True)
    school: Mapped[str | None] = mapped_column(String(200), nullable=True)
    grade: Mapped[str | None] = mapped_column(String(40), nullable=True)
    source_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)  # FAQ variants
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)  # active, retired
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    chunks: Mapped[list[Chunk]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="Chunk.ordinal"
    )


class DocumentVersion(Base):
    """Metadata of a replaced or retired version of a document, kept for history."""

    __tablename__ = "document_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    doc_id: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer)
    metadata_json: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    replaced_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(String(40), default="replaced")  # replaced, retired, removed


class Chunk(Base):
    """A searchable passage. Its integer id is the id of its vector in the FAISS ID map."""

    __tablename__ = "chunks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    doc_id: Mapped[str] = mapped_column(
        String(200), ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    ordinal: Mapped[int] = mapped_column(Integer)
    section: Mapped[str | None] = mapped_column(Text, nullable=True)  # "Điều 5 › Khoản 2"
    text: Mapped[str] = mapped_column(Text)  # what answers are extracted from
    search_text: Mapped[str] = mapped_column(Text, default="")  # what is indexed (title, section, variants, text)

    document: Mapped[Document] = relationship(back_populates="chunks")
