"""Restoring diacritics of accent-free questions from the knowledge base's own words."""

from __future__ import annotations

from retrieval.bm25 import tokenize
from retrieval.diacritics import DiacriticRestorer, everyday_phrases
from retrieval.normalize import fold

TEXTS = [
    "Tiền ăn bán trú là 30.000 đồng mỗi ngày.",
    "Học sinh nghỉ Tết từ ngày 1 tháng 2.",
    "Học phí lớp 1 được miễn. Học sinh tiểu học được miễn học phí.",
    "Cha mẹ đăng ký bán trú cho con tại văn phòng.",
]


def restorer() -> DiacriticRestorer:
    return DiacriticRestorer.from_token_lists(tokenize(text) for text in TEXTS)


def test_accent_free_question_gets_the_knowledge_base_reading() -> None:
    assert restorer().restore(tokenize("tien an ban tru 1 ngay")) == [
        "tiền", "ăn", "bán", "trú", "1", "ngày"]
    assert restorer().restore(tokenize("hs nghi tet")) == ["học", "sinh", "nghỉ", "tết"]


def test_syllables_typed_with_diacritics_and_unknown_words_are_kept() -> None:
    assert restorer().restore(["học", "phi", "xyz"]) == ["học", "phí", "xyz"]
    assert restorer().restore(["hóc"]) == ["hóc"]


def test_empty_inputs() -> None:
    assert restorer().restore([]) == []
    assert DiacriticRestorer.from_token_lists([]).restore(["hoc"]) == ["hoc"]


def test_token_budget_limits_what_is_counted() -> None:
    small = DiacriticRestorer.from_token_lists([tokenize(t) for t in TEXTS], max_tokens=5)
    assert small.restore(["hoc"]) == ["hoc"]  # "học" never counted within the budget


def test_everyday_phrases_read_words_the_knowledge_base_spells_otherwise() -> None:
    official = [tokenize(text) for text in (
        "Tổ chức các hoạt động phù hợp với lứa tuổi; phù hợp thực tế.",
        "Họp cha mẹ học sinh cuối học kỳ I.",
        "Câu lạc bộ bóng đá sinh hoạt chiều thứ Ba.",
    )]
    plain = DiacriticRestorer.from_token_lists(official)
    assert plain.restore(tokenize("hop phu huynh")) == ["hợp", "phù", "huynh"]
    assert plain.restore(tokenize("hoc bong")) == ["học", "bóng"]
    with_prior = DiacriticRestorer.from_token_lists(official, prior=everyday_phrases())
    assert with_prior.restore(tokenize("hop phu huynh")) == ["họp", "phụ", "huynh"]
    assert with_prior.restore(tokenize("hoc bong")) == ["học", "bổng"]
    assert with_prior.restore(tokenize("clb bong da")) == with_prior.restore(tokenize("câu lạc bộ bóng đá"))


def test_everyday_phrases_file_is_clean() -> None:
    phrases = everyday_phrases()
    assert len(phrases) >= 100
    assert all(phrases) and len(set(phrases)) == len(phrases)  # no blank or repeated line
    accented = [phrase for phrase in phrases if any(fold(token) != token for token in phrase)]
    assert len(accented) >= 0.95 * len(phrases)  # written with diacritics ("tham quan" has none)
