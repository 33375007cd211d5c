"""Tables that leave the office: questions, feedback and statistics as CSV or XLSX files.

What an export contains, on purpose:
- residents appear only as `user_hash` (the salted hash stored in every row);
- every free text (question, bot answer, ticket message, staff reply) goes through
  `storage.privacy.redact` again, in case a row was written before a redaction rule existed;
- the raw platform id (`recipient`) and the contact a parent gave for follow-up (`contact`)
  are never exported: the contact was given to the office, not to whoever receives the file,
  and staff who need it open the ticket in the admin web; internal notes stay there too.
CSV files are UTF-8 with a byte-order mark so Excel shows Vietnamese correctly, and text
cells that a spreadsheet would run as a formula (=, +, -, @) are prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.ticket_categories import category_label
from admin import stats
from admin.stats import StatsFilter
from storage.models import Question, Ticket
from storage.privacy import redact

Cell = str | int | float | None
FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
KIND_LABELS = {"feedback": "Góp ý – phản ánh", "misinformation": "Báo tin sai", "human": "Gặp cán bộ"}
RATING_LABELS = {"good": "Hữu ích", "bad": "Chưa hữu ích"}


@dataclass(frozen=True)
class Table:
    """A sheet: its name, header row and data rows."""

    title: str
    headers: list[str]
    rows: list[list[Cell]]


def _time(stamp: dt.datetime | None) -> str:
    return (stamp + stats.LOCAL_OFFSET).strftime("%Y-%m-%d %H:%M") if stamp else ""


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("Có" if value else "Không")


def questions_table(session: Session, flt: StatsFilter) -> Table:
    """Every knowledge question of the range, oldest first."""
    low, high = flt.utc_bounds()
    conditions = [Question.created_at >= low, Question.created_at < high]
    if flt.school:
        conditions.append(Question.school == flt.school)
    headers = ["Mã", "Thời điểm", "Kênh", "Người hỏi (mã băm)", "Trường", "Câu hỏi", "Đã trả lời",
               "Độ tin cậy", "Kèm lưu ý chưa chắc", "Câu trả lời", "Tài liệu", "Đánh giá",
               "Trạng thái xử lý"]
    rows: list[list[Cell]] = [
        [q.id, _time(q.created_at), q.channel, q.user_hash, q.school or "", redact(q.text), _yes_no(q.answered),
         round(q.confidence or 0.0, 3), _yes_no(q.tentative), redact(q.answer or ""),
         ", ".join(map(str, q.doc_ids or [])), RATING_LABELS.get(q.rating or "", ""), q.review_status]
        for q in session.scalars(select(Question).where(*conditions).order_by(Question.created_at, Question.id))
    ]
    return Table(title="Câu hỏi", headers=headers, rows=rows)


def feedback_table(session: Session, flt: StatsFilter) -> Table:
    """Every ticket of the range (feedback, misinformation, requests for a person), oldest first."""
    low, high = flt.utc_bounds()
    conditions = [Ticket.created_at >= low, Ticket.created_at < high]
    if flt.school:
        conditions.append(Ticket.school == flt.school)
    headers = ["Mã phiếu", "Thời điểm", "Loại", "Chủ đề", "Trường", "Kênh", "Người gửi (mã băm)", "Khẩn",
               "Trạng thái", "Nội dung", "Người phụ trách", "Trả lời", "Thời điểm trả lời"]
    rows: list[list[Cell]] = [
        [t.reference, _time(t.created_at), KIND_LABELS.get(t.kind, t.kind), category_label(t.category), t.school,
         t.channel, t.user_hash, _yes_no(t.urgent), t.status, redact(t.message), t.assignee, redact(t.reply or ""),
         _time(t.replied_at)]
        for t in session.scalars(select(Ticket).where(*conditions).order_by(Ticket.created_at, Ticket.id))
    ]
    return Table(title="Góp ý – phản ánh", headers=headers, rows=rows)


def stats_table(session: Session, flt: StatsFilter) -> Table:
    """The day-by-day numbers of the range."""
    columns = {
        "Tin nhắn": stats.messages_per_day(session, flt),
        "Câu hỏi kiến thức": stats.questions_per_day(session, flt),
        "Đã trả lời": stats.questions_per_day(session, flt, answered=True),
        "Chưa trả lời": stats.unanswered_per_day(session, flt),
        "Góp ý – phản ánh": stats.tickets_per_day(session, flt, "feedback"),
        "Báo tin sai": stats.tickets_per_day(session, flt, "misinformation"),
        "Gặp cán bộ": stats.tickets_per_day(session, flt, "human"),
    }
    rows: list[list[Cell]] = [[day.isoformat(), *(column[day] for column in columns.values())] for day in flt.days]
    return Table(title="Thống kê theo ngày", headers=["Ngày", *columns], rows=rows)


def summary_table(board: stats.Dashboard, alerts: Sequence[str]) -> Table:
    """One day's numbers and alert messages as label/value rows (the printable summary's export)."""
    rate = board.answer_rate
    rows: list[list[Cell]] = [
        ["Ngày", board.filter.end.isoformat()],
        ["Trường", board.filter.school or "Tất cả"],
        ["Tin nhắn", board.total_messages],
        *([f"Tin nhắn – {channel}", count] for channel, count in board.messages_per_channel.items()),
        ["Câu hỏi kiến thức", rate.total],
        ["Đã trả lời", rate.answered],
        ["Trả lời kèm lưu ý chưa chắc", rate.tentative],
        ["Tỉ lệ trả lời", rate.percent],
        ["Đánh giá hữu ích", board.ratings["good"]],
        ["Đánh giá chưa hữu ích", board.ratings["bad"]],
        *([KIND_LABELS[kind], count] for kind, count in board.tickets_by_kind.items()),
        *(["Cảnh báo", alert] for alert in alerts),
        *([f"Câu hỏi nhiều nhất #{n}", f"{q.label} ({q.count})"] for n, q in enumerate(board.top_questions, 1)),
    ]
    return Table(title="Tổng hợp ngày", headers=["Mục", "Giá trị"], rows=[[c[0], _clean(c[1])] for c in rows])


def _clean(value: Cell) -> Cell:
    return redact(value) if isinstance(value, str) else value


def _csv_safe(value: Cell) -> Cell:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(table: Table) -> bytes:
    """UTF-8 with BOM, comma-separated, CRLF line ends (what Excel expects)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.headers)
    writer.writerows([[_csv_safe(cell) for cell in row] for row in table.rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    """One sheet, header row bold and frozen; strings are always stored as text, never formulas."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.title[:31]
    sheet.append(table.headers)
    for row in table.rows:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", cell) if isinstance(cell, str) else cell for cell in row])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str) and cell.data_type == "f":
                cell.data_type = "s"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render(table: Table, fmt: str) -> bytes:
    if fmt == "csv":
        return to_csv(table)
    if fmt == "xlsx":
        return to_xlsx(table)
    raise ValueError(f"unknown export format {fmt!r}")


def filename(name: str, flt: StatsFilter, fmt: str) -> str:
    """ASCII file name with the range: "cau-hoi_2026-11-01_2026-11-30.csv" (one day: one date)."""
    days = flt.start.isoformat() if flt.start == flt.end else f"{flt.start.isoformat()}_{flt.end.isoformat()}"
    school = f"_{stats.question_key(flt.school).replace(' ', '-')}" if flt.school else ""
    return f"{name}_{days}{school}.{fmt}"
