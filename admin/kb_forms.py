"""Reading the knowledge-base forms of the admin web: document metadata, announcements, FAQ.

Each reader takes the submitted form (any mapping of field name to value), trims it, checks it
and returns clean values plus a list of Vietnamese problems to show above the form.  Dates are
accepted as the browser's date input sends them (2026-01-31) and as clerks type them
(31/01/2026); links must be http(s) so a pasted ``javascript:`` text can never become a link.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from retrieval.metadata import as_date, slugify

# Metadata fields of an uploaded document, in form order: (name, Vietnamese label).
DOCUMENT_FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "Tiêu đề"),
    ("number", "Số hiệu"),
    ("issuer", "Cơ quan ban hành"),
    ("issued", "Ngày ban hành"),
    ("kind", "Loại"),
    ("valid_from", "Hiệu lực từ ngày"),
    ("valid_until", "Hiệu lực đến ngày"),
    ("school", "Trường (đối tượng)"),
    ("grade", "Khối lớp (đối tượng)"),
    ("source", "Đường dẫn nguồn"),
    ("id", "Mã tài liệu"),
)
DATE_FIELDS = ("issued", "valid_from", "valid_until")
UPLOAD_KINDS = {"document": "Văn bản", "announcement": "Thông báo"}
KIND_LABELS = {**UPLOAD_KINDS, "faq": "Hỏi đáp"}
_LABELS = dict(DOCUMENT_FIELDS)
_MAX_FIELD_CHARS = 500
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,199}$")


def _text(form: Mapping[str, Any], name: str, limit: int = _MAX_FIELD_CHARS) -> str:
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    return " ".join(value.split())[:limit]


def _date(value: str, label: str, errors: list[str]) -> dt.date | None:
    if not value:
        return None
    parsed = as_date(value)
    if parsed is None:
        errors.append(f"{label} “{value}” không hợp lệ; hãy nhập theo dạng ngày/tháng/năm, ví dụ 31/12/2026.")
    return parsed


def _link(value: str, errors: list[str]) -> str:
    if value and not re.match(r"^https?://[^\s<>\"]+$", value, re.I):
        errors.append(f"Đường dẫn “{value}” không hợp lệ; đường dẫn phải bắt đầu bằng http:// hoặc https://.")
        return ""
    return value


def _window(start: dt.date | None, end: dt.date | None, errors: list[str]) -> None:
    if start and end and end < start:
        errors.append("Ngày hết hiệu lực phải sau (hoặc bằng) ngày bắt đầu hiệu lực.")


def document_fields(form: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """The metadata typed for an upload (non-empty fields only, dates as ISO) and problems.

    The keys are front-matter keys, so they can be passed to `retrieval.ingest.prepare_file`
    as overrides; an empty field means "use what the file says or what is inferred".
    """
    errors: list[str] = []
    fields: dict[str, str] = {}
    for name, label in DOCUMENT_FIELDS:
        value = _text(form, name)
        if not value:
            continue
        if name in DATE_FIELDS:
            parsed = _date(value, label, errors)
            value = parsed.isoformat() if parsed else ""
        elif name == "kind" and value not in KIND_LABELS:
            errors.append(f"Loại tài liệu “{value}” không hợp lệ.")
            value = ""
        elif name == "source":
            value = _link(value, errors)
        elif name == "id":
            value = value if _ID_RE.match(value) else slugify(value)
        if value:
            fields[name] = value
    _window(as_date(fields.get("valid_from")), as_date(fields.get("valid_until")), errors)
    return fields, errors


@dataclass
class AnnouncementInput:
    """A short announcement typed in the browser."""

    title: str
    body: str
    valid_until: dt.date
    valid_from: dt.date | None = None
    school: str | None = None
    grade: str | None = None
    link: str | None = None


def _body(form: Mapping[str, Any], name: str, limit: int = 20000) -> str:
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    lines = [line.rstrip() for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip()[:limit]


def announcement_input(form: Mapping[str, Any]) -> tuple[AnnouncementInput | None, list[str]]:
    """The announcement in a submitted form, or None and the problems to show."""
    errors: list[str] = []
    title = _text(form, "title", 300)
    body = _body(form, "body")
    if not title:
        errors.append("Hãy nhập tiêu đề thông báo.")
    if not re.search(r"[^\W\d_]", body):
        errors.append("Hãy nhập nội dung thông báo.")
    valid_from = _date(_text(form, "valid_from"), "Ngày bắt đầu", errors)
    until_text = _text(form, "valid_until")
    valid_until = _date(until_text, "Ngày hết hạn", errors)
    if not until_text:
        errors.append("Hãy nhập ngày hết hạn: sau ngày này bot sẽ không dùng thông báo nữa.")
    _window(valid_from, valid_until, errors)
    link = _link(_text(form, "link"), errors)
    if errors or valid_until is None:
        return None, errors
    return (
        AnnouncementInput(
            title=title,
            body=body,
            valid_until=valid_until,
            valid_from=valid_from,
            school=_text(form, "school", 200) or None,
            grade=_text(form, "grade", 40) or None,
            link=link or None,
        ),
        [],
    )


@dataclass
class FaqInput:
    """An FAQ entry typed in the browser: question variants, one answer, an optional source."""

    questions: list[str]
    answer: str
    title: str | None = None
    number: str | None = None
    link: str | None = None
    school: str | None = None
    grade: str | None = None


def faq_input(form: Mapping[str, Any]) -> tuple[FaqInput | None, list[str]]:
    """The FAQ entry in a submitted form (one question variant per line), or the problems."""
    errors: list[str] = []
    seen: set[str] = set()
    questions = []
    for line in _body(form, "questions", 10000).split("\n"):
        question = " ".join(line.split())[:300]
        if question and question.lower() not in seen:
            seen.add(question.lower())
            questions.append(question)
    answer = _body(form, "answer", 5000)
    if not questions:
        errors.append("Hãy nhập ít nhất một cách hỏi (mỗi dòng một câu hỏi).")
    if not re.search(r"[^\W\d_]", answer):
        errors.append("Hãy nhập câu trả lời.")
    link = _link(_text(form, "link"), errors)
    if errors:
        return None, errors
    return (
        FaqInput(
            questions=questions,
            answer=answer,
            title=_text(form, "title", 300) or None,
            number=_text(form, "number", 120) or None,
            link=link or None,
            school=_text(form, "school", 200) or None,
            grade=_text(form, "grade", 40) or None,
        ),
        [],
    )


def label(name: str) -> str:
    """The Vietnamese label of a document metadata field."""
    return _LABELS.get(name, name)
