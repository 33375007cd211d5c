"""Synonym variants of a question and their effect on ranking."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fake_kb import FakeEmbedder, add_document, make_settings

from retrieval.bm25 import tokenize
from retrieval.index import index_dir, load_snapshot, sync_index
from retrieval.searcher import Searcher
from retrieval.synonyms import (
    MAX_LOCAL_GROUPS,
    MAX_VARIANTS,
    SYNONYMS_FILE,
    groups_for,
    load_groups,
    parse_staff_text,
    save_staff_groups,
    staff_text,
    variants,
)
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
    add_document(tmp_path, "tien-an", "Thông báo thu tiền ăn bán trú học kỳ I", [
        (None, "Tiền ăn bán trú học kỳ I là 30.000 đồng mỗi ngày, nộp theo tháng."),
    ], kind="announcement")
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
    # ... and the answer/abstain features measure it in the notice's words, as BM25 did
    assert result.features["chunk_cover"] == pytest.approx(1.0)
    assert result.features["phrase_miss"] == pytest.approx(0.0)


def test_staff_groups_are_parsed_from_the_form_with_each_problem_named() -> None:
    groups, errors = parse_staff_text(
        "# ghi chú\n\nTiền ăn bán trú,  tiền cơm trưa ; tien com trua\nhọp cha mẹ học sinh = họp phụ huynh")
    assert errors == []
    assert groups == [["tiền ăn bán trú", "tiền cơm trưa"],  # the folded twin is the same phrasing
                      ["họp cha mẹ học sinh", "họp phụ huynh"]]
    _, errors = parse_staff_text("tiền ăn bán trú, tiền cơm\nthi, kiểm tra\nxe đưa đón\n" + "a" * 400)
    assert errors == [
        "Dòng 2: “thi” chỉ có một tiếng; mỗi cách nói cần ít nhất hai tiếng để không khớp nhầm "
        "sang câu hỏi khác.",
        "Dòng 3: cần ít nhất hai cách nói khác nhau, cách nhau bằng dấu phẩy (ví dụ: “phụ huynh, "
        "cha mẹ học sinh”).",
        "Dòng 4: dài quá 300 ký tự."]
    many = "\n".join(f"cách nói {n}, cách khác {n}" for n in range(MAX_LOCAL_GROUPS + 1))
    assert parse_staff_text(many)[1] == [f"Tối đa {MAX_LOCAL_GROUPS} nhóm; danh sách có 301 nhóm."]


def test_staff_groups_are_saved_read_back_and_come_before_the_bundled_ones(tmp_path: Path) -> None:
    assert staff_text(tmp_path) == "" and groups_for(tmp_path) == load_groups(SYNONYMS_FILE)
    path = save_staff_groups(tmp_path, [["tiền ăn bán trú", "tiền cơm trưa"]])
    assert path == tmp_path / "synonyms.tsv" and "tiền ăn bán trú\ttiền cơm trưa\n" in path.read_text()
    assert staff_text(tmp_path) == "tiền ăn bán trú, tiền cơm trưa"
    assert groups_for(tmp_path)[0] == (("tiền", "ăn", "bán", "trú"), ("tiền", "cơm", "trưa"))
    save_staff_groups(tmp_path, [["sổ liên lạc điện tử", "sổ điện tử"], ["học bạ số", "học bạ điện tử"]])
    assert [group[0] for group in groups_for(tmp_path)[:2]] == [
        ("sổ", "liên", "lạc", "điện", "tử"), ("học", "bạ", "số")]  # read again once changed
    assert list(tmp_path.glob(".synonyms-*")) == []  # written through a temporary file


def test_a_group_staff_save_is_used_by_the_running_searcher(searcher: Searcher) -> None:
    question, today = "tien com trua bao nhieu", SearchContext(today=dt.date(2026, 12, 1))
    before = searcher.search(question, today)
    assert max(hit.lexical for hit in before.hits if hit.document.id == "tien-an") < 0.5
    save_staff_groups(searcher.settings.data_dir, [["tiền ăn bán trú", "tiền cơm trưa"]])
    after = searcher.search(question, today)  # same searcher, same index version
    assert after.hits[0].document.id == "tien-an" and after.hits[0].lexical > 0.6
    assert after.features["doc_cover"] > before.features["doc_cover"]


def test_a_level_and_how_parents_say_it_are_one_group() -> None:
    groups = load_groups()
    assert (("trung", "học", "cơ", "sở"), ("cấp", "2")) in groups
    assert (("tiểu", "học"), ("cấp", "1")) in groups


def test_the_level_asked_is_the_questions_own_whatever_phrasing_matched_best(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The variant "cấp 1" covers more of this notice ("cấp độ 1") than "tiểu học" does, but the
    # question asks about the primary school, which the notice never names.
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path))
    reset_caches()
    add_document(tmp_path, "thi-thcs", "Lịch kiểm tra cuối kỳ", [
        (None, "Kiểm tra cuối kỳ 1 các môn cấp độ 1 vào thứ Hai ngày 21/12."),
    ], kind="announcement")
    add_document(tmp_path, "th", "Trường tiểu học", [(None, "Trường tiểu học có 20 lớp.")])
    settings = make_settings(tmp_path)
    sync_index(settings, embedder=FakeEmbedder())
    snapshot = load_snapshot(index_dir(settings))
    assert snapshot is not None
    searcher = Searcher(snapshot, FakeEmbedder(), settings)
    today = SearchContext(today=dt.date(2026, 12, 1))
    asked = searcher.search("kiểm tra cuối kỳ 1 tiểu học ngày nào", today)
    assert asked.hits[0].document.id == "thi-thcs" and asked.features["entity_miss"] == 1.0
    spoken = searcher.search("kiểm tra cuối kỳ 1 cấp 1 ngày nào", today)
    assert spoken.hits[0].document.id == "thi-thcs" and spoken.features["entity_miss"] == 0.0
    reset_caches()
