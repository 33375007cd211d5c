"""Which school a document belongs to and a question names, and the miss between them."""

from __future__ import annotations

from typing import Any

import pytest

from retrieval.answerability import _school_miss
from retrieval.index import ChunkRecord, DocumentRecord, IndexSnapshot
from retrieval.normalize import folded_tokens, tokens
from retrieval.schools import (
    GRADED_LEVELS,
    LEVEL_GRADES,
    LEVELS,
    asked_schools,
    class_grade,
    school_spans,
    schools_in_name,
    schools_in_text,
)

NAMES = ["hoa an", "hoa sen", "ung van khiem"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Thông báo của Trường Tiểu học Hòa An về đồng phục", {("tieu_hoc", "hoa an")}),
    ("TRƯỜNG THPT UNG VĂN KHIÊM (QUY TẮC ỨNG XỬ)", {("pho_thong", "ung van khiem")}),
    ("Trường THPT Ung Văn Khiêm Năm học 2025-2026", {("pho_thong", "ung van khiem")}),
    ("trường THCS Hòa An, Trường Mầm non Hoa Sen.", {("co_so", "hoa an"), ("mam_non", "hoa sen")}),
    ("TRƯỜNG TRUNG HỌC PHỔ THÔNG            Độc lập - Tự do", set()),  # a letterhead's columns
    ("các trường mầm non tư thục trên địa bàn", set()),  # no proper name
    ("Trường THPT chuyên Lê Quý Đôn", set()),  # a lower-case word ends the name
])
def test_schools_named_in_text(text: str, expected: set[tuple[str, str]]) -> None:
    assert schools_in_text(text) == expected


def test_school_metadata_and_issuers() -> None:
    assert schools_in_name("THCS Hòa An") == {("co_so", "hoa an")}
    assert schools_in_name("Trường Mầm non Hoa Sen") == {("mam_non", "hoa sen")}
    assert schools_in_name("Bộ Giáo dục và Đào tạo") == set()


@pytest.mark.parametrize("question", [
    "Trường THPT Hòa An tuyển sinh lớp 10 khi nào?",
    "truong thpt hoa an tuyen sinh lop 10 khi nao",
    "truo\u0300ng trung ho\u0323c pho\u0309 thông Ho\u0300a An",  # NFD
])
def test_a_question_names_a_school_however_typed(question: str) -> None:
    assert asked_schools(folded_tokens(question), NAMES) == {("pho_thong", "hoa an")}


def test_a_level_without_a_known_name_names_no_school() -> None:
    assert asked_schools(folded_tokens("trường tiểu học có học thứ 7 không"), NAMES) == set()
    assert asked_schools(folded_tokens("thcs hoa binh hoc phi"), NAMES) == set()


def _snapshot(*documents: tuple[DocumentRecord, str]) -> IndexSnapshot:
    chunks = {index: ChunkRecord(id=index, doc_id=document.id, section=None, text=text,
                                 tokens=tokens(text), fingerprint=str(index))
              for index, (document, text) in enumerate(documents)}
    none: Any = None
    return IndexSnapshot(version=1, model_id="test", dense=none, bm25=none, chunks=chunks,
                         documents={document.id: document for document, _ in documents})


SNAPSHOT = _snapshot(
    (DocumentRecord(id="clb", title="Thông báo câu lạc bộ", school="Trường THCS Hòa An"),
     "Câu lạc bộ bóng đá tập chiều thứ Năm."),
    (DocumentRecord(id="fees", title="Học phí trường công", kind="faq"),
     "Học sinh tiểu học công lập không đóng học phí, ví dụ Trường Tiểu học Hòa An."),
    (DocumentRecord(id="uvk", title="Thông báo tựu trường"),
     "TRƯỜNG THPT UNG VĂN KHIÊM\nHọc sinh lớp 10 tựu trường ngày 5/9."),
    (DocumentRecord(id="admission", title="Kết quả tuyển sinh lớp 10 của tỉnh"),
     "Sở công bố điểm chuẩn lớp 10 các trường."),
    (DocumentRecord(id="jury", title="Quyết định thành lập hội đồng chấm thi học sinh giỏi"),
     "Danh sách giám khảo\n12. Nguyễn Thành Nhân Tổ phó PT DTNT THPT An Giang Giám khảo"),
)


def _miss(question: str, doc_id: str) -> float:
    return _school_miss(tokens(question), question, doc_id, SNAPSHOT)


def test_the_notice_of_another_school_misses() -> None:
    assert SNAPSHOT.document_schools("clb") == {("co_so", "hoa an")}
    assert _miss("lich thi dau bong da truong thpt hoa an", "clb") == 1.0
    assert _miss("lịch tập bóng đá trường THCS Hòa An", "clb") == 0.0


def test_a_school_no_document_belongs_to_misses_everywhere_it_is_not_named() -> None:
    assert ("pho_thong", "hoa an") not in SNAPSHOT.owned_schools()
    assert _miss("truong thpt hoa an tuyen sinh lop 10 khi nao", "admission") == 1.0
    assert _miss("truong thpt ung van khiem tuu truong ngay nao", "uvk") == 0.0


