"""The one Vietnamese normaliser: NFC/NFD, tone placement, đ/Đ, case, abbreviations."""

from __future__ import annotations

import unicodedata

import pytest

from retrieval import normalize as vn


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Học phí năm nay bao nhiêu?", "học phí năm nay bao nhiêu?"),
        (unicodedata.normalize("NFD", "Học phí năm nay"), "học phí năm nay"),
        ("HOÀ BÌNH", "hòa bình"),  # new-style placement → old style
        ("hòa bình", "hòa bình"),
        ("thuý", "thúy"),
        ("khoẻ mạnh", "khỏe mạnh"),
        ("hoàng", "hoàng"),  # final consonant: the tone stays on the second vowel
        ("quý", "quý"),  # "qu" is an onset
        ("giữa", "giữa"),  # "gi" is an onset
        ("người", "người"),  # ươ takes the tone on ơ
        ("khuya  muộn\t quá", "khuya muộn quá"),
    ],
)
def test_normalize_nfc_tone_placement_case_and_spaces(typed: str, expected: str) -> None:
    result = vn.normalize(typed)
    assert result == expected
    assert unicodedata.is_normalized("NFC", result)


def test_both_tone_placements_and_both_unicode_forms_meet() -> None:
    variants = ["hoà", "hòa", unicodedata.normalize("NFD", "hoà"), unicodedata.normalize("NFD", "hòa")]
    assert {vn.normalize(v) for v in variants} == {"hòa"}


def test_fold_removes_every_diacritic_and_maps_d_bar() -> None:
    assert vn.fold("Đăng ký tuyển sinh lớp Một") == "dang ky tuyen sinh lop mot"
    assert vn.fold("ĐƯỢC đi học") == "duoc di hoc"
    assert vn.fold(unicodedata.normalize("NFD", "Ưu tiên")) == "uu tien"


def test_has_diacritics_in_either_unicode_form_and_for_d_bar_alone() -> None:
    assert vn.has_diacritics("Học phí bao nhiêu?")
    assert vn.has_diacritics(unicodedata.normalize("NFD", "Học phí"))
    assert vn.has_diacritics("DI HOC DUOC KHONG Đ")  # only "Đ" marks it
    assert not vn.has_diacritics("hoc phi lop 1 bn?")
    assert not vn.has_diacritics("")


def test_abbreviations_and_teencode_expand_to_full_words() -> None:
    assert vn.expand("hs thcs ko dc nghỉ") == "học sinh trung học cơ sở không được nghỉ"
    assert vn.expand("hoc phi lop 1 bn") == "hoc phi lop 1 bao nhiêu"
    assert vn.expand("gvcn lop 5 la ai v") == "giáo viên chủ nhiệm lop 5 la ai vậy"


def test_accented_and_abbreviated_unaccented_questions_share_folded_tokens() -> None:
    assert vn.folded_tokens("Học phí lớp 1 bao nhiêu?") == vn.folded_tokens("hoc phi lop 1 bn")
    assert vn.folded_tokens("Học sinh THCS có được miễn học phí không") == vn.folded_tokens(
        "hs thcs co dc mien hp ko"
    )


def test_tokens_drop_punctuation_and_keep_numbers() -> None:
    assert vn.tokens("Số: 379/KH-SGDĐT, ngày 12/8!") == ["số", "379", "kh", "sgdđt", "ngày", "12", "8"]


def test_words_that_are_not_abbreviations_are_untouched() -> None:
    assert vn.expand("lớp 10a1 khối a") == "lớp 10a1 khối a"


def test_empty_and_blank_text() -> None:
    assert vn.normalize("") == ""
    assert vn.normalize("   ") == ""
    assert vn.tokens("?!") == []


def test_abbreviation_file_is_editable(tmp_path) -> None:
    custom = tmp_path / "abbr.tsv"
    custom.write_text("# comment\nxtt\txin thông tin\n", encoding="utf-8")
    table = vn.load_abbreviations(str(custom))
    assert vn.expand("cho mình xtt", table) == "cho mình xin thông tin"


def test_abbreviation_file_with_a_missing_expansion_is_rejected(tmp_path) -> None:
    broken = tmp_path / "broken.tsv"
    broken.write_text("xtt\n", encoding="utf-8")
    with pytest.raises(ValueError, match="xtt"):
        vn.load_abbreviations(str(broken))
