"""The answer/abstain model: its file, its arithmetic, its features, and its training data."""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
from pathlib import Path

import pytest

from retrieval.answerability import (
    FEATURES,
    MODEL_FILE,
    Model,
    _entity_miss,
    entities,
    level_phrasings,
    load_model,
    parse_model,
    query_terms,
)
from retrieval.bm25 import tokenize
from retrieval.normalize import fold

HERE = Path(__file__).parent
TRAIN = HERE / "train_questions.jsonl"
DEV = HERE / "dev_questions.jsonl"


def test_bundled_model_names_known_features_and_a_threshold() -> None:
    model = load_model(MODEL_FILE)
    assert set(model.weights) == set(FEATURES)
    assert 0.0 < model.threshold < 1.0
    assert all(model.scale[name] > 0 for name in model.weights)
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    assert data["fitted"]["questions"] == "train_questions.jsonl"


def test_confidence_is_one_half_exactly_at_the_threshold() -> None:
    model = Model(weights={"dense": 2.0}, bias=0.0, mean={"dense": 0.5}, scale={"dense": 0.25},
                  threshold=0.3)
    at = 0.5 + 0.25 * math.log(0.3 / 0.7) / 2.0  # the dense value where probability = 0.3
    assert model.probability({"dense": at}) == pytest.approx(0.3)
    assert model.confidence({"dense": at}) == pytest.approx(0.5)
    assert model.confidence({"dense": 0.9}) > 0.5 > model.confidence({"dense": 0.1})


def test_a_best_document_missing_what_the_question_pins_down_is_held_below_one_half() -> None:
    model = Model(weights={"dense": 2.0, "entity_miss": -0.1}, bias=0.0,
                  mean={"dense": 0.5, "entity_miss": 0.1}, scale={"dense": 0.25, "entity_miss": 0.3},
                  threshold=0.5)
    sure = {"dense": 0.95, "entity_miss": 0.0}
    missed = {"dense": 0.95, "entity_miss": 1.0}
    assert model.confidence(sure) > 0.9
    assert model.confidence(missed) < 0.5 < model.confidence({**missed, "entity_miss": 0.99})
    # halved, so the order among declined questions (the review queue's) stays
    assert model.confidence(missed) == pytest.approx(model.probability(missed) / 2)


def test_far_out_of_range_features_count_as_three_standard_deviations() -> None:
    model = Model(weights={"dense": 2.0, "margin": 1.0}, bias=0.0, mean={"dense": 0.5, "margin": 0.0},
                  scale={"dense": 0.25, "margin": 0.1}, threshold=0.5)
    at_limit = model.probability({"dense": 0.5 - 3 * 0.25, "margin": 0.2})
    assert model.probability({"dense": -1e6, "margin": 0.2}) == pytest.approx(at_limit)
    assert model.probability({"dense": -1e6, "margin": 0.2}) == pytest.approx(1 / (1 + math.exp(4.0)))


def test_unknown_feature_in_a_model_file_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown features"):
        parse_model({"weights": {"vibes": 1.0}, "bias": 0.0, "mean": {}, "scale": {}})


def test_query_terms_are_folded_content_words_and_pairs() -> None:
    terms = query_terms(tokenize("Học phí lớp 10 trường THPT bao nhiêu?"))
    assert "~hoc" in terms and "hoc_phi" in terms and "lop_10" in terms
    assert "~nhieu" not in terms  # question words are left out
    assert query_terms(tokenize("hoc phi lop 10 truong thpt bn")) == terms


def test_entities_are_years_grades_and_school_levels() -> None:
    named = entities(query_terms(tokenize("tuyển sinh lớp 10 năm 2027 trường THPT")))
    assert {"~2027", "lop_10", "pho_thong"} <= set(named)
    assert entities(query_terms(tokenize("đồng phục mặc thế nào"))) == []


