"""Small test documents built in the test itself: PDFs with and without a text layer, DOCX."""

from __future__ import annotations

import io
from pathlib import Path


def text_pdf(lines: list[str]) -> bytes:
    """A one-page PDF whose text layer holds `lines` (ASCII, Helvetica), written by hand."""
    body = " ".join(f"({line}) Tj T*" for line in lines)
    content = f"BT /F1 12 Tf 72 720 Td 14 TL {body} ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{obj}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out


def blank_pdf() -> bytes:
    """A PDF with one empty page, like a scan without OCR."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def write_docx(path: Path) -> Path:
    """A DOCX with a heading, numbered paragraphs and a fee table."""
    import docx

    document = docx.Document()
    document.add_heading("Thông báo thu học phí", level=1)
    document.add_paragraph("1. Mức thu")
    document.add_paragraph("Học phí lớp 6 là 100.000 đồng mỗi tháng.")
    table = document.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text = "Khối lớp"
    table.rows[0].cells[1].text = "Mức thu"
    table.rows[1].cells[0].text = "Lớp 6"
    table.rows[1].cells[1].text = "100.000 đồng"
    document.add_paragraph("2. Thời hạn nộp")
    document.add_paragraph("Nộp trước ngày 15 hằng tháng tại văn phòng trường.")
    document.save(str(path))
    return path
