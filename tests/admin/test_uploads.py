"""Upload checks by content, staging, and the preview that publishing will store."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from kb_files import blank_pdf, docx_bytes, museum_docx, plain_zip, png_bytes

from admin.kb_changes import preview_upload
from admin.kb_forms import document_fields
from admin.uploads import (
    StagingNotFound,
    UploadRejected,
    check_upload,
    discard,
    load_staged,
    purge_stale,
    safe_filename,
    stage_upload,
)
from retrieval.errors import DocumentParseError

MAX_MB = 2


def test_good_files_are_accepted_by_content() -> None:
    assert check_upload("ke-hoach.docx", museum_docx(), max_mb=MAX_MB) == "docx"
    assert check_upload("quet.pdf", blank_pdf(), max_mb=MAX_MB) == "pdf"
    assert check_upload("ghi-chu.txt", "Lịch họp phụ huynh".encode(), max_mb=MAX_MB) == "text"
    assert check_upload("tin.md", "# Tin\nNghỉ lễ".encode("utf-16"), max_mb=MAX_MB) == "markdown"
    html = "<!doctype html><html><body><p>Thông báo</p></body></html>"
    assert check_upload("trang.HTML", html.encode(), max_mb=MAX_MB) == "html"


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("bao-cao.pdf", b"Day la van ban thuong, khong phai PDF", "không phải PDF"),
        ("anh.pdf", png_bytes(), "nội dung là ảnh PNG"),
        ("ke-hoach.docx", blank_pdf(), "không phải văn bản Word (DOCX) (nội dung là PDF)"),
        ("nen.docx", plain_zip(), "nội dung là tệp nén ZIP"),
        ("ghi-chu.txt", blank_pdf(), "có đuôi .txt nhưng nội dung không phải văn bản thuần (TXT)"),
        ("trang.html", "Chỉ là chữ, không có thẻ nào".encode(), "không phải trang HTML"),
        ("tin.md", png_bytes(), "nội dung là ảnh PNG"),
    ],
)
def test_content_that_does_not_match_the_extension_is_refused(name: str, data: bytes, expected: str) -> None:
    with pytest.raises(UploadRejected) as caught:
        check_upload(name, data, max_mb=MAX_MB)
    message = str(caught.value)
    assert message.startswith(f"Tệp {name} có đuôi {Path(name).suffix}")
    assert expected in message


def test_mismatch_message_reads_naturally() -> None:
    with pytest.raises(UploadRejected, match=r"^Tệp bao-cao\.pdf có đuôi \.pdf nhưng nội dung không phải PDF\."):
        check_upload("bao-cao.pdf", "Văn bản".encode(), max_mb=MAX_MB)


def test_too_big_empty_unsupported_and_legacy_encoding_are_refused() -> None:
    big = b"a" * (MAX_MB * 1024 * 1024 + 1)
    with pytest.raises(UploadRejected, match=r"^Tệp lon\.txt nặng 2,0 MB, vượt giới hạn 2 MB"):
        check_upload("lon.txt", big, max_mb=MAX_MB)
    with pytest.raises(UploadRejected, match=r"^Tệp rong\.txt rỗng"):
        check_upload("rong.txt", b"  \n", max_mb=MAX_MB)
    with pytest.raises(UploadRejected, match=r"đuôi \.exe không được hỗ trợ; chỉ nhận DOCX, PDF, TXT, MD và HTML"):
        check_upload("setup.exe", b"MZ\x90\x00", max_mb=MAX_MB)
    with pytest.raises(UploadRejected, match=r"không phải chữ mã UTF-8"):
        check_upload("tcvn3.txt", "Thông báo".encode("cp1258"), max_mb=MAX_MB)
    with pytest.raises(UploadRejected, match="Chưa chọn tệp"):
        check_upload("", b"abc", max_mb=MAX_MB)


def test_file_names_cannot_escape_the_staging_folder() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\a\\Kế hoạch.docx") == "Kế hoạch.docx"
    assert safe_filename('a<b>:"c".md') == "a_b_c_.md"


def test_staging_keeps_file_and_fields_until_discarded(tmp_path: Path) -> None:
    staged = stage_upload(
        tmp_path, "Kế hoạch.docx", museum_docx(), uploaded_by="canbo", fields={"title": "Tham quan", "number": ""}
    )
    again = load_staged(tmp_path, staged.token)
    assert again.path.read_bytes() == museum_docx()
    assert again.fields == {"title": "Tham quan"} and again.uploaded_by == "canbo"
    again.fields["number"] = "12/KH-THCS"
    again.save()
    assert load_staged(tmp_path, staged.token).fields["number"] == "12/KH-THCS"
    discard(again)
    with pytest.raises(StagingNotFound):
        load_staged(tmp_path, staged.token)
    for bad in ("../uploads", "", "abc"):
        with pytest.raises(StagingNotFound):
            load_staged(tmp_path, bad)


def test_stale_staging_is_purged(tmp_path: Path) -> None:
    old = stage_upload(tmp_path, "a.txt", "Nội dung".encode(), uploaded_by="x", fields={})
    fresh = stage_upload(tmp_path, "b.txt", "Nội dung".encode(), uploaded_by="x", fields={})
    past = time.time() - 2 * 24 * 3600
    os.utime(old.folder, (past, past))
    assert purge_stale(tmp_path) == 1
    assert not old.folder.exists() and fresh.folder.exists()


def test_preview_uses_typed_fields_over_inferred_ones(tmp_path: Path) -> None:
    text = (
        "UBND XÃ AN BÌNH\nTRƯỜNG THCS AN BÌNH\nSố: 15/TB-THCS\n"
        "An Bình, ngày 2 tháng 3 năm 2026\nTHÔNG BÁO\nVề việc tham quan bảo tàng\n\n"
        "1. Thời gian\nHọc sinh khối 7 tham quan bảo tàng tỉnh vào sáng thứ Bảy ngày 14/3/2026; "
        "xe đón học sinh tại cổng trường lúc 6 giờ 30 và đưa về trường trước 11 giờ 30 cùng ngày.\n"
        "2. Chi phí\nMiễn phí vé vào cửa cho học sinh; phụ huynh đóng góp tiền xe theo thoả thuận "
        "của ban đại diện cha mẹ học sinh từng lớp, nộp cho giáo viên chủ nhiệm trước ngày 10/3.\n"
    )
    fields, errors = document_fields({"title": "  Tham quan   bảo tàng ", "valid_until": "31/03/2026",
                                      "school": "THCS An Bình", "number": ""})
    assert errors == []
    staged = stage_upload(tmp_path, "thong-bao.txt", text.encode(), uploaded_by="x", fields=fields)
    preview = preview_upload(staged)
    meta = preview.meta
    assert meta.title == "Tham quan bảo tàng"  # typed
    assert meta.number == "15/TB-THCS" and meta.kind == "announcement"  # inferred from the header
    assert str(meta.valid_until) == "2026-03-31" and meta.school == "THCS An Bình"
    assert {"number", "issued"} <= set(preview.inferred_fields())
    assert preview.inferred.title != meta.title
    joined = "\n".join(chunk.text for chunk in preview.prepared.chunks)
    assert "Miễn phí vé vào cửa cho học sinh" in joined


def test_long_sections_become_chunks_with_their_heading_path(tmp_path: Path) -> None:
    sentence = ("Học sinh khối 7 tham quan bảo tàng tỉnh vào sáng thứ Bảy; xe đón học sinh tại cổng "
                "trường lúc 6 giờ 30 và đưa về trường trước 11 giờ 30 cùng ngày. ")
    text = "KẾ HOẠCH\n\n" + "".join(f"{head}\n{sentence * 4}\n" for head in ("1. Thời gian", "2. Chi phí"))
    staged = stage_upload(tmp_path, "ke-hoach.md", text.encode(), uploaded_by="x", fields={})
    sections = [chunk.section for chunk in preview_upload(staged).prepared.chunks]
    assert sections == ["1. Thời gian", "2. Chi phí"]


def test_scanned_pdf_preview_gives_the_parsers_clear_error(tmp_path: Path) -> None:
    staged = stage_upload(tmp_path, "ban-quet.pdf", blank_pdf(), uploaded_by="x", fields={})
    with pytest.raises(DocumentParseError, match=r"Tệp ban-quet\.pdf không có lớp chữ \(có thể là bản quét\)"):
        preview_upload(staged)


def test_docx_preview_lists_its_sections(tmp_path: Path) -> None:
    data = docx_bytes("Lịch học", ["1. Buổi sáng", "Vào học lúc 7 giờ.", "2. Buổi chiều", "Vào học lúc 14 giờ."])
    staged = stage_upload(tmp_path, "lich-hoc.docx", data, uploaded_by="x", fields={})
    preview = preview_upload(staged)
    assert preview.meta.id == "lich-hoc" and preview.meta.title == "Lịch học"
    joined = "\n".join(chunk.text for chunk in preview.prepared.chunks)
    assert "Vào học lúc 7 giờ." in joined and "Vào học lúc 14 giờ." in joined


def test_document_fields_validate_dates_links_and_kind() -> None:
    fields, errors = document_fields({
        "issued": "2026-02-30", "valid_from": "10/03/2026", "valid_until": "01/03/2026",
        "source": "javascript:alert(1)", "kind": "tin-tuc", "id": "Kế hoạch 12",
    })
    assert any("Ngày ban hành “2026-02-30” không hợp lệ" in e for e in errors)
    assert any("phải bắt đầu bằng http:// hoặc https://" in e for e in errors)
    assert any("Loại tài liệu" in e for e in errors)
    assert any("Ngày hết hiệu lực phải sau" in e for e in errors)
    assert "source" not in fields and "kind" not in fields
    assert fields["id"] == "ke-hoach-12" and fields["valid_from"] == "2026-03-10"
