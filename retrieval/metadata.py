"""Document metadata: from front matter when staff wrote it, from the official header otherwise.

Citations need a title, a number (số hiệu), an issuer and a date.  Staff often upload a
Vietnamese administrative document as it is, so when the front matter lacks a field it is read
from the standard header: the issuer block ("UBND …" / "SỞ GIÁO DỤC …"), "Số: 379/KH-SGDĐT",
"…, ngày 12 tháng 8 năm 2024" and the type line ("KẾ HOẠCH", "THÔNG BÁO", "QUYẾT ĐỊNH" …)
followed by its subject.  A key present in the front matter always wins, even when null.
Fields read from the text are listed in ``extra["inferred"]``; front-matter keys this module
does not know are kept in ``extra`` as they were (dates as ISO strings).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retrieval.chunking import classify
from retrieval.normalize import fold
from retrieval.types import DOCUMENT_KINDS, DocumentMeta

_HEADER_LINES = 30
_STOP_RE = re.compile(
    r"^(căn cứ|thực hiện|kính gửi|điều 1\b|chương\s+[ivx1]\b|phần\s+(thứ|i)\b)", re.I
)
_NUMBER_RE = re.compile(r"(?<!\w)Số\s*(?:hiệu)?\s*[:.]\s*(\d+[\w.\-]*)\s*((?:/[\w.\-&]+)+)", re.I)
_PLACE_DATE_RE = re.compile(
    r"[^,\n]{1,60},\s*ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.I
)
_DOC_TYPES = (
    "KẾ HOẠCH",
    "THÔNG BÁO",
    "QUYẾT ĐỊNH",
    "CÔNG VĂN",
    "THÔNG TƯ",
    "NGHỊ ĐỊNH",
    "NGHỊ QUYẾT",
    "HƯỚNG DẪN",
    "CHỈ THỊ",
    "TỜ TRÌNH",
    "BÁO CÁO",
    "LUẬT",
    "ĐIỀU LỆ",
    "QUY CHẾ",
    "QUY ĐỊNH",
    "GIẤY MỜI",
    "THÔNG TRI",
    "CÔNG ĐIỆN",
    "THƯ NGỎ",
)
_ISSUER_RE = re.compile(
    r"^(UBND|[ỦU]Y BAN|UỶ BAN|HĐND|HỘI ĐỒNG|SỞ|BỘ|PHÒNG|TRƯỜNG|CHÍNH PHỦ|QUỐC HỘI|THỦ TƯỚNG|"
    r"BAN|ĐẠI HỌC|TRUNG TÂM|VĂN PHÒNG|ĐẢNG ỦY|TỈNH ỦY|HUYỆN ỦY)\b"
)
_ISSUER_PHRASES = (
    ("ỦY BAN NHÂN DÂN", "Ủy ban nhân dân"),
    ("UỶ BAN NHÂN DÂN", "Ủy ban nhân dân"),
    ("UBND", "Ủy ban nhân dân"),
    ("HỘI ĐỒNG NHÂN DÂN", "Hội đồng nhân dân"),
    ("SỞ GIÁO DỤC VÀ ĐÀO TẠO", "Sở Giáo dục và Đào tạo"),
    ("SỞ GD&ĐT", "Sở Giáo dục và Đào tạo"),
    ("SỞ GDĐT", "Sở Giáo dục và Đào tạo"),
    ("BỘ GIÁO DỤC VÀ ĐÀO TẠO", "Bộ Giáo dục và Đào tạo"),
    ("PHÒNG GIÁO DỤC VÀ ĐÀO TẠO", "Phòng Giáo dục và Đào tạo"),
    ("CHÍNH PHỦ", "Chính phủ"),
    ("QUỐC HỘI", "Quốc hội"),
    ("THỦ TƯỚNG CHÍNH PHỦ", "Thủ tướng Chính phủ"),
    ("SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH", "Sở Văn hóa, Thể thao và Du lịch"),
    ("TRƯỜNG TRUNG HỌC PHỔ THÔNG", "Trường Trung học phổ thông"),
    ("TRƯỜNG TRUNG HỌC CƠ SỞ", "Trường Trung học cơ sở"),
    ("TRƯỜNG TIỂU HỌC", "Trường Tiểu học"),
    ("TRƯỜNG MẦM NON", "Trường Mầm non"),
    ("TRƯỜNG ĐẠI HỌC", "Trường Đại học"),
    ("BAN TỔ CHỨC", "Ban Tổ chức"),
    ("BAN CHỈ ĐẠO", "Ban Chỉ đạo"),
)
_PLACE_WORDS = {
    "TỈNH",
    "HUYỆN",
    "XÃ",
    "PHƯỜNG",
    "QUẬN",
    "THỊ",
    "THÀNH",
    "PHỐ",
    "TRẤN",
    "VÀ",
    "ĐẶC",
    "KHU",
}
_ACRONYMS = {"THPT", "THCS", "TH", "MN", "GDĐT", "GD&ĐT", "GDTX", "PTDTNT", "PTDTBT", "DTNT", "TW"}
_KIND_ALIASES = {
    "announcement": "announcement",
    "thong-bao": "announcement",
    "thongbao": "announcement",
    "tin": "announcement",
    "tin-tuc": "announcement",
    "news": "announcement",
    "notice": "announcement",
    "faq": "faq",
    "hoi-dap": "faq",
    "cau-hoi": "faq",
    "question": "faq",
}
_KNOWN_KEYS = {
    "id",
    "title",
    "number",
    "issuer",
    "issued",
    "valid_from",
    "effective",
    "valid_until",
    "valid_to",
    "expires",
    "kind",
    "school",
    "grade",
    "source",
    "url",
    "link",
    "questions",
}


@dataclass
class HeaderInfo:
    """What the standard header of an official document says about it."""

    number: str | None = None
    issued: dt.date | None = None
    issuer: str | None = None
    title: str | None = None
    doc_type: str | None = None  # "THÔNG BÁO", "KẾ HOẠCH" …


def slugify(name: str) -> str:
    """A stable ASCII id from a file name: "Thông báo số 12.docx" -> "thong-bao-so-12"."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(Path(name).stem if "." in name else name))
    return slug.strip("-")[:200] or "tai-lieu"


