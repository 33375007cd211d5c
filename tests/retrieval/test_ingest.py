"""Ingesting files and folders: one report per file, SQL rows right, index synced once."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from kb_documents import blank_pdf, text_pdf, write_docx
from sqlalchemy import func, select

import retrieval.ingest
from retrieval.ingest import ingest_paths
from retrieval.metadata import as_date
from storage.db import session_scope
from storage.kb_models import Chunk, Document, DocumentVersion

KB_SOURCES = Path(__file__).resolve().parents[2].parent / "shared" / "kb-sources"

NOTICE = """---
id: "tb-nghi-tet"
title: "Thông báo nghỉ Tết Nguyên đán"
number: "15/TB-THHS"
issuer: "Trường Tiểu học Hoa Sen"
issued: "20/1/2025"
valid_until: 2025-02-10
kind: "thong-bao"
grade: 3
---
1. Thời gian nghỉ
Học sinh nghỉ Tết từ ngày 25/1/2025 đến hết ngày 2/2/2025.
2. Đi học lại
Học sinh đi học lại vào thứ Hai, ngày 3/2/2025.
"""


class SyncRecorder:
    """Stands in for `retrieval.index.sync_index` and records its calls."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, settings: Any = None, full: bool = False) -> Any:
        self.calls.append({"settings": settings, "full": full})
        return None


@pytest.fixture()
def sync(monkeypatch: pytest.MonkeyPatch) -> SyncRecorder:
    recorder = SyncRecorder()
    monkeypatch.setattr(retrieval.ingest, "_load_sync_index", lambda: recorder)
    return recorder


