"""Metadata comes from front matter first, then from the official header of the text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from retrieval.metadata import (
    as_date,
    document_meta,
    faq_questions,
    infer_header,
    map_kind,
    slugify,
    tidy_issuer,
)

PLAN_HEADER = """UBND XÃ HOA SEN                 CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
TRƯỜNG TIỂU HỌC HOA SEN                Độc lập - Tự do - Hạnh phúc
   Số: 45/KH-THHS                    Hoa Sen, ngày 12 tháng 8 năm 2024

KẾ HOẠCH
Tổ chức lễ khai giảng năm học 2024-2025
cho học sinh toàn trường

Căn cứ Quyết định số 100/QĐ-UBND ngày 01 tháng 8 năm 2024 của Ủy ban nhân dân xã;
I. MỤC ĐÍCH
"""

TABLE_HEADER = """| ỦY BAN NHÂN DÂN TỈNH BÌNH MINH ------- | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM |
|---|---|
| Số: 379/KH-SGDĐT | Bình Minh, ngày 3 tháng 9 năm 2025 |

QUYẾT ĐỊNH

VỀ VIỆC BAN HÀNH LỊCH NĂM HỌC

Điều 1. Ban hành kèm theo Quyết định này lịch năm học.
"""


def test_header_of_a_school_plan() -> None:
    info = infer_header(PLAN_HEADER)
    assert info.number == "45/KH-THHS"
    assert info.issued == dt.date(2024, 8, 12)
    assert info.issuer == "Trường Tiểu học Hoa Sen"
    assert info.doc_type == "KẾ HOẠCH"
    assert info.title == "Kế hoạch tổ chức lễ khai giảng năm học 2024-2025 cho học sinh toàn trường"


def test_header_in_a_markdown_table() -> None:
    info = infer_header(TABLE_HEADER)
    assert info.number == "379/KH-SGDĐT"
    assert info.issued == dt.date(2025, 9, 3)
    assert info.issuer == "Ủy ban nhân dân tỉnh Bình Minh"
    assert info.title == "Quyết định về việc ban hành lịch năm học"


def test_citation_dates_in_the_body_are_not_the_issue_date() -> None:
    text = (
        "THÔNG BÁO\nVề lịch thi\nCăn cứ Kế hoạch số 12/KH-SGDĐT, ngày 5 tháng 3 năm 2020 của Sở;\n"
    )
    info = infer_header(text)
    assert info.issued is None
    assert (
        info.number is None
    )  # "số 12/..." without "Số:" is a reference, not this document's number
    assert info.title == "Thông báo về lịch thi"


def test_cong_van_title_from_vv_line() -> None:
    text = (
        "SỞ GIÁO DỤC VÀ ĐÀO TẠO\nSố: 88/SGDĐT-VP\nV/v tổ chức ngày hội đọc sách\n"
        "  cho học sinh\nKính gửi: các trường"
    )
    info = infer_header(text)
    assert info.title == "Công văn về tổ chức ngày hội đọc sách cho học sinh"
    assert info.issuer == "Sở Giáo dục và Đào tạo"


def test_plain_text_has_no_header() -> None:
    info = infer_header("Học phí lớp 1 được miễn hoàn toàn từ năm học này.")
    assert (info.number, info.issued, info.issuer, info.title) == (None, None, None, None)


@pytest.mark.parametrize(
    ("raw", "written"),
    [
        ("UBND TỈNH AN PHÚ", "Ủy ban nhân dân tỉnh An Phú"),
        ("SỞ GIÁO DỤC VÀ ĐÀO TẠO", "Sở Giáo dục và Đào tạo"),
        ("TRƯỜNG THCS LÊ LỢI", "Trường THCS Lê Lợi"),
        ("ỦY BAN NHÂN DÂN XÃ ĐÔNG HẢI", "Ủy ban nhân dân xã Đông Hải"),
    ],
)
def test_tidy_issuer(raw: str, written: str) -> None:
    assert tidy_issuer(raw) == written


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-08-13", dt.date(2024, 8, 13)),
        ("13/8/2024", dt.date(2024, 8, 13)),
        ("13-08-2024", dt.date(2024, 8, 13)),
        ("ngày 13 tháng 8 năm 2024", dt.date(2024, 8, 13)),
        (dt.date(2024, 8, 13), dt.date(2024, 8, 13)),
        (dt.datetime(2024, 8, 13, 9, 30), dt.date(2024, 8, 13)),
        ("2026", None),
        ("31/2/2024", None),
        (None, None),
    ],
)
def test_as_date(value: object, expected: dt.date | None) -> None:
    assert as_date(value) == expected


def test_front_matter_wins_and_header_fills_gaps(tmp_path: Path) -> None:
    front = {"title": "Kế hoạch khai giảng", "issuer": "Trường Tiểu học Hoa Sen (ghi tay)"}
    meta = document_meta(front, PLAN_HEADER, path=tmp_path / "Kế hoạch khai giảng.md")
    assert meta.id == "ke-hoach-khai-giang"
    assert meta.title == "Kế hoạch khai giảng"
    assert meta.issuer == "Trường Tiểu học Hoa Sen (ghi tay)"
    assert meta.number == "45/KH-THHS"
    assert meta.issued == dt.date(2024, 8, 12)
    assert sorted(meta.extra["inferred"]) == ["issued", "number"]
    assert meta.kind == "document"


def test_explicit_null_is_not_replaced_by_inference() -> None:
    meta = document_meta({"id": "kh", "title": "Kế hoạch", "number": None}, PLAN_HEADER)
    assert meta.number is None


def test_all_front_matter_keys() -> None:
    front = {
        "id": "tb-tuu-truong",
        "title": "Thông báo tựu trường",
        "number": "12/TB-THHS",
        "issuer": "Trường Tiểu học Hoa Sen",
        "issued": "16/8/2024",
        "effective": dt.date(2024, 8, 20),
        "valid_until": "2024-09-30",
        "kind": "thông báo",
        "school": "Tiểu học Hoa Sen",
        "grade": 1,
        "url": "https://truong.example/tb-12",
        "scope": "Toàn trường",
        "issued_note": "ghi chú",
    }
    meta = document_meta(front, "Nội dung")
    assert meta.issued == dt.date(2024, 8, 16)
    assert meta.valid_from == dt.date(2024, 8, 20)
    assert meta.valid_until == dt.date(2024, 9, 30)
    assert meta.kind == "announcement"
    assert meta.extra["kind"] == "thông báo"
    assert meta.grade == "1"
    assert meta.school == "Tiểu học Hoa Sen"
    assert meta.source_url == "https://truong.example/tb-12"
    assert meta.extra["scope"] == "Toàn trường" and meta.extra["issued_note"] == "ghi chú"
    assert "inferred" not in meta.extra


def test_year_only_dates_are_kept_as_written() -> None:
    meta = document_meta(
        {"id": "cv", "title": "Công văn", "issued": "2026", "effective": 2026}, "x"
    )
    assert meta.issued is None and meta.valid_from is None
    assert meta.extra["issued"] == "2026" and meta.extra["effective"] == 2026


def test_dates_in_extra_are_json_safe() -> None:
    meta = document_meta({"id": "a", "title": "A", "signed": dt.date(2025, 1, 2)}, "x")
    assert meta.extra["signed"] == "2025-01-02"


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("document", "document"),
        ("thong-bao", "announcement"),
        ("Thông báo", "announcement"),
        ("ke-hoach", "document"),
        ("faq", "faq"),
        ("hỏi đáp", "faq"),
        ("lạ", "document"),
        (None, None),
    ],
)
def test_map_kind(value: str | None, kind: str | None) -> None:
    assert map_kind(value) == kind


def test_kind_inferred_from_type_line_and_questions() -> None:
    assert document_meta({}, "THÔNG BÁO\nVề lịch nghỉ Tết").kind == "announcement"
    faq = document_meta({"questions": "Học phí lớp 1?"}, "Được miễn.")
    assert faq.kind == "faq"
    assert faq.title == "Học phí lớp 1?"
    assert faq_questions({"questions": ["  A ", "", "B"]}) == ["A", "B"]


def test_slugify() -> None:
    assert slugify("Thông báo số 12 (bản cuối).docx") == "thong-bao-so-12-ban-cuoi"
    assert slugify("Điều lệ") == "dieu-le"
    assert slugify("!!!") == "tai-lieu"


def test_numbered_items_end_the_title() -> None:
    text = (
        "TRƯỜNG TIỂU HỌC HOA SEN\n  Số: 12/TB-THHS     Hoa Sen, ngày 16 tháng 8 năm 2024\n"
        "THÔNG BÁO\nTựu trường năm học 2024-2025\n"
        "1. Thời gian: học sinh tựu trường lúc 7 giờ ngày 28/8/2024.\n"
        "2. Trang phục: học sinh mặc đồng phục.\n"
    )
    info = infer_header(text)
    assert info.title == "Thông báo tựu trường năm học 2024-2025"
    assert (info.number, info.issued) == ("12/TB-THHS", dt.date(2024, 8, 16))