def as_date(value: Any) -> dt.date | None:
    """A date from YAML, ISO "2024-08-13", "13/8/2024" or "ngày 13 tháng 8 năm 2024"; else None."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    for pattern, year_first in (
        (r"(\d{4})-(\d{1,2})-(\d{1,2})", True),
        (r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", False),
        (r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", False),
    ):
        match = re.fullmatch(pattern, text, re.I)
        if match:
            a, b, c = (int(group) for group in match.groups())
            year, month, day = (a, b, c) if year_first else (c, b, a)
            try:
                return dt.date(year, month, day)
            except ValueError:
                return None
    return None


def _clean(line: str) -> str:
    return re.sub(r"^[#>*\s|]+|[*\s|]+$", "", line).replace("**", "").strip()


def _header_lines(text: str) -> list[str]:
    lines: list[str] = []
    for raw in text.splitlines():
        line = _clean(raw)
        if not line or re.fullmatch(r"[-_=—–. ]+", line):
            continue
        if _STOP_RE.match(line) or _is_item(line):
            break
        lines.append(raw.strip())
        if len(lines) >= _HEADER_LINES:
            break
    return lines


def _is_item(line: str) -> bool:
    """A numbered item or article ("I.", "1.", "a)", "Điều 1"): the header is over."""
    marker = classify(line)
    return marker is not None and not marker.type.startswith("md")


def infer_header(text: str) -> HeaderInfo:
    """Read number, date, issuer and title from the first lines of an official document."""
    lines = _header_lines(text)
    info = HeaderInfo()
    for line in lines:
        if info.number is None and (match := _NUMBER_RE.search(line)):
            info.number = (match.group(1) + match.group(2)).rstrip(".-")
        if info.issued is None and (match := _PLACE_DATE_RE.search(line)):
            day, month, year = (int(g) for g in match.groups())
            try:
                info.issued = dt.date(year, month, day)
            except ValueError:
                pass
    info.issuer = _infer_issuer(lines)
    info.doc_type, info.title = _infer_title(lines)
    return info


def _left_cell(line: str) -> str:
    cell = next((c for c in re.split(r"\s{3,}|\|", line.strip()) if c.strip()), "")
    cell = re.split(r"CỘNG H[OÒ]À", cell)[0]
    return _clean(re.sub(r"[-_—–]{3,}", " ", cell))


def _infer_issuer(lines: list[str]) -> str | None:
    """The lowest line of the issuer block (the body that signs), with a short continuation."""
    block: list[str] = []
    continued = False
    for line in lines[:8]:
        cell = _left_cell(line)
        letters = [c for c in cell if c.isalpha()]
        upper = bool(letters) and sum(c.isupper() for c in letters) / len(letters) > 0.8
        if cell and upper and len(cell) <= 90 and _ISSUER_RE.match(cell):
            # "BỘ GIÁO DỤC VÀ ĐÀO TẠO TRƯỜNG ĐẠI HỌC …" on one line: the last body signs.
            block.append(re.split(r"\s(?=(?:TRƯỜNG|SỞ|PHÒNG)\s)", cell)[-1])
            continued = False
        elif (
            block
            and upper
            and not continued
            and len(cell) <= 30
            and not re.search(r"\d|CỘNG", cell)
        ):
            block[-1] += " " + cell  # "TRƯỜNG THPT" / "UNG VĂN KHIÊM"
            continued = True
        elif block:
            break
    return tidy_issuer(block[-1]) if block else None


def tidy_issuer(name: str) -> str:
    """An upper-case issuer name in normal case.

    "UBND TỈNH AN GIANG" -> "Ủy ban nhân dân tỉnh An Giang".
    """
    rest = " ".join(name.split()).upper()
    parts: list[str] = []
    while rest:
        for phrase, written in _ISSUER_PHRASES:
            if rest.startswith(phrase) and (len(rest) == len(phrase) or rest[len(phrase)] == " "):
                parts.append(written)
                rest = rest[len(phrase) :].strip()
                break
        else:
            word, _, rest = rest.partition(" ")
            if word in _ACRONYMS or not re.search(r"[AEIOUYĂÂÊÔƠƯÀ-Ỹ]", word):
                parts.append(word)
            elif word in _PLACE_WORDS:
                parts.append(word.lower())
            else:
                parts.append(word.capitalize())
    text = " ".join(parts)
    return text[0].upper() + text[1:] if text else text


def _infer_title(lines: list[str]) -> tuple[str | None, str | None]:
    for index, line in enumerate(lines):
        cell = _clean(line).rstrip(":").strip()
        doc_type = next((t for t in _DOC_TYPES if cell == t or cell.endswith(" " + t)), None)
        if doc_type is None or len(cell) > len(doc_type) + 12:
            continue
        subject: list[str] = []
        for follow in lines[index + 1 : index + 5]:
            part = _clean(follow)
            if (
                not part
                or part.endswith(":")
                or len(part) > 160
                or _NUMBER_RE.search(part)
                or _PLACE_DATE_RE.search(part)
                or _ISSUER_RE.match(part.upper())
                and part.isupper()
                and subject
            ):
                break
            if subject and not part[0].islower() or _is_item(part):
                break
            if re.match(r"^(CHỦ TỊCH|GIÁM ĐỐC|HIỆU TRƯỞNG|BỘ TRƯỞNG|TRƯỞNG PHÒNG)\b", part):
                break
            subject.append(part)
        kind_words = doc_type.capitalize()
        if not subject:
            return doc_type, kind_words
        body = " ".join(subject)
        body = body.lower() if body.isupper() else body[0].lower() + body[1:]
        return doc_type, f"{kind_words} {body}"
    for index, line in enumerate(lines):  # a công văn has no type line, only "V/v <subject>"
        cell = _clean(line)
        match = re.match(r"^V/v\.?\s+(.+)", cell, re.I)
        if match:
            subject = [match.group(1)]
            for follow in lines[index + 1 : index + 3]:
                part = _clean(follow)
                if not part or not part[0].islower():
                    break
                subject.append(part)
            return "CÔNG VĂN", "Công văn về " + " ".join(subject)
    return None, None


def _fallback_title(text: str, path: Path | None) -> str:
    for raw in text.splitlines():
        if raw.lstrip().startswith("#") and (line := _clean(raw)):
            return line[:200]
    for raw in text.splitlines():
        line = _clean(raw)
        if re.search(r"[^\W\d_]{2}", line):
            return line[:120]
    return path.stem if path is not None else "Tài liệu"


def _json_safe(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or None
    text = str(value).strip()
    return text or None


def map_kind(value: Any) -> str | None:
    """One of DOCUMENT_KINDS for a front-matter kind ("thông báo" -> "announcement") or None."""
    text = _text(value)
    if text is None:
        return None
    slug = slugify(text)
    if slug in DOCUMENT_KINDS:
        return slug
    return _KIND_ALIASES.get(slug, "document")


def faq_questions(front_matter: dict[str, Any]) -> list[str]:
    """The question variants of an FAQ entry (`questions:` as a list or a single string)."""
    value = front_matter.get("questions")
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else [value]
    return [str(item).strip() for item in items if str(item).strip()]


def document_meta(
    front_matter: dict[str, Any], text: str, *, path: Path | None = None
) -> DocumentMeta:
    """Metadata of one document: front matter first, the official header for missing fields."""
    fm = front_matter
    extra: dict[str, Any] = {k: _json_safe(v) for k, v in fm.items() if k not in _KNOWN_KEYS}
    header = infer_header(text)
    inferred: list[str] = []

    def pick(key: str, found: Any) -> Any:
        if key in fm:
            return fm[key]
        if found is not None:
            inferred.append(key)
        return found

    def date_of(*keys: str) -> dt.date | None:
        for key in keys:
            if key in fm and fm[key] is not None:
                parsed = as_date(fm[key])
                if parsed is None:  # "2026", "năm học 2024-2025": kept as written
                    extra[key] = _json_safe(fm[key])
                return parsed
        return None

    questions = faq_questions(fm)
    kind = map_kind(fm.get("kind"))
    if fm.get("kind") is not None and str(fm["kind"]) not in DOCUMENT_KINDS:
        extra["kind"] = _json_safe(fm["kind"])
    if kind is None:
        kind = (
            "faq" if questions else "announcement" if header.doc_type == "THÔNG BÁO" else "document"
        )
    title = _text(pick("title", header.title))
    if title is None:
        title = questions[0] if questions else _fallback_title(text, path)
    issued = date_of("issued")
    if "issued" not in fm and header.issued is not None:
        issued = header.issued
        inferred.append("issued")
    number = _text(pick("number", header.number))
    issuer = _text(pick("issuer", header.issuer))
    if inferred:
        extra["inferred"] = inferred
    source = next((fm[k] for k in ("source", "url", "link") if fm.get(k)), None)
    return DocumentMeta(
        id=_text(fm.get("id")) or slugify(path.name if path is not None else title),
        title=title,
        number=number,
        issuer=issuer,
        issued=issued,
        valid_from=date_of("valid_from", "effective"),
        valid_until=date_of("valid_until", "valid_to", "expires"),
        kind=kind,
        school=_text(fm.get("school")),
        grade=_text(fm.get("grade")),
        source_url=_text(source),
        source_path=str(path) if path is not None else None,
        extra=extra,
    )