def _folder(root: Path) -> Path:
    folder = root / "kho"
    (folder / "con" / ".an").mkdir(parents=True)
    (folder / "tb-nghi-tet.md").write_text(NOTICE, encoding="utf-8")
    (folder / "ghi-chu.txt").write_text(
        "Lịch họp phụ huynh lớp 3: 8 giờ sáng Chủ nhật 12/1/2025 tại phòng 3A.", encoding="utf-8"
    )
    write_docx(folder / "con" / "hoc-phi.docx")
    (folder / "con" / "tuu-truong.pdf").write_bytes(
        text_pdf(["THONG BAO", "Tuu truong ngay 28/8/2024."])
    )
    (folder / "con" / "trang.html").write_text(
        "<html><body><h1>Thực đơn bán trú</h1>"
        "<p>Thứ Hai: cơm, canh chua, cá kho.</p></body></html>",
        encoding="utf-8",
    )
    (folder / "con" / "ban-quet.pdf").write_bytes(blank_pdf())
    (folder / "con" / "anh.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (folder / "con" / ".an" / "nhap.md").write_text("bản nháp", encoding="utf-8")
    return folder


def _count(model: Any) -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_folder_ingestion_reports_each_file(data_dir: Path, sync: SyncRecorder) -> None:
    report = ingest_paths([_folder(data_dir)], progress=False)
    by_name = {f.path.name: f for f in report.files}
    assert set(by_name) == {
        "tb-nghi-tet.md",
        "ghi-chu.txt",
        "hoc-phi.docx",
        "tuu-truong.pdf",
        "trang.html",
        "ban-quet.pdf",
        "anh.png",
    }
    assert {n for n, f in by_name.items() if f.status == "ok"} == {
        "tb-nghi-tet.md",
        "ghi-chu.txt",
        "hoc-phi.docx",
        "tuu-truong.pdf",
        "trang.html",
    }
    assert by_name["ban-quet.pdf"].status == "error"
    assert by_name["ban-quet.pdf"].message == (
        "Tệp ban-quet.pdf không có lớp chữ (có thể là bản quét); hãy tải bản có chữ hoặc bản DOCX."
    )
    assert by_name["anh.png"].status == "skipped" and "anh.png" in by_name["anh.png"].message
    assert len(sync.calls) == 1 and sync.calls[0]["full"] is False
    with session_scope() as session:
        ids = set(session.scalars(select(Document.id)).all())
        assert ids == {"tb-nghi-tet", "ghi-chu", "hoc-phi", "tuu-truong", "trang"}
        notice = session.get(Document, "tb-nghi-tet")
        assert (notice.kind, notice.number, notice.issued, notice.valid_until, notice.grade) == (
            "announcement",
            "15/TB-THHS",
            dt.date(2025, 1, 20),
            dt.date(2025, 2, 10),
            "3",
        )
        assert notice.extra["kind"] == "thong-bao"
        assert notice.source_path.endswith("tb-nghi-tet.md")
        sections = session.scalars(select(Chunk.section).where(Chunk.doc_id == "tb-nghi-tet")).all()
        assert sections  # one or more chunks, cited by their numbered headings
        docx_text = "\n".join(
            session.scalars(select(Chunk.text).where(Chunk.doc_id == "hoc-phi")).all()
        )
        assert "Lớp 6 | 100.000 đồng" in docx_text
        assert session.get(Document, "hoc-phi").title == "Thông báo thu học phí"


def test_second_run_is_unchanged_and_leaves_the_index_alone(
    data_dir: Path, sync: SyncRecorder
) -> None:
    folder = _folder(data_dir)
    ingest_paths([folder], progress=False)
    chunks_before = _count(Chunk)
    report = ingest_paths([folder], progress=False)
    assert {
        f.status for f in report.files if f.path.suffix != ".png" and f.path.name != "ban-quet.pdf"
    } == {"unchanged"}
    assert len(sync.calls) == 1  # only the first run touched the index
    assert _count(Chunk) == chunks_before


def test_changed_file_replaces_the_old_version(data_dir: Path, sync: SyncRecorder) -> None:
    path = data_dir / "tb.md"
    path.write_text(NOTICE, encoding="utf-8")
    ingest_paths([path], progress=False)
    path.write_text(
        NOTICE.replace("thứ Hai, ngày 3/2/2025", "thứ Ba, ngày 4/2/2025"), encoding="utf-8"
    )
    report = ingest_paths([path], progress=False)
    assert [(f.status, f.action) for f in report.files] == [("ok", "replaced")]
    assert len(sync.calls) == 2
    with session_scope() as session:
        assert session.get(Document, "tb-nghi-tet").version == 2
        texts = "\n".join(session.scalars(select(Chunk.text)).all())
        assert "4/2/2025" in texts and "3/2/2025" not in texts
        assert session.scalars(select(DocumentVersion.reason)).all() == ["replaced"]


def test_errors_write_nothing_and_name_the_file(data_dir: Path, sync: SyncRecorder) -> None:
    broken = data_dir / "hong.docx"
    broken.write_bytes(b"PK\x03\x04 this is not a zip archive")
    missing = data_dir / "khong-co.md"
    report = ingest_paths([broken, missing], progress=False)
    messages = {f.path.name: f.message for f in report.files if f.status == "error"}
    assert set(messages) == {"hong.docx", "khong-co.md"}
    assert messages["hong.docx"].startswith("Tệp hong.docx ") and "hỏng" in messages["hong.docx"]
    assert "khong-co.md" in messages["khong-co.md"]
    assert _count(Document) == 0 and _count(Chunk) == 0
    assert sync.calls == []


def test_duplicate_ids_in_one_run_are_refused(data_dir: Path, sync: SyncRecorder) -> None:
    (data_dir / "a.md").write_text(NOTICE, encoding="utf-8")
    (data_dir / "b.md").write_text(NOTICE.replace("Học sinh nghỉ", "Các em nghỉ"), encoding="utf-8")
    report = ingest_paths([data_dir / "a.md", data_dir / "b.md"], progress=False)
    assert [f.status for f in report.files] == ["ok", "error"]
    assert "trùng" in report.files[1].message and "a.md" in report.files[1].message


def test_faq_file_becomes_one_chunk_with_its_questions(data_dir: Path, sync: SyncRecorder) -> None:
    path = data_dir / "faq-ban-tru.md"
    path.write_text(
        '---\nkind: faq\nquestions: ["Tiền ăn bán trú bao nhiêu?", "tien an ban tru"]\n---\n'
        "Tiền ăn bán trú là 25.000 đồng mỗi ngày.\n\nNộp tại văn phòng trường.\n",
        encoding="utf-8",
    )
    ingest_paths([path], progress=False)
    with session_scope() as session:
        doc = session.get(Document, "faq-ban-tru")
        assert (doc.kind, doc.title, doc.questions) == (
            "faq",
            "Tiền ăn bán trú bao nhiêu?",
            ["Tiền ăn bán trú bao nhiêu?", "tien an ban tru"],
        )
        chunks = session.scalars(select(Chunk)).all()
        assert len(chunks) == 1
        assert (
            chunks[0].text == "Tiền ăn bán trú là 25.000 đồng mỗi ngày.\nNộp tại văn phòng trường."
        )
        assert "tien an ban tru" in chunks[0].search_text


def _front_matter(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---", 2)[1])


@pytest.mark.slow
@pytest.mark.skipif(not KB_SOURCES.is_dir(), reason="../shared/kb-sources is not present")
def test_every_shared_source_is_ingested_with_its_metadata(
    data_dir: Path, sync: SyncRecorder, record_property: Any
) -> None:
    files = sorted(KB_SOURCES.rglob("*.md"))
    started = time.perf_counter()
    report = ingest_paths([KB_SOURCES / "official", KB_SOURCES / "school-notices"], progress=False)
    seconds = time.perf_counter() - started
    record_property("kb_sources_seconds", round(seconds, 2))
    chunks = sum(f.chunks for f in report.files)
    print(f"\nkb-sources: {len(files)} tệp, {chunks} đoạn, {seconds:.1f} s")
    assert {f.path for f in report.files} == set(files)
    assert [f.message for f in report.files if f.status != "ok"] == []
    with session_scope() as session:
        counts = dict(
            session.execute(select(Chunk.doc_id, func.count(Chunk.id)).group_by(Chunk.doc_id)).all()
        )
        for path in files:
            front = _front_matter(path)
            doc = session.get(Document, front["id"])
            assert doc is not None, path.name
            assert counts.get(doc.id, 0) >= 1, path.name
            assert doc.title == front["title"]
            if "number" in front:
                assert doc.number == front["number"], path.name
            if "issuer" in front:
                assert doc.issuer == front["issuer"], path.name
            if "issued" in front:
                expected = as_date(front["issued"])
                if expected is None:
                    assert doc.extra["issued"] == front["issued"], path.name
                else:
                    assert doc.issued == expected, path.name
