"""Files of every supported format become text; broken ones give a Vietnamese error naming them."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from kb_documents import blank_pdf, text_pdf, write_docx

from retrieval.errors import DocumentParseError
from retrieval.parsing import content_hash, detect_format, parse_file, split_front_matter

MARKDOWN = """---
id: "tb-hoc-phi"
title: "Thông báo học phí"
issued: 2024-08-13
questions: ["Học phí bao nhiêu?"]
---
# Mức thu

Học phí lớp 1 được miễn.
"""


def test_markdown_front_matter_is_split_from_body(tmp_path: Path) -> None:
    path = tmp_path / "hoc-phi.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    parsed = parse_file(path)
    assert parsed.format == "markdown"
    assert parsed.front_matter["id"] == "tb-hoc-phi"
    assert parsed.front_matter["issued"] == dt.date(2024, 8, 13)
    assert parsed.front_matter["questions"] == ["Học phí bao nhiêu?"]
    assert parsed.text.strip().startswith("# Mức thu")
    assert "---" not in parsed.text


def test_text_without_front_matter_keeps_everything() -> None:
    front, body = split_front_matter("THÔNG BÁO\nNội dung --- không phải phần đầu")
    assert front == {}
    assert body.startswith("THÔNG BÁO")


def test_broken_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "loi.md"
    path.write_text("---\ntitle: [chưa đóng\n---\nNội dung\n", encoding="utf-8")
    with pytest.raises(DocumentParseError, match=r"Tệp loi\.md .*YAML"):
        parse_file(path)


def test_docx_keeps_headings_paragraphs_and_table_rows(tmp_path: Path) -> None:
    parsed = parse_file(write_docx(tmp_path / "hoc-phi.docx"))
    assert parsed.format == "docx"
    lines = [line for line in parsed.text.splitlines() if line]
    assert lines[0] == "# Thông báo thu học phí"
    assert "Khối lớp | Mức thu" in lines
    assert "Lớp 6 | 100.000 đồng" in lines
    assert (
        lines.index("1. Mức thu")
        < lines.index("Lớp 6 | 100.000 đồng")
        < lines.index("2. Thời hạn nộp")
    )


def test_format_is_detected_from_content_not_extension(tmp_path: Path) -> None:
    docx_named_txt = write_docx(tmp_path / "that-ra-la-word.txt")
    assert parse_file(docx_named_txt).format == "docx"
    pdf_without_extension = tmp_path / "van-ban"
    pdf_without_extension.write_bytes(text_pdf(["Thong bao tuu truong ngay 5 thang 9"]))
    assert parse_file(pdf_without_extension).format == "pdf"


def test_pdf_text_layer_is_read(tmp_path: Path) -> None:
    path = tmp_path / "thong-bao.pdf"
    path.write_bytes(text_pdf(["THONG BAO", "Hoc sinh tuu truong ngay 28/8/2024."]))
    parsed = parse_file(path)
    assert "THONG BAO" in parsed.text
    assert "tuu truong ngay 28/8/2024" in parsed.text


def test_scanned_pdf_without_text_gives_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "ban-quet.pdf"
    path.write_bytes(blank_pdf())
    with pytest.raises(DocumentParseError) as error:
        parse_file(path)
    assert str(error.value) == (
        "Tệp ban-quet.pdf không có lớp chữ (có thể là bản quét); hãy tải bản có chữ hoặc bản DOCX."
    )


def test_corrupt_pdf_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "hong.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage without xref")
    with pytest.raises(DocumentParseError, match=r"hong\.pdf"):
        parse_file(path)


def test_html_drops_scripts_and_keeps_tables(tmp_path: Path) -> None:
    path = tmp_path / "trang.html"
    path.write_text(
        "<html><head><style>.x{color:red}</style><script>alert('xin chao')</script></head>"
        "<body><h1>Lịch tựu trường</h1><p>Học sinh có mặt lúc 7 giờ.</p>"
        "<table><tr><th>Khối</th><th>Ngày</th></tr><tr><td>Lớp 10</td><td>28/8</td></tr></table>"
        "</body></html>",
        encoding="utf-8",
    )
    parsed = parse_file(path)
    assert parsed.format == "html"
    assert "Lịch tựu trường" in parsed.text
    assert "Học sinh có mặt lúc 7 giờ." in parsed.text
    assert "Lớp 10" in parsed.text and "28/8" in parsed.text
    assert "alert" not in parsed.text and "color" not in parsed.text


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        ("anh.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "nhị phân"),
        ("cu.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "Word/Excel cũ"),
        ("rong.txt", b"   \n\n", "rỗng"),
        ("latin.txt", "Thông báo".encode("cp1258"), "UTF-8"),
    ],
)
def test_unsupported_files_are_named_in_the_error(
    tmp_path: Path, name: str, data: bytes, problem: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(DocumentParseError) as error:
        parse_file(path)
    assert name in str(error.value)
    assert problem in str(error.value)


def test_zip_that_is_not_docx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nen.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "xin chào")
    with pytest.raises(DocumentParseError, match="không phải văn bản Word DOCX"):
        detect_format(path.read_bytes(), path)


def test_content_hash_changes_with_content() -> None:
    assert content_hash(b"a") == content_hash(b"a")
    assert content_hash(b"a") != content_hash(b"b")
