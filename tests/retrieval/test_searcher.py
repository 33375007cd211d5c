"""Search over a small knowledge base: ranking, date filters, preferences, confidence."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fake_kb import FakeEmbedder, add_document, make_settings, set_status

from retrieval.answerability import FEATURES
from retrieval.index import DocumentRecord, index_dir, load_snapshot, sync_index
from retrieval.schools import grade_set
from retrieval.searcher import (
    Searcher,
    audience_match,
    audience_preference,
    document_grades,
    in_force,
    without_address,
)
from retrieval.settings import RetrievalSettings
from retrieval.types import SearchContext
from storage.db import reset_caches

TODAY = dt.date(2025, 10, 1)


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path))
    reset_caches()
    add_document(tmp_path, "hoc-phi", "Quyết định về học phí", [
        ("Điều 1", "Học phí lớp 1 năm học 2025-2026 được miễn hoàn toàn."),
        ("Điều 2", "Học sinh trung học cơ sở được miễn học phí từ năm 2025."),
    ], number="12/QĐ-UBND", issued=dt.date(2025, 8, 1))
    add_document(tmp_path, "khai-giang", "Thông báo khai giảng", [
        (None, "Lễ khai giảng năm học mới tổ chức lúc 7 giờ ngày 5 tháng 9."),
    ], kind="announcement", valid_from=dt.date(2025, 8, 20), valid_until=dt.date(2025, 12, 31))
    add_document(tmp_path, "khai-giang-cu", "Thông báo khai giảng năm trước", [
        (None, "Lễ khai giảng năm học mới tổ chức lúc 7 giờ ngày 5 tháng 9 năm 2024."),
    ], kind="announcement", valid_until=dt.date(2024, 12, 31))
    add_document(tmp_path, "nghi-le", "Thông báo nghỉ lễ sắp tới", [
        (None, "Học sinh nghỉ học dịp lễ khai giảng bù vào thứ bảy."),
    ], kind="announcement", valid_from=dt.date(2026, 1, 1))
    add_document(tmp_path, "faq-dong-phuc", "Đồng phục học sinh mặc thế nào?", [
        (None, "Học sinh mặc áo trắng, quần xanh; thứ hai mặc áo đoàn."),
    ], kind="faq", questions=["Đồng phục học sinh mặc thế nào?", "Thứ hai mặc áo gì?"])
    add_document(tmp_path, "dong-phuc-a", "Quy định đồng phục trường A", [
        (None, "Đồng phục trường A: học sinh mặc áo trắng quần xanh."),
    ], school="Trường Tiểu học A")
    add_document(tmp_path, "dong-phuc-b", "Quy định đồng phục trường B", [
        (None, "Đồng phục trường B: học sinh mặc áo trắng quần xanh."),
    ], school="Trường Tiểu học B")
    add_document(tmp_path, "cu", "Văn bản đã bãi bỏ về học phí", [
        (None, "Học phí lớp 1 là 500.000 đồng mỗi tháng."),
    ])
    set_status(tmp_path, "cu", "retired")
    yield tmp_path
    reset_caches()


@pytest.fixture()
def searcher(data_dir: Path) -> Searcher:
    settings = make_settings(data_dir)
    sync_index(settings, embedder=FakeEmbedder())
    snapshot = load_snapshot(index_dir(settings))
    assert snapshot is not None
    return Searcher(snapshot, FakeEmbedder(), settings)


def doc_ids(searcher: Searcher, question: str, **context: object) -> list[str]:
    context_ = SearchContext(today=TODAY, **context)  # type: ignore[arg-type]
    result = searcher.search(question, context_)
    return [hit.document.id for hit in result.best_per_document()]


def test_best_document_first_with_and_without_diacritics(searcher: Searcher) -> None:
    assert doc_ids(searcher, "Học phí lớp 1 bao nhiêu?")[0] == "hoc-phi"
    assert doc_ids(searcher, "hoc phi lop 1 bn")[0] == "hoc-phi"
    assert doc_ids(searcher, "thcs có phải đóng học phí ko")[0] == "hoc-phi"


def test_addressing_the_page_is_not_part_of_the_question(searcher: Searcher) -> None:
    assert without_address("khi nào nghỉ tết vậy ad") == "khi nào nghỉ tết vậy  "
    assert without_address("Admin ơi, học phí lớp 1?").strip() == "ơi, học phí lớp 1?"
    assert without_address("cho em hỏi AD") == "cho em hỏi  "
    assert without_address("adn, quảng cáo") == "adn, quảng cáo"  # a word that starts with "ad"
    assert without_address("ad") == "ad"  # nothing else: keep it
    plain = searcher.search("Học phí lớp 1 bao nhiêu?", SearchContext(today=TODAY))
    addressed = searcher.search("Học phí lớp 1 bao nhiêu ad?", SearchContext(today=TODAY))
    assert addressed.query_tokens == plain.query_tokens  # not "quản trị viên"
    assert addressed.confidence == pytest.approx(plain.confidence, abs=0.02)


def test_retired_documents_are_never_found(searcher: Searcher) -> None:
    assert "cu" not in doc_ids(searcher, "học phí lớp 1 là 500.000 đồng mỗi tháng")


def test_documents_out_of_their_validity_window_are_never_found(searcher: Searcher) -> None:
    found = doc_ids(searcher, "khai giảng năm học mới lúc mấy giờ")
    assert found[0] == "khai-giang"
    assert "khai-giang-cu" not in found and "nghi-le" not in found
    later = searcher.search("nghỉ học bù thứ bảy", SearchContext(today=dt.date(2026, 2, 1)))
    assert "nghi-le" in [hit.document.id for hit in later.hits]
    assert "khai-giang" not in [hit.document.id for hit in later.hits]


def test_faq_preferred_over_a_document_saying_the_same(searcher: Searcher) -> None:
    assert doc_ids(searcher, "đồng phục học sinh mặc thế nào")[0] == "faq-dong-phuc"


def test_asker_school_boosts_matching_audience(searcher: Searcher) -> None:
    question = "đồng phục trường mặc áo trắng quần xanh"
    with_a = doc_ids(searcher, question, school="Trường Tiểu học A")
    with_b = doc_ids(searcher, question, school="trường tiểu học b")
    assert with_a.index("dong-phuc-a") < with_a.index("dong-phuc-b")
    assert with_b.index("dong-phuc-b") < with_b.index("dong-phuc-a")


def test_the_askers_school_orders_the_hits_but_is_no_evidence_of_an_answer(
    searcher: Searcher
) -> None:
    question = "đồng phục trường mặc áo trắng quần xanh"
    alone = searcher.search(question, SearchContext(today=TODAY))
    for school in ("Trường Tiểu học A", "Trường Tiểu học B"):
        asked = searcher.search(question, SearchContext(school=school, today=TODAY))
        best = asked.hits[0]
        assert best.document.school == school and best.audience == pytest.approx(0.05)
        same = next(hit for hit in alone.hits if hit.chunk.id == best.chunk.id)
        assert best.score == pytest.approx(same.score + 0.05)
        lead = same.score - max(hit.score for hit in alone.hits
                                if hit.document.id != best.document.id)
        assert asked.features["margin"] == pytest.approx(max(0.0, lead))


def test_a_question_naming_a_school_is_searched_with_it_as_the_askers(searcher: Searcher) -> None:
    for school, first in (("A", "dong-phuc-a"), ("b", "dong-phuc-b")):
        question = f"đồng phục trường tiểu học {school} mặc áo trắng quần xanh"
        found = searcher.search(question, SearchContext(today=TODAY))
        assert [hit.document.id for hit in found.best_per_document()][0] == first
        named = searcher.search(question, SearchContext(school=f"Trường Tiểu học {school.upper()}",
                                                        today=TODAY))
        assert [hit.score for hit in found.hits] == [hit.score for hit in named.hits]


def test_a_school_is_matched_however_its_name_is_written_and_by_the_schools_a_document_belongs_to(
) -> None:
    settings = RetrievalSettings(audience_boost=0.05, audience_penalty=0.05, faq_boost=0.0,
                                 announcement_boost=0.0)
    thcs = SearchContext(school="Trường THCS Hòa An")
    spelled_out = DocumentRecord(id="a", title="a", school="Trường Trung học cơ sở Hòa An")
    assert audience_preference(spelled_out, thcs, settings) == pytest.approx(0.05)
    letterhead = DocumentRecord(id="b", title="b")  # belongs by its issuer or letterhead
    assert audience_preference(letterhead, thcs, settings, frozenset({("co_so", "hoa an")})) == \
        pytest.approx(0.05)
    assert audience_preference(letterhead, thcs, settings, frozenset({("tieu_hoc", "hoa an")})) == \
        pytest.approx(-0.05)
    assert audience_preference(letterhead, thcs, settings) == 0.0  # a commune or ministry document


def test_hits_are_sorted_and_deduplicated_per_document(searcher: Searcher) -> None:
    result = searcher.search("miễn học phí", SearchContext(today=TODAY))
    scores = [hit.score for hit in result.hits]
    assert scores == sorted(scores, reverse=True)
    best = result.best_per_document()
    assert len({hit.document.id for hit in best}) == len(best)
    assert sum(hit.document.id == "hoc-phi" for hit in result.hits) == 2


def test_confidence_high_for_a_covered_question_low_for_an_unrelated_one(
    searcher: Searcher,
) -> None:
    covered = searcher.search("học phí lớp 1 năm học 2025-2026", SearchContext(today=TODAY))
    unrelated = searcher.search("giá vàng hôm nay thế nào", SearchContext(today=TODAY))
    assert 0.0 <= unrelated.confidence < covered.confidence <= 1.0
    assert covered.confidence > 0.5 > unrelated.confidence
    assert set(covered.features) == set(FEATURES)
    assert all(0.0 <= value <= 1.0 for value in covered.features.values())


def test_a_year_the_document_never_mentions_lowers_confidence(searcher: Searcher) -> None:
    plain = searcher.search("khai giảng năm học mới lúc mấy giờ", SearchContext(today=TODAY))
    dated = searcher.search("khai giảng năm học 2031 lúc mấy giờ", SearchContext(today=TODAY))
    assert plain.features["entity_miss"] == 0.0 and dated.features["entity_miss"] == 1.0
    assert dated.confidence < plain.confidence


def test_a_grade_the_document_covers_by_its_level_counts_as_asked(searcher: Searcher) -> None:
    # "Học sinh trung học cơ sở được miễn học phí" answers for lớp 7 without naming it
    grade = searcher.search("học phí lớp 7 bao nhiêu", SearchContext(today=TODAY))
    level = searcher.search("học phí trung học cơ sở bao nhiêu", SearchContext(today=TODAY))
    assert grade.hits[0].document.id == level.hits[0].document.id == "hoc-phi"
    for name in ("doc_cover", "subject_miss", "entity_miss"):  # the whole document
        assert grade.features[name] == pytest.approx(level.features[name]), name
    assert grade.features["subject_miss"] == 0.0
    # a grade no level of the document teaches is still missing
    other = searcher.search("học phí lớp 11 bao nhiêu", SearchContext(today=TODAY))
    assert other.features["subject_miss"] > 0.0 and other.features["entity_miss"] == 1.0


def test_a_year_only_an_expired_notice_is_about_is_a_miss_of_the_answer_in_force(
    data_dir: Path,
) -> None:
    add_document(data_dir, "ts-2025", "Thông báo tuyển sinh lớp 1 năm 2025", [
        (None, "Nhận hồ sơ tuyển sinh lớp 1 từ ngày 01/7 đến ngày 31/7/2025."),
    ], kind="announcement", valid_until=dt.date(2025, 8, 1))
    add_document(data_dir, "faq-ts", "Khi nào tuyển sinh lớp 1?", [
        (None, "Trường nhận hồ sơ tuyển sinh lớp 1 vào tháng 7 hằng năm, năm 2025 cũng vậy."),
    ], kind="faq", questions=["Khi nào tuyển sinh lớp 1?"])
    settings = make_settings(data_dir)
    sync_index(settings, embedder=FakeEmbedder())
    snapshot = load_snapshot(index_dir(settings))
    assert snapshot is not None
    searcher = Searcher(snapshot, FakeEmbedder(), settings)
    now = searcher.search("tuyển sinh lớp 1 nhận hồ sơ khi nào", SearchContext(today=TODAY))
    then = searcher.search("tuyển sinh lớp 1 năm 2025 nhận hồ sơ khi nào", SearchContext(today=TODAY))
    assert now.hits[0].document.id == then.hits[0].document.id == "faq-ts"
    assert "ts-2025" not in {hit.document.id for hit in then.hits}  # never quoted
    # the FAQ's text names 2025 too, but the question asks about the expired notice's year
    assert now.features["entity_miss"] == 0.0 and then.features["entity_miss"] == 1.0
    assert then.features["shadowed"] > 0.0 and then.confidence < now.confidence


def test_typed_plain_tells_whether_the_parent_typed_any_diacritics(searcher: Searcher) -> None:
    accented = searcher.search("học phí lớp 1 bao nhiêu", SearchContext(today=TODAY))
    plain = searcher.search("hoc phi lop 1 bao nhieu", SearchContext(today=TODAY))
    assert accented.features["typed_plain"] == 0.0 and plain.features["typed_plain"] == 1.0
    assert plain.hits[0].document.id == accented.hits[0].document.id


def test_empty_question_gives_no_hits(searcher: Searcher) -> None:
    result = searcher.search("  ?! ")
    assert result.hits == [] and result.confidence == 0.0


def test_rrf_fusion_setting_ranks_too(data_dir: Path) -> None:
    settings = make_settings(data_dir, fusion="rrf")
    sync_index(settings, embedder=FakeEmbedder())
    snapshot = load_snapshot(index_dir(settings))
    assert snapshot is not None
    searcher = Searcher(snapshot, FakeEmbedder(), settings)
    assert doc_ids(searcher, "hoc phi lop 1")[0] == "hoc-phi"


def test_in_force_bounds_are_inclusive() -> None:
    document = DocumentRecord(id="x", title="x", valid_from="2025-01-01",
                              valid_until="2025-01-31")
    assert in_force(document, dt.date(2025, 1, 1)) and in_force(document, dt.date(2025, 1, 31))
    assert not in_force(document, dt.date(2024, 12, 31))
    assert not in_force(document, dt.date(2025, 2, 1))
    assert in_force(DocumentRecord(id="y", title="y"), dt.date(1990, 1, 1))


def test_grade_sets_and_audience_matching() -> None:
    assert grade_set("6-9") == {"6", "7", "8", "9"}
    assert grade_set("Lớp 1, 2") == {"1", "2"}
    assert grade_set("mầm non") == {"mam non"}
    assert audience_match("lớp 7", "6-9", grade=True)
    assert not audience_match("lớp 10", "6-9", grade=True)
    assert audience_match("THCS Hòa An", "Trường THCS Hòa An", grade=False)
    assert not audience_match("Trường Tiểu học Hòa An", "Trường THCS Hòa An", grade=False)
    assert document_grades(DocumentRecord(id="x", title="x", school="Trường THCS Hòa An")) == "6-9"
    assert document_grades(DocumentRecord(id="x", title="x", school="UBND xã Hòa An")) is None


@pytest.mark.parametrize(("secondary", "primary"), [
    ({"grade": "6-9"}, {"grade": "1-5"}),  # grades of their own
    ({"school": "Trường THCS Hòa An"}, {"school": "Trường Tiểu học Hòa An"}),  # their school's
])
def test_grade_context_boosts_documents_for_that_grade(
    data_dir: Path, secondary: dict[str, str], primary: dict[str, str],
) -> None:
    add_document(data_dir, "clb-thcs", "Câu lạc bộ thể thao", [(None, "Câu lạc bộ bóng rổ.")],
                 **secondary)
    add_document(data_dir, "clb-th", "Câu lạc bộ thể thao", [(None, "Câu lạc bộ bóng rổ.")],
                 **primary)
    settings = make_settings(data_dir)
    sync_index(settings, embedder=FakeEmbedder())
    snapshot = load_snapshot(index_dir(settings))
    assert snapshot is not None
    searcher = Searcher(snapshot, FakeEmbedder(), settings)
    assert doc_ids(searcher, "câu lạc bộ bóng rổ", grade="7")[0] == "clb-thcs"
    assert doc_ids(searcher, "câu lạc bộ bóng rổ", grade="lớp 2")[0] == "clb-th"
