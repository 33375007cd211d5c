"""Synonym variants of a question and their effect on ranking."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fake_kb import FakeEmbedder, add_document, make_settings

from retrieval.bm25 import tokenize
from retrieval.index import index_dir, load_snapshot, sync_index
from retrieval.searcher import Searcher
from retrieval.synonyms import MAX_VARIANTS, SYNONYMS_FILE, load_groups, variants
from retrieval.types import SearchContext
from storage.db import reset_caches

GROUPS = ((("cha", "mẹ", "học", "sinh"), ("phụ", "huynh")), (("học", "phí"), ("tiền", "học")))


def test_a_phrase_is_replaced_by_each_other_phrasing_of_its_group() -> None:
    assert variants(tokenize("Bao giờ họp phụ huynh?"), GROUPS) == [
        ["bao", "giờ", "họp", "cha", "mẹ", "học", "sinh"]]
    assert variants(tokenize("bao gio hop phu huynh"), GROUPS) == [
        ["bao", "gio", "hop", "cha", "mẹ", "học", "sinh"]]
    assert variants(tokenize("hop cha me hoc sinh, tien hoc"), GROUPS) == [
        ["hop", "phụ", "huynh", "tien", "hoc"],
        ["hop", "cha", "me", "hoc", "sinh", "học", "phí"]]
    assert variants(tokenize("đồng phục mặc thế nào"), GROUPS) == []
    assert variants([], GROUPS) == []


def test_bundled_groups_are_phrases_of_two_syllables_or_more() -> None:
    groups = load_groups(SYNONYMS_FILE)
    assert len(groups) >= 5
    assert all(len(group) >= 2 and all(len(phrasing) >= 2 for phrasing in group) for group in groups)
    assert (("cha", "mẹ", "học", "sinh"), ("phụ", "huynh")) in groups
    assert (("hồ", "sơ"), ("giấy", "tờ")) in groups  # "cần giấy tờ gì" asks for the hồ sơ
    long_question = tokenize("phụ huynh hỏi tiền học, lịch học, tiêm phòng, xe buýt, bảng điểm")
    assert len(variants(long_question)) == MAX_VARIANTS


@pytest.fixture()
def searcher(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Searcher:
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path))
    reset_caches()
    add_document(tmp_path, "hop-cmhs", "Thông báo họp cha mẹ học sinh cuối học kỳ I", [
        (None, "Nhà trường kính mời cha mẹ học sinh dự họp lúc 7 giờ 30 ngày 23/01/2027."),
    ], kind="announcement")
    add_document(tmp_path, "gop-y", "Góp ý, phản ánh", [
        (None, "Phụ huynh góp ý cho nhà trường qua hộp thư hoặc đường dây nóng."),
    ], kind="faq", questions=["Phụ huynh góp ý ở đâu?"])
    settings = make_settings(tmp_path)
    sync_index(settings, embedder=FakeEmbedder())
    snapshot = load_snapshot(index_dir(settings))
    assert snapshot is not None
    yield Searcher(snapshot, FakeEmbedder(), settings)
    reset_caches()


@pytest.mark.parametrize("question", ["Bao giờ họp phụ huynh?", "bao gio hop phu huynh"])
def test_the_parents_word_finds_the_notice_in_official_wording(searcher: Searcher,
                                                               question: str) -> None:
    result = searcher.search(question, SearchContext(today=dt.date(2026, 12, 1)))
    assert [hit.document.id for hit in result.best_per_document()][0] == "hop-cmhs"
    best = result.hits[0]
    assert best.lexical > 0.5  # scored as "họp cha mẹ học sinh"
