"""The KnowledgeBase facade: answers, no index yet, live reload of a new index version."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fake_kb import FakeEmbedder, add_document, make_settings, set_status

from retrieval.answer import NO_ANSWER_TEXT
from retrieval.index import sync_index
from retrieval.service import KnowledgeBase
from retrieval.types import SearchContext
from storage.db import reset_caches


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path))
    reset_caches()
    yield tmp_path
    reset_caches()


def test_without_an_index_the_answer_is_the_honest_no_answer(data_dir: Path) -> None:
    embedder = FakeEmbedder()
    kb = KnowledgeBase(make_settings(data_dir), embedder=embedder).load()
    answer = kb.answer("học phí lớp 1 bao nhiêu")
    assert embedder.loaded
    assert not answer.answered and answer.answer == NO_ANSWER_TEXT and kb.version is None


def test_answer_quotes_the_source_and_cites_it(data_dir: Path) -> None:
    settings = make_settings(data_dir)
    add_document(data_dir, "hoc-phi", "Quyết định miễn học phí", [
        ("Điều 1", "Học phí lớp 1 năm học 2025-2026 được miễn hoàn toàn. "
                   "Quyết định có hiệu lực từ ngày ký."),
    ], number="12/QĐ-UBND", issued=dt.date(2025, 8, 1))
    add_document(data_dir, "dong-phuc", "Quy định đồng phục", [(None, "Áo trắng, quần xanh.")])
    sync_index(settings, embedder=FakeEmbedder())
    kb = KnowledgeBase(settings, embedder=FakeEmbedder()).load()
    answer = kb.answer("hoc phi lop 1 bn", SearchContext(today=dt.date(2025, 9, 1)))
    assert answer.answered, answer
    assert "Học phí lớp 1 năm học 2025-2026 được miễn hoàn toàn." in answer.answer
    assert "Nguồn: Quyết định miễn học phí, số 12/QĐ-UBND, ngày 01/08/2025, Điều 1" in answer.answer
    assert answer.sources[0].doc_id == "hoc-phi"
    payload = answer.to_json()
    assert set(payload) == {"answered", "answer", "confidence", "sources"}
    assert 0.0 <= payload["confidence"] <= 1.0
    assert not kb.answer("giá vàng sjc hôm nay tăng hay giảm").answered


def test_running_knowledge_base_sees_a_new_document_without_restart(data_dir: Path) -> None:
    settings = make_settings(data_dir)
    add_document(data_dir, "dong-phuc", "Quy định đồng phục", [(None, "Áo trắng, quần xanh.")])
    sync_index(settings, embedder=FakeEmbedder())
    kb = KnowledgeBase(settings, embedder=FakeEmbedder()).load()
    question = "lịch tiêm chủng vắc xin sởi cho học sinh"
    assert not kb.answer(question).answered
    add_document(data_dir, "tiem-chung", "Thông báo tiêm chủng vắc xin sởi", [
        (None, "Lịch tiêm chủng vắc xin sởi cho học sinh vào thứ năm tuần sau tại trạm y tế."),
    ], kind="announcement")
    sync_index(settings, embedder=FakeEmbedder())
    answer = kb.answer(question)
    assert answer.answered and answer.sources[0].doc_id == "tiem-chung"
    assert kb.version == 2

    set_status(data_dir, "tiem-chung", "retired")
    sync_index(settings, embedder=FakeEmbedder())
    assert not kb.answer(question).answered