def test_a_grade_is_covered_by_a_school_wide_notice_of_its_level() -> None:
    from retrieval.index import DocumentRecord

    primary = DocumentRecord(id="tb", title="Thông báo họp cha mẹ học sinh cuối học kỳ I",
                             school="Trường Tiểu học Hòa An")
    text = frozenset(["hop", "cha_me"])

    def miss(question: str, record: DocumentRecord) -> float:
        return _entity_miss(query_terms(tokenize(question)), text, record)

    assert miss("con học lớp 3 trường tiểu học, bao giờ họp phụ huynh", primary) == 0.0
    assert miss("con hoc lop 3 bao gio hop ph", primary) == 0.0
    assert miss("lớp 7 bao giờ họp phụ huynh", primary) == 1.0  # lớp 7 is not primary school
    secondary = DocumentRecord(id="tb2", title="Lịch kiểm tra cuối học kỳ I THCS Hòa An")
    assert miss("lop 7 thi ngay nao", secondary) == 0.0  # the level named in the title
    assert miss("lop 10 thi ngay nao", secondary) == 1.0
    assert miss("lịch thi lớp 8A", secondary) == 0.0  # a class of a grade it covers
    assert miss("thời khóa biểu lớp 8A", primary) == 1.0
    assert miss("thời khóa biểu lớp 3B", primary) == 0.0
    only_grade_1 = DocumentRecord(id="ts", title="Tuyển sinh lớp 1", school="Trường Tiểu học Hòa An",
                                  grade="1")
    assert miss("lớp 3 tuyển sinh thế nào", only_grade_1) == 1.0  # an explicit grade wins
    fees = DocumentRecord(id="faq", title="Học phí trường công lập", kind="faq")
    fee_text = frozenset(["hoc_phi", "co_so", "tieu_hoc"])  # names the levels it speaks of

    def fee_miss(question: str) -> float:
        return _entity_miss(query_terms(tokenize(question)), fee_text, fees)

    assert fee_miss("hp lop 6 thcs 1 nam bn") == 0.0  # a level its text names covers lớp 6
    assert fee_miss("học phí lớp 11") == 1.0  # no level of lớp 11 in its text


def test_a_grade_the_document_does_not_name_is_rephrased_as_its_level() -> None:
    asked = [tokenize("học phí lớp 7 bao nhiêu"), tokenize("hoc phi khoi 3")]
    assert [fold(" ".join(tokens)) for tokens in level_phrasings(asked, frozenset())] == [
        "hoc phi trung hoc co so bao nhieu", "hoc phi tieu hoc"]
    assert level_phrasings(asked, frozenset(["lop_7", "khoi_3"])) == []  # named: kept as asked
    assert level_phrasings([tokenize("lớp 13 học gì"), tokenize("lớp học bơi")], frozenset()) == []


def _rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_training_questions_are_labelled_and_apart_from_the_dev_set() -> None:
    train, dev = _rows(TRAIN), _rows(DEV)
    assert len(train) >= 150
    unanswerable = sum(row["expected_doc"] is None for row in train)
    assert unanswerable >= 40 and len(train) - unanswerable >= 100
    assert all(row["accents"] in ("yes", "no") for row in train)
    dev_texts = [fold(str(row["question"])) for row in dev]
    for row in train:
        text = fold(str(row["question"]))
        closest = max(difflib.SequenceMatcher(None, text, d).ratio() for d in dev_texts)
        assert closest < 0.85, f"training question too close to a dev question: {row['question']}"


def test_settings_can_point_to_another_model_file(tmp_path: Path) -> None:
    from retrieval.searcher import Searcher
    from retrieval.settings import RetrievalSettings

    path = tmp_path / "model.json"
    path.write_text(json.dumps({"weights": {"dense": 1.0}, "bias": 0.0, "mean": {"dense": 0.0},
                                "scale": {"dense": 1.0}, "threshold": 0.4}), encoding="utf-8")

    class Snapshot:  # only what Searcher.__init__ touches
        class bm25:  # noqa: N801
            @staticmethod
            def ids() -> list[int]:
                return []

    settings = RetrievalSettings(data_dir=tmp_path, answerability_model=str(path))
    searcher = Searcher(Snapshot(), None, settings)  # type: ignore[arg-type]
    assert searcher.model.threshold == 0.4 and searcher.model.weights == {"dense": 1.0}


