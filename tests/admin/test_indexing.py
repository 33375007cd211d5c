"""refresh_index: one sync at a time, a note for staff, and the bot answering from the change."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

import admin.indexing
from admin.indexing import refresh_failed, refresh_index
from retrieval.errors import IndexFileError
from retrieval.kb_store import add_or_replace_document, retire_document
from retrieval.service import KnowledgeBase
from retrieval.types import ChunkDraft, DocumentMeta
from storage.db import session_scope

QUESTION = "lịch tham quan bảo tàng tỉnh của khối 7 là ngày nào"


def _add_museum_plan() -> None:
    meta = DocumentMeta(id="tham-quan", title="Kế hoạch tham quan bảo tàng tỉnh", number="21/KH-THCS")
    text = ("Học sinh khối 7 tham quan bảo tàng tỉnh vào sáng thứ Bảy ngày 14/3/2026, "
            "xe đón tại cổng trường lúc 6 giờ 30.")
    with session_scope() as session:
        add_or_replace_document(session=session, meta=meta, chunks=[ChunkDraft(0, text, "1. Thời gian")],
                                content_hash="v1")


@pytest.mark.slow
async def test_a_refresh_makes_the_new_document_answerable_and_retiring_removes_it(data_dir: Path) -> None:
    from retrieval.embeddings import get_embedder

    _add_museum_plan()
    note = await refresh_index()
    assert note.startswith("Đã cập nhật chỉ mục (phiên bản 1): thêm 1 đoạn") and not refresh_failed(note)
    kb = KnowledgeBase(embedder=get_embedder()).load()
    answer = kb.answer(QUESTION)
    assert answer.answered, answer
    assert answer.sources[0].doc_id == "tham-quan"
    assert "14/3/2026" in answer.answer and "Nguồn: Kế hoạch tham quan bảo tàng tỉnh, số 21/KH-THCS" in answer.answer

    assert (await refresh_index()).startswith("Chỉ mục tìm kiếm đã mới nhất (phiên bản 1)")
    with session_scope() as session:
        retire_document(session=session, doc_id="tham-quan")
    note = await refresh_index()
    assert note.startswith("Đã cập nhật chỉ mục (phiên bản 2)") and "bỏ 1 đoạn" in note
    after = KnowledgeBase(embedder=get_embedder()).load().answer(QUESTION)
    assert all(source.doc_id != "tham-quan" for source in after.sources)


async def test_refreshes_run_one_at_a_time(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    running, peak = 0, 0
    guard = threading.Lock()

    def slow_sync(settings: object) -> str:
        nonlocal running, peak
        with guard:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with guard:
            running -= 1
        return "Đã cập nhật chỉ mục."

    monkeypatch.setattr(admin.indexing, "sync_search_index", slow_sync)
    notes = await asyncio.gather(*(refresh_index() for _ in range(4)))
    assert notes == ["Đã cập nhật chỉ mục."] * 4
    assert peak == 1


async def test_an_index_failure_becomes_a_note_not_an_error(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    def broken(settings: object) -> str:
        raise IndexFileError("CURRENT hỏng.")

    monkeypatch.setattr(admin.indexing, "sync_search_index", broken)
    note = await refresh_index()
    assert refresh_failed(note)
    assert "chưa cập nhật được chỉ mục tìm kiếm" in note and "CURRENT hỏng." in note and "bot kb reindex" in note