def test_a_school_typed_with_capitals_is_named_even_when_the_base_does_not_know_it() -> None:
    assert schools_in_text("Lịch thi của THCS Nguyễn Trãi xã Hòa Bình", bare=True) == {
        ("co_so", "nguyen trai")}
    assert _miss("Lịch tựu trường của THPT Nguyễn Trãi là ngày nào?", "uvk") == 1.0
    assert _miss("Lịch tựu trường của THPT Ung Văn Khiêm là ngày nào?", "uvk") == 0.0


def test_a_class_names_its_grade() -> None:
    assert [class_grade(word) for word in ("7", "07", "8a", "10a1", "12")] == [
        "7", "7", "8", "10", "12"]
    assert [class_grade(word) for word in ("13", "0", "a", "2026", "8ab")] == [None] * 5


def test_each_level_is_written_out_and_graded_as_the_school_tables_read_it() -> None:
    # one table feeds the documents' grade ranges, the level a grade is read as in the
    # answerability features, and the level phrases found in text: they must agree
    assert LEVEL_GRADES == {"mam_non": "mầm non", "tieu_hoc": "1-5", "co_so": "6-9",
                            "pho_thong": "10-12"}
    for level, (_grades, written) in GRADED_LEVELS.items():
        assert LEVELS[" ".join(folded_tokens(written))] == level
    taught = [grade for grades, _ in GRADED_LEVELS.values() for grade in grades]
    assert taught == list(range(1, 13))


def test_a_school_named_without_trường_is_found_as_a_document_writes_it() -> None:
    # a table row: the next column's capitalised words run on after the name
    assert _miss("Hội đồng chấm thi học sinh giỏi THPT An Giang đặt ở đâu?", "jury") == 0.0
    assert _miss("Hội đồng chấm thi học sinh giỏi THPT An Phú đặt ở đâu?", "jury") == 1.0
    assert _miss("Hội đồng chấm thi của THPT An đặt ở đâu?", "jury") == 1.0  # a whole name


def test_a_general_document_answers_for_every_school_it_belongs_to() -> None:
    # The fee FAQ belongs to no school and mentions the primary school only as an example.
    assert SNAPSHOT.document_schools("fees") == frozenset()
    assert SNAPSHOT.school_mentions("fees") == {("tieu_hoc", "hoa an")}
    assert _miss("hp lop 6 thcs hoa an 1 nam bn", "fees") == 0.0
    assert _miss("học phí trường tiểu học Hòa An", "fees") == 0.0
    assert _miss("học phí bao nhiêu", "clb") == 0.0


def test_each_school_is_shown_with_the_name_staff_or_its_letterhead_give_it() -> None:
    snapshot = _snapshot(
        (DocumentRecord(id="clb", title="Thông báo câu lạc bộ", school="Trường THCS Hòa An"),
         "Câu lạc bộ bóng đá."),
        (DocumentRecord(id="nghi", title="Nghỉ tết", issuer="Trường Tiểu học Hòa An"), "Nghỉ."),
        (DocumentRecord(id="uvk", title="Thông báo tựu trường"),
         "TRƯỜNG THPT UNG VĂN KHIÊM\nHọc sinh lớp 10 tựu trường ngày 5/9."),
        (DocumentRecord(id="fees", title="Học phí", kind="faq"), "Ví dụ Trường Mầm non Hoa Sen."),
    )
    assert snapshot.school_labels() == {
        ("co_so", "hoa an"): "Trường THCS Hòa An",
        ("tieu_hoc", "hoa an"): "Trường Tiểu học Hòa An",
        ("pho_thong", "ung van khiem"): "Trường THPT Ung Văn Khiêm",
    }  # a school only mentioned ("ví dụ …") has no documents of its own
    spelled = _snapshot(*[(DocumentRecord(id=f"d{n}", title="Thông báo", school=name), "Nội dung.")
                          for n, name in enumerate(["THCS Hòa An", "Trường THCS Hòa An",
                                                    "Trường THCS Hòa An"])])
    assert spelled.school_labels() == {("co_so", "hoa an"): "Trường THCS Hòa An"}  # most used


def test_where_a_question_names_a_school() -> None:
    words = folded_tokens("lịch nghỉ của trường THCS Hòa An ạ")
    [(start, end, school)] = school_spans(words, NAMES)
    assert school == ("co_so", "hoa an")
    assert words[start:end] == ["truong", "trung", "hoc", "co", "so", "hoa", "an"]


def test_a_level_as_parents_say_it_misses_only_at_another_levels_school() -> None:
    from retrieval.answerability import _spoken_level_miss, query_terms
    from retrieval.bm25 import FOLDED_TERMS, terms

    def miss(question: str, doc_id: str) -> float:
        text = " ".join(chunk.text for chunk in SNAPSHOT.chunks.values() if chunk.doc_id == doc_id)
        return _spoken_level_miss(query_terms(tokens(question)),
                                  set(terms(tokens(text), FOLDED_TERMS)), doc_id, SNAPSHOT)

    assert miss("câu lạc bộ của cấp 1", "clb") == 1.0  # the THCS's notice
    assert miss("cấp 2 có câu lạc bộ gì", "clb") == 0.0
    assert miss("học phí cấp 2", "fees") == 0.0  # for everyone: need not say "cấp 2" its way
    assert miss("câu lạc bộ bóng đá", "clb") == 0.0
