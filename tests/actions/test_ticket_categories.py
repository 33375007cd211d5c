"""Guessing a ticket's topic from keyword rules over normalised Vietnamese text."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from actions.ticket_categories import (
    CATEGORY_LABELS,
    FALLBACK,
    UNCATEGORISED_LABEL,
    categorise,
    category_label,
    load_keywords,
    scores,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("Học phí năm nay tăng nhiều quá", "hoc_phi"),
    ("hoc phi nam nay tang nhieu qua", "hoc_phi"),
    ("HỌC PHÍ lớp 6 bao nhiêu?", "hoc_phi"),
    ("hp lop 6 bn vay ad", "hoc_phi"),
    ("Nhà trường lạm thu quỹ phụ huynh", "hoc_phi"),
    ("Hồ sơ tuyển sinh vào lớp 6 nộp ở đâu", "tuyen_sinh"),
    ("con toi muon chuyen truong", "tuyen_sinh"),
    ("Đề nghị thêm mái che nhà xe", "co_so_vat_chat"),
    ("phong hoc bi dot, quat tran hong", "co_so_vat_chat"),
    ("gv day qua nhanh, con khong theo kip", "giao_vien"),
    ("Cô giáo dạy thêm bắt học sinh đi học", "giao_vien"),
    ("Con bị bạn bắt nạt ở trường", "an_toan"),
    ("con bi ban bat nat o truong", "an_toan"),
    ("bữa ăn bán trú ít quá", "ban_tru"),
    ("thuc don com trua toan rau", "ban_tru"),
    ("sgk mới mua ở đâu", "chuong_trinh"),
    ("thời khóa biểu thay đổi liên tục", "chuong_trinh"),
    ("điểm thi hk1 của con bị sai", "thi_cu"),
    ("xin phuc khao bai kiem tra", "thi_cu"),
])
def test_categorise_finds_the_topic(text: str, expected: str) -> None:
    assert categorise(text) == expected


def test_nfd_input_matches_like_nfc() -> None:
    text = "Con bị bạn bắt nạt, học phí thì chưa đóng"
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text
    assert scores(decomposed) == scores(text)
    assert categorise(unicodedata.normalize("NFD", "Bữa ăn bán trú")) == "ban_tru"


def test_accented_unaccented_and_abbreviated_forms_score_alike() -> None:
    forms = ["Học phí", "hoc phi", "HOC PHI", "hp", unicodedata.normalize("NFD", "học phí")]
    assert {scores(form)["hoc_phi"] for form in forms} == {2}


@pytest.mark.parametrize("text", ["Cảm ơn nhà trường", "chào ad", "", "   ", "!!! ???", "0987654321"])
def test_unknown_message_is_khac(text: str) -> None:
    assert categorise(text) == FALLBACK == "khac"


def test_a_word_inside_another_does_not_match() -> None:
    # "thì" folds to "thi" and "sạch" to "sach": only whole keyword phrases count.
    assert categorise("con nói thì cô không nghe") == "khac"
    assert categorise("lớp học sạch sẽ") == "khac"


def test_more_covered_words_win() -> None:
    text = "Cô giáo đánh học sinh"  # "cô giáo" (2 words) vs "đánh học sinh" (3 words)
    points = scores(text)
    assert points["an_toan"] == 3 and points["giao_vien"] == 2
    assert categorise(text) == "an_toan"


def test_safety_wins_a_tie() -> None:
    text = "bảo vệ trường nói không an toàn, cô giáo không biết"
    points = scores(text)
    assert points["an_toan"] == points["giao_vien"] == 2
    assert categorise(text) == "an_toan"


def test_repeated_topic_weighs_more() -> None:
    text = "tiền ăn bán trú, bữa ăn bán trú"
    points = scores(text)
    assert points["ban_tru"] > points["hoc_phi"] > 0
    assert categorise(text) == "ban_tru"


def test_keywords_file_covers_every_category_but_khac() -> None:
    table = load_keywords()
    assert set(table) == set(CATEGORY_LABELS) - {FALLBACK}
    assert all(table[key] for key in table)
    # Stored folded: a keyword written with accents matches unaccented text.
    assert ("hoc", "phi") in table["hoc_phi"]


def test_custom_keywords_file(tmp_path: Path) -> None:
    path = tmp_path / "keywords.tsv"
    path.write_text("# comment\n\nthi_cu\tđấu trường toán\nhoc_phi\tHọc Phí\n", encoding="utf-8")
    table = load_keywords(str(path))
    assert table["thi_cu"] == (("dau", "truong", "toan"),)
    assert categorise("dau truong toan hoc ky nay", table) == "thi_cu"
    assert categorise("Trường tổ chức tham quan", table) == "khac"


@pytest.mark.parametrize(("content", "message"), [
    ("phu_huynh\thọp phụ huynh\n", "chủ đề không có trong danh sách"),
    ("hoc_phi\t\n", "dòng thiếu từ khóa"),
    ("hoc_phi\t!!!\n", "dòng thiếu từ khóa"),
    ("khac\tlinh tinh\n", "chủ đề không có trong danh sách"),
])
def test_bad_keywords_file_is_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_keywords(str(path))


def test_category_labels() -> None:
    assert category_label("hoc_phi") == "Học phí – khoản thu"
    assert category_label("an_toan") == "An toàn – bắt nạt"
    assert category_label("khac") == "Khác"
    assert category_label("") == UNCATEGORISED_LABEL == "Chưa phân loại"
    assert category_label("Xe đưa đón") == "Xe đưa đón"  # typed by staff on the ticket page
    assert len(CATEGORY_LABELS) == 9
