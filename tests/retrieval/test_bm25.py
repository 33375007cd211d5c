"""BM25 over syllables: accented and accent-free questions, bigrams, ceiling, save/load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.bm25 import BM25Index, TermOptions, content_segments, terms, tokenize, top_k

CHUNKS = {
    1: "Học phí lớp 1 năm học 2025-2026 được miễn hoàn toàn.",
    2: "Lịch khai giảng năm học mới vào ngày 5 tháng 9.",
    3: "Phí gửi xe của học sinh là 20.000 đồng một tháng.",
    4: "Đồng phục học sinh gồm áo trắng và quần xanh.",
}


@pytest.fixture()
def index() -> BM25Index:
    bm25 = BM25Index()
    bm25.build(list(CHUNKS), [tokenize(text) for text in CHUNKS.values()])
    return bm25


def test_terms_hold_accented_folded_and_bigrams() -> None:
    assert terms(["học", "phí"]) == ["học", "phí", "~hoc", "~phi", "hoc_phi"]
    assert terms(["học", "phí"], TermOptions(accented=False, bigrams=False)) == ["~hoc", "~phi"]
    assert terms([]) == []


def test_accented_question_finds_the_chunk(index: BM25Index) -> None:
    ids, scores = index.search(index.query_terms(tokenize("Học phí lớp 1 bao nhiêu?")), k=2)
    assert ids[0] == 1
    assert len(ids) == 2
    assert np.all(np.diff(scores) <= 0)


def test_accent_free_and_abbreviated_question_finds_the_same_chunk(index: BM25Index) -> None:
    ids, _ = index.search(index.query_terms(tokenize("hoc phi lop 1 bn")), k=1)
    assert ids.tolist() == [1]
    ids, _ = index.search(index.query_terms(tokenize("dong phuc hs")), k=1)
    assert ids.tolist() == [4]


def test_accent_free_question_drops_unknown_accented_terms(index: BM25Index) -> None:
    query = index.query_terms(tokenize("hoc phi"))
    assert "hoc" not in query and "~hoc" in query and "hoc_phi" in query
    assert "học" in index.query_terms(tokenize("học phí"))


def test_coverage_share_is_at_most_one_and_lower_for_unknown_words(index: BM25Index) -> None:
    known = index.query_terms(tokenize("học phí lớp 1"))
    unknown = index.query_terms(tokenize("giá vàng hôm nay"))
    known_share = index.scores(known).max() / index.max_score(known)
    unknown_share = index.scores(unknown).max() / index.max_score(unknown)
    assert 0 < known_share <= 1
    assert unknown_share < known_share / 2


def test_question_without_known_terms_returns_nothing(index: BM25Index) -> None:
    ids, scores = index.search(index.query_terms(tokenize("xyzw qqq")), k=3)
    assert len(ids) == 0 and len(scores) == 0
    assert index.search([], k=3)[0].size == 0


def test_empty_index() -> None:
    bm25 = BM25Index()
    bm25.build([], [])
    assert len(bm25) == 0
    assert bm25.search(bm25.query_terms(["học"]), k=3)[0].size == 0
    assert bm25.scores(["học"]).size == 0


def test_top_k_orders_and_drops_zero_scores() -> None:
    ids, scores = top_k(np.array([7, 8, 9]), np.array([0.5, 0.0, 2.0], dtype=np.float32), 5)
    assert ids.tolist() == [9, 7]
    assert scores.tolist() == [2.0, 0.5]
    assert top_k(np.array([], dtype=np.int64), np.array([], dtype=np.float32), 3)[0].size == 0


def test_save_and_load_round_trip(index: BM25Index, tmp_path: Path) -> None:
    index.save(tmp_path / "bm25")
    loaded = BM25Index.load(tmp_path / "bm25")
    query = index.query_terms(tokenize("phi gui xe"))
    np.testing.assert_allclose(loaded.scores(query), index.scores(query), rtol=1e-6)
    assert loaded.options == index.options
    assert loaded.ids().tolist() == [1, 2, 3, 4]


def test_mismatched_build_rejected() -> None:
    with pytest.raises(ValueError):
        BM25Index().build([1, 2], [["a"]])


def test_question_words_are_left_out_of_the_query_only() -> None:
    assert content_segments(tokenize("Tiền ăn bán trú bao nhiêu một ngày?")) == [
        ["tiền", "ăn", "bán", "trú"], ["một", "ngày"]]
    assert content_segments(tokenize("khi nao nghi tet")) == [["nghi", "tet"]]
    # "sao" alone is content ("bản sao"); a question of question words only is kept whole.
    assert content_segments(tokenize("bản sao giấy khai sinh")) == [
        ["bản", "sao", "giấy", "khai", "sinh"]]
    assert content_segments(tokenize("bao nhiêu")) == [["bao", "nhiêu"]]
    # ... but "thì sao", "ra sao" only ask
    assert content_segments(tokenize("don con muon thi sao")) == [["don", "con", "muon"]]
    assert content_segments(tokenize("học bù ra sao")) == [["học", "bù"]]
    assert content_segments([]) == []


def test_question_words_do_not_lower_the_coverage_share(index: BM25Index) -> None:
    bare = index.query_terms(tokenize("học phí lớp 1"))
    asked = index.query_terms(tokenize("học phí lớp 1 là bao nhiêu vậy ạ?"))
    assert set(asked) == set(bare)
    assert "bao_nhieu" not in asked and "phi_bao" not in index.query_terms(
        tokenize("học phí bao nhiêu"))
