"""Turn one uploaded file into plain text (light Markdown) plus its YAML front matter.

Staff upload whatever the office has: Markdown with front matter, plain text, DOCX, PDF with a
text layer, saved web pages.  The format is detected from the bytes (``%PDF``, a ZIP holding
``word/document.xml``, HTML tags), not only from the extension, because files are often
renamed.  Every failure raises `DocumentParseError` with a Vietnamese message that names the
file and says what to do, so nothing half-read ever reaches the knowledge base.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from retrieval.errors import DocumentParseError

# Bumped when parsing or chunking changes so that re-adding an unchanged file re-chunks it.
PIPELINE_VERSION = "kb-ingest-1"

FORMATS = ("markdown", "text", "docx", "pdf", "html")
SUPPORTED_EXTENSIONS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".docx": "docx",
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
}
_FRONT_MATTER_RE = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_HTML_RE = re.compile(r"<\s*(!doctype\s+html|html|head|body|div|table|p|h[1-6])\b", re.I)
_MIN_PDF_LETTERS = 20


@dataclass
class ParsedFile:
    """The readable content of one file and the front matter written above it."""

    path: Path
    format: str  # one of FORMATS
    text: str  # body: plain text with light Markdown (headings, "a | b" table rows)
    front_matter: dict[str, Any] = field(default_factory=dict)
    content_hash: str = ""  # sha256 of the raw bytes and PIPELINE_VERSION


def content_hash(data: bytes) -> str:
    """Fingerprint of a file's bytes; equal fingerprints mean "không đổi" on re-adding."""
    return hashlib.sha256(PIPELINE_VERSION.encode() + b"\0" + data).hexdigest()


def detect_format(data: bytes, path: Path) -> str:
    """The format of `data`, judged by its content first and its extension second."""
    head = data[:2048]
    if head.lstrip()[:5] == b"%PDF-" or b"%PDF-" in data[:1024]:
        return "pdf"
    if head[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile as error:
            raise _error(path, "là tệp nén ZIP/DOCX bị hỏng, không mở được") from error
        if "word/document.xml" in names:
            return "docx"
        raise _error(path, "là tệp nén (ZIP) nhưng không phải văn bản Word DOCX")
    if head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _error(
            path,
            "là định dạng Word/Excel cũ (.doc/.xls) chưa được hỗ trợ; "
            "hãy lưu lại thành DOCX hoặc PDF có chữ",
        )
    text_head = _decode(head, path, partial=True)
    if _HTML_RE.search(_strip_front_matter(text_head)[:1500]) and (
        path.suffix.lower() in (".html", ".htm")
        or re.search(r"<\s*(html|body|!doctype)", text_head, re.I)
    ):
        return "html"
    return "markdown" if path.suffix.lower() in (".md", ".markdown") else "text"


def parse_file(path: Path | str) -> ParsedFile:
    """Read `path` and return its body text and front matter; raise `DocumentParseError`."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise _error(path, f"không đọc được ({error.strerror or error})") from error
    if not data.strip():
        raise _error(path, "rỗng, không có nội dung")
    kind = detect_format(data, path)
    if kind == "pdf":
        body, front = _pdf_text(data, path), {}
    elif kind == "docx":
        body, front = _docx_text(data, path), {}
    else:
        text = _decode(data, path)
        front, body = split_front_matter(text, path)
        if kind == "html":
            body = _html_text(body, path)
    body = body.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    if not re.search(r"[^\W\d_]", body) and not front.get("questions"):
        raise _error(path, "không có nội dung chữ để đưa vào kho tri thức")
    return ParsedFile(
        path=path, format=kind, text=body, front_matter=front, content_hash=content_hash(data)
    )


def split_front_matter(text: str, path: Path | None = None) -> tuple[dict[str, Any], str]:
    """Separate a leading ``---`` YAML block from the body; the block must be a mapping."""
    match = _FRONT_MATTER_RE.match(text)
    if not match:
        return {}, text.lstrip("\ufeff")
    try:
        loaded = yaml.safe_load(match.group(1))
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" (dòng {where.line + 2})" if where is not None else ""
        raise _error(path, f"có phần đầu YAML (front matter) sai cú pháp{line}") from error
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, dict):
        raise _error(path, "có phần đầu YAML (front matter) không phải dạng khoá: giá trị")
    return {str(key): value for key, value in loaded.items()}, text[match.end() :]


def _strip_front_matter(text: str) -> str:
    match = _FRONT_MATTER_RE.match(text)
    return text[match.end() :] if match else text


def _decode(data: bytes, path: Path, *, partial: bool = False) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace" if partial else "strict")
    if b"\0" in data[:8192]:
        raise _error(
            path, "là tệp nhị phân không nhận dạng được; chỉ nhận DOCX, PDF, TXT, " "Markdown, HTML"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if partial and error.start > len(data) - 4:  # a character cut by the 2 KB window
            return data[: error.start].decode("utf-8-sig")
        raise _error(path, "không phải chữ mã UTF-8; hãy lưu lại tệp với mã hoá UTF-8") from error


def _pdf_text(data: bytes, path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise _error(path, "là PDF có mật khẩu; hãy tải bản không khoá")
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentParseError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as error:
        raise _error(path, "là PDF bị hỏng, không đọc được") from error
    text = "\n\n".join(page.strip("\n") for page in pages)
    if len(re.findall(r"[^\W\d_]", text)) < _MIN_PDF_LETTERS:
        raise DocumentParseError(
            f"Tệp {path.name} không có lớp chữ (có thể là bản quét); "
            "hãy tải bản có chữ hoặc bản DOCX."
        )
    return text


def _docx_text(data: bytes, path: Path) -> str:
    """Paragraphs in order; headings as Markdown; table rows as "cell | cell" lines."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as error:  # python-docx raises many kinds on a broken package
        raise _error(path, "là tệp DOCX bị hỏng, không mở được") from error
    lines: list[str] = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(_docx_paragraph(Paragraph(block, document)))
        elif tag == "tbl":
            lines.extend(_docx_table(Table(block, document)))
            lines.append("")
    return "\n".join(lines)


def _docx_paragraph(paragraph: Any) -> str:
    text = paragraph.text.strip()
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    level = re.match(r"(?:Heading|Title)\s*(\d?)", style)
    if text and level:
        return "#" * int(level.group(1) or 1) + " " + text
    if text and style.startswith("List"):
        return "- " + text
    return text


def _docx_table(table: Any) -> list[str]:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            value = " ".join(cell.text.split())
            if value and (not cells or cells[-1] != value):  # merged cells repeat their text
                cells.append(value)
        if cells:
            rows.append(" | ".join(cells))
    return rows


def _html_text(html: str, path: Path) -> str:
    from markitdown import MarkItDown, StreamInfo

    try:
        result = MarkItDown(enable_plugins=False).convert_stream(
            io.BytesIO(html.encode("utf-8")),
            stream_info=StreamInfo(extension=".html", mimetype="text/html", charset="utf-8"),
        )
    except Exception as error:  # markitdown wraps parser failures in its own types
        raise _error(path, "là trang HTML không đọc được") from error
    return result.markdown


def _error(path: Path | None, problem: str) -> DocumentParseError:
    name = path.name if path is not None else "đã tải lên"
    return DocumentParseError(f"Tệp {name} {problem}.")
