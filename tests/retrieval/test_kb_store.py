"""Documents, versions and chunks in SQL: add, replace, skip unchanged, retire, remove, FAQ."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from retrieval.errors import DocumentNotFound
from retrieval.kb_store import (
    active_chunks,
    add_or_replace_document,
    document_history,
    get_document,
    list_documents,
    remove_document,
    retire_document,
    upsert_faq,
)
from retrieval.types import ChunkDraft, DocumentMeta
from storage.db import session_scope
from storage.kb_models import Chunk, Document, DocumentVersion


def _meta(**changes: object) -> DocumentMeta:
    values: dict[str, object] = dict(
        id="tb-tuu-truong",
        title="Thông báo tựu trường",
        number="12/TB-THHS",
        issuer="Trường Tiểu học Hoa Sen",
        issued=dt.date(2024, 8, 16),
        kind="announcement",
        valid_until=dt.date(2024, 9, 30),
        extra={"scope": "toàn trường"},
    )
    values.update(changes)
    return DocumentMeta(**values)  # type: ignore[arg-type]


def _chunks(*texts: str) -> list[ChunkDraft]:
    return [ChunkDraft(ordinal=i, text=t, section=f"Mục {i + 1}") for i, t in enumerate(texts)]


def test_add_stores_metadata_chunks_and_search_text(data_dir: Path) -> None:
    with session_scope() as session:
        result = add_or_replace_document(
            session=session,
            meta=_meta(),
            chunks=_chunks("Tựu trường 28/8.", "Khai giảng 5/9."),
            content_hash="h1",
        )
    assert result == "added"
    with session_scope() as session:
        doc = session.get(Document, "tb-tuu-truong")
        assert doc is not None
        assert (doc.title, doc.number, doc.issuer, doc.issued) == (
            "Thông báo tựu trường",
            "12/TB-THHS",
            "Trường Tiểu học Hoa Sen",
            dt.date(2024, 8, 16),
        )
        assert (doc.kind, doc.version, doc.status, doc.content_hash) == (
            "announcement",
            1,
            "active",
            "h1",
        )
        assert doc.extra == {"scope": "toàn trường"}
        rows = session.scalars(select(Chunk).order_by(Chunk.ordinal)).all()
        assert [(c.ordinal, c.section, c.text) for c in rows] == [
            (0, "Mục 1", "Tựu trường 28/8."),
            (1, "Mục 2", "Khai giảng 5/9."),
        ]
        assert rows[0].search_text.split("\n") == [
            "Thông báo tựu trường",
            "Số 12/TB-THHS",
            "Mục 1",
            "Tựu trường 28/8.",
        ]


def test_same_hash_is_unchanged_and_writes_nothing(data_dir: Path) -> None:
    with session_scope() as session:
        add_or_replace_document(
            session=session, meta=_meta(), chunks=_chunks("A" * 200), content_hash="h1"
        )
    with session_scope() as session:
        first_ids = session.scalars(select(Chunk.id)).all()
        result = add_or_replace_document(
            session=session, meta=_meta(title="Khác"), chunks=_chunks("B"), content_hash="h1"
        )
    assert result == "unchanged"
    with session_scope() as session:
        assert session.scalars(select(Chunk.id)).all() == first_ids
        assert session.get(Document, "tb-tuu-truong").title == "Thông báo tựu trường"
        assert session.scalars(select(DocumentVersion)).all() == []


def test_replace_keeps_history_and_gives_new_chunk_ids(data_dir: Path) -> None:
    with session_scope() as session:
        add_or_replace_document(
            session=session, meta=_meta(), chunks=_chunks("cũ 1", "cũ 2"), content_hash="h1"
        )
    with session_scope() as session:
        old_ids = set(session.scalars(select(Chunk.id)).all())
        result = add_or_replace_document(
            session=session,
            meta=_meta(title="Thông báo tựu trường (sửa)"),
            chunks=_chunks("mới"),
            content_hash="h2",
        )
    assert result == "replaced"
    with session_scope() as session:
        doc = session.get(Document, "tb-tuu-truong")
        assert (doc.version, doc.title, doc.content_hash) == (2, "Thông báo tựu trường (sửa)", "h2")
        chunks = session.scalars(select(Chunk)).all()
        assert [c.text for c in chunks] == ["mới"]
        assert not {c.id for c in chunks} & old_ids  # ids are never reused for other text
        history = session.scalars(select(DocumentVersion)).all()
        assert len(history) == 1
        old = history[0]
        assert (old.version, old.reason, old.content_hash, old.chunk_count) == (
            1,
            "replaced",
            "h1",
            2,
        )
        assert old.metadata_json["title"] == "Thông báo tựu trường"
        assert old.metadata_json["issued"] == "2024-08-16"


def test_retire_keeps_document_but_hides_its_chunks(data_dir: Path) -> None:
    with session_scope() as session:
        add_or_replace_document(
            session=session, meta=_meta(), chunks=_chunks("x" * 160), content_hash="h1"
        )
        add_or_replace_document(
            session=session,
            meta=_meta(id="khac", valid_until=None),
            chunks=_chunks("y" * 160),
            content_hash="h9",
        )
    with session_scope() as session:
        assert retire_document(session=session, doc_id="tb-tuu-truong") is True
        assert retire_document(session=session, doc_id="tb-tuu-truong") is False
    with session_scope() as session:
        assert session.get(Document, "tb-tuu-truong").status == "retired"
        assert [c.text for c in active_chunks(session=session)] == ["y" * 160]
        docs = {d.meta.id: d for d in list_documents(session=session)}
        assert docs["tb-tuu-truong"].validity() == "đã ngừng dùng"
        assert [d.meta.id for d in list_documents(session=session, include_retired=False)] == [
            "khac"
        ]
        assert document_history(session=session, doc_id="tb-tuu-truong")[0]["reason"] == "retired"
        # adding the same content again brings it back as a new version
        result = add_or_replace_document(
            session=session, meta=_meta(), chunks=_chunks("x" * 160), content_hash="h1"
        )
    assert result == "replaced"
    with session_scope() as session:
        assert session.get(Document, "tb-tuu-truong").status == "active"


def test_remove_deletes_rows_and_records_history(data_dir: Path) -> None:
    with session_scope() as session:
        add_or_replace_document(
            session=session, meta=_meta(), chunks=_chunks("a", "b"), content_hash="h1"
        )
    with session_scope() as session:
        remove_document(session=session, doc_id="tb-tuu-truong")
    with session_scope() as session:
        assert session.get(Document, "tb-tuu-truong") is None
        assert session.scalars(select(Chunk)).all() == []
        assert [h["reason"] for h in document_history(session=session, doc_id="tb-tuu-truong")] == [
            "removed"
        ]
        with pytest.raises(DocumentNotFound, match="tb-tuu-truong"):
            remove_document(session=session, doc_id="tb-tuu-truong")
        with pytest.raises(DocumentNotFound):
            get_document(session=session, doc_id="khong-co")


def test_validity_words(data_dir: Path) -> None:
    with session_scope() as session:
        add_or_replace_document(
            session=session,
            meta=_meta(valid_from=dt.date(2024, 8, 20)),
            chunks=_chunks("a"),
            content_hash="h1",
        )
        doc = get_document(session=session, doc_id="tb-tuu-truong")
    assert doc.validity(dt.date(2024, 8, 1)) == "chưa hiệu lực"
    assert doc.validity(dt.date(2024, 9, 1)) == "còn hiệu lực"
    assert doc.validity(dt.date(2024, 10, 1)) == "hết hạn"
    with session_scope() as session:
        assert active_chunks(session=session, today=dt.date(2024, 10, 1)) == []
        assert len(active_chunks(session=session, today=dt.date(2024, 9, 1))) == 1


def test_upsert_faq_stores_questions_and_one_answer_chunk(data_dir: Path) -> None:
    with session_scope() as session:
        result = upsert_faq(
            session=session,
            faq_id="faq-hoc-phi-lop-1",
            questions=["Học phí lớp 1 bao nhiêu?", "hoc phi lop 1"],
            answer="Học sinh lớp 1 trường công lập được miễn học phí.",
            school="Tiểu học Hoa Sen",
            grade="1",
            valid_until=dt.date(2025, 5, 31),
        )
        again = upsert_faq(
            session=session,
            faq_id="faq-hoc-phi-lop-1",
            questions=["Học phí lớp 1 bao nhiêu?", "hoc phi lop 1"],
            answer="Học sinh lớp 1 trường công lập được miễn học phí.",
            school="Tiểu học Hoa Sen",
            grade="1",
            valid_until=dt.date(2025, 5, 31),
        )
    assert (result, again) == ("added", "unchanged")
    with session_scope() as session:
        doc = get_document(session=session, doc_id="faq-hoc-phi-lop-1")
        assert doc.meta.kind == "faq"
        assert doc.meta.title == "Học phí lớp 1 bao nhiêu?"
        assert doc.questions == ["Học phí lớp 1 bao nhiêu?", "hoc phi lop 1"]
        assert (doc.meta.school, doc.meta.grade) == ("Tiểu học Hoa Sen", "1")
        assert [c.text for c in doc.chunks] == ["Học sinh lớp 1 trường công lập được miễn học phí."]
        assert "hoc phi lop 1" in doc.chunks[0].search_text
        changed = upsert_faq(
            session=session,
            faq_id="faq-hoc-phi-lop-1",
            questions=["Học phí lớp 1?"],
            answer="Được miễn học phí hoàn toàn.",
        )
    assert changed == "replaced"
    with pytest.raises(ValueError):
        with session_scope() as session:
            upsert_faq(session=session, faq_id="x", questions=[" "], answer="a")
