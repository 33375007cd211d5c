"""Files for the knowledge-base admin tests, built in the test itself (no fixtures on disk)."""

from __future__ import annotations

import io
import zipfile


def docx_bytes(title: str, paragraphs: list[str]) -> bytes:
    """A DOCX (python-docx) with a heading and numbered paragraphs."""
    import docx

    document = docx.Document()
    document.add_heading(title, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def museum_docx(place: str = "Bảo tàng tỉnh Hà Giang") -> bytes:
    """A made-up plan whose facts are in no demo document: a museum visit with a date."""
    return docx_bytes(
        "Kế hoạch tham quan bảo tàng tỉnh",
        [
            "1. Thời gian tham quan",
            f"Học sinh khối 7 tham quan {place} vào sáng thứ Bảy ngày 14/3/2026, "
            "xe đón tại cổng trường lúc 6 giờ 30.",
            "2. Chi phí và chuẩn bị",
            "Chuyến tham quan bảo tàng miễn phí vé vào cửa; học sinh mang theo nước uống, "
            "mũ nón và sổ ghi chép để làm bài thu hoạch lịch sử địa phương.",
        ],
    )


def blank_pdf() -> bytes:
    """A PDF with one empty page, like a scan without OCR."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def png_bytes() -> bytes:
    """The header of a PNG image: enough for content sniffing."""
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def plain_zip() -> bytes:
    """A ZIP archive that is not a Word document."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "không phải văn bản Word")
    return buffer.getvalue()