def test_an_faq_entry_is_shadowed_only_when_the_question_names_the_old_documents_year_or_term(
) -> None:
    from retrieval.answerability import Evidence, _answers_for_now
    from retrieval.index import DocumentRecord

    faq = DocumentRecord(id="faq", title="Năm học 2027-2028 nhận trẻ sinh năm nào?", kind="faq")
    notice = DocumentRecord(id="old", title="Tuyển sinh lớp 1 năm học 2026-2027",
                            kind="announcement")
    old = Evidence([], [], 0.9, 0.7, 0.9, "", notice)

    def for_now(question: str, best: DocumentRecord = faq, evidence: Evidence = old) -> bool:
        return _answers_for_now(best, dataclasses.replace(evidence, question=question))

    assert for_now("khi nao nhap hoc lop 1")
    assert for_now("tuyển sinh lớp 1 năm 2027 khi nào")  # both titles name 2027
    assert not for_now("tuyen sinh lop 1 nam 2026 co bao nhieu chi tieu")
    assert not for_now("khi nao nhap hoc lop 1", best=notice)  # only FAQ entries answer for now
    assert for_now("tuyen sinh lop 1 nam 2026", evidence=Evidence([], [], 0.0, 0.7, 0.9, ""))
    lunches = DocumentRecord(id="faq2", title="Đăng ký cho con ăn bán trú thế nào?", kind="faq")
    second = Evidence([], [], 0.9, 0.7, 0.9, "",
                      DocumentRecord(id="hk2", title="Mức thu tiền ăn bán trú học kỳ II"))
    assert for_now("đăng ký bán trú thế nào", lunches, second)
    assert for_now("dang ky ban tru hk1", lunches, second)  # the in-force term is not shadowed
    assert not for_now("khi nao dang ky ban tru hoc ky 2", lunches, second)
    assert not for_now("đăng ký bán trú hk2", lunches, second)


def test_a_calendar_year_is_the_period_of_a_notice_naming_it_alone_not_of_a_school_year() -> None:
    from retrieval.answerability import Evidence, _lone_years, _names_their_period
    from retrieval.index import DocumentRecord

    assert _lone_years("Lịch nghỉ lễ năm học 2026-2027, Tết 2027") == {"2027"}
    assert _lone_years("năm học 2025 – 2026") == set()
    holidays = DocumentRecord(id="le", title="Lịch nghỉ các ngày lễ năm học 2026-2027")
    old_tet = DocumentRecord(id="tet", title="Lịch nghỉ Tết Nguyên đán Bính Ngọ 2026")

    def names(question: str) -> bool:
        evidence = Evidence([], [], 0.9, 0.7, 0.9, question, old_tet)
        return _names_their_period(holidays, evidence)

    assert names("tet 2026 hs di hoc lai ngay nao")
    assert not names("năm học 2026-2027 nghỉ lễ những ngày nào")  # the school year in force
    assert not names("tết 2027 nghỉ mấy ngày")
    assert not names("nghỉ lễ 30/4 thế nào")


def test_a_semester_the_documents_title_does_not_cover_is_a_miss() -> None:
    from retrieval.answerability import _semester_miss, semesters

    assert semesters(tokenize("đăng ký bán trú hk2")) == {2}
    assert semesters(tokenize("lịch kiểm tra cuối kì II")) == {2}
    assert semesters(tokenize("hoc ky 1 ket thuc ngay nao")) == {1}
    first = "Thông báo lịch kiểm tra cuối học kỳ I năm học 2026-2027"
    assert _semester_miss(tokenize("lich kiem tra cuoi hk2 thcs"), first) == 1.0
    assert _semester_miss(tokenize("lịch kiểm tra cuối học kỳ 1"), first) == 0.0
    assert _semester_miss(tokenize("lịch kiểm tra cuối kỳ"), first) == 0.0  # no semester asked
    assert _semester_miss(tokenize("bán trú học kỳ 2"), "Kế hoạch năm học 2026-2027") == 0.0
