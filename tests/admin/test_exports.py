"""Exports (admin.exports): redaction, hashed user ids, no recipient/contact, CSV with BOM and
XLSX read back with openpyxl."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session
from stats_seed import CCCD, CONTACT, DAY1, DAY2, DAY3, PHONE, RAW_TEXT, RECIPIENT, at, question, seed_range, ticket

from admin import exports, stats
from admin.exports import Table
from admin.stats import StatsFilter
from admin.trends import Alert
from storage.db import session_scope
from storage.models import Ticket
from storage.privacy import ID_MASK, PHONE_MASK

RANGE = StatsFilter(start=DAY1, end=DAY3)


@pytest.fixture()
def session(data_dir: Path) -> Iterator[Session]:
    with session_scope() as session:
        seed_range(session)
        # A row written before redaction existed (or by a careless script): exports redact again.
        question(session, at(DAY2, 10), "x", answered=False, user_hash="legacy").text = RAW_TEXT
        ticket(session, at(DAY2, 11), "feedback", user_hash="legacy").message = RAW_TEXT
        session.flush()
        yield session


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def read_xlsx(data: bytes) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(data)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def both_formats(table: Table) -> list[list[list[str]]]:
    """The table as read back from its CSV and from its XLSX, every cell as text."""
    from_xlsx = [["" if cell is None else str(cell) for cell in row] for row in read_xlsx(exports.to_xlsx(table))]
    return [read_csv(exports.to_csv(table)), from_xlsx]


def assert_private(rows: list[list[str]]) -> None:
    text = "\n".join("\t".join(row) for row in rows)
    for secret in (PHONE, PHONE.replace(" ", ""), CCCD, RECIPIENT, "0987654321", "chị Lan"):
        assert secret not in text
    header = [name.lower() for name in rows[0]]
    assert not any("liên hệ" in name or "recipient" in name or "contact" in name for name in header)


def test_questions_export_is_redacted_and_hashed(session: Session) -> None:
    table = exports.questions_table(session, RANGE)
    for rows in both_formats(table):
        assert_private(rows)
        assert rows[0][3] == "Người hỏi (mã băm)"
        assert {row[3] for row in rows[1:]} == {"u1", "legacy"}
        redacted = [row[5] for row in rows[1:] if row[3] == "legacy"]
        assert redacted == [f"Gọi cho tôi số {PHONE_MASK}, CCCD {ID_MASK} nhé"]
        assert len(rows) == 1 + 7
        tentative = rows[0].index("Kèm lưu ý chưa chắc")
        assert [row[5] for row in rows[1:] if row[tentative] == "Có"] == ["Thông báo cũ nói gì?"]


def test_feedback_export_excludes_contact_and_recipient(session: Session) -> None:
    table = exports.feedback_table(session, RANGE)
    for rows in both_formats(table):
        assert_private(rows)
        assert f"Tin sai, gọi {PHONE_MASK}" in [row[9] for row in rows[1:]]
        assert f"Gọi cho tôi số {PHONE_MASK}, CCCD {ID_MASK} nhé" in [row[9] for row in rows[1:]]
        assert [row[2] for row in rows[1:]] == ["Góp ý – phản ánh", "Góp ý – phản ánh", "Báo tin sai", "Gặp cán bộ"]
        assert [row[3] for row in rows[1:]] == ["Chưa phân loại", "Cơ sở vật chất", "Chưa phân loại", "Chưa phân loại"]
    assert CONTACT in session.scalars(select(Ticket.contact)).all()  # kept in the store, not exported


def test_stats_export_has_one_row_per_day(session: Session) -> None:
    table = exports.stats_table(session, RANGE)
    csv_rows, xlsx_rows = both_formats(table)
    assert csv_rows[0] == ["Ngày", "Tin nhắn", "Câu hỏi kiến thức", "Đã trả lời", "Chưa trả lời", "Góp ý – phản ánh",
                           "Báo tin sai", "Gặp cán bộ"]
    assert csv_rows[1:] == [
        ["2026-11-18", "3", "2", "2", "0", "0", "0", "0"],
        ["2026-11-19", "1", "3", "1", "2", "2", "0", "0"],
        ["2026-11-20", "1", "2", "1", "1", "0", "1", "1"],
    ]
    assert xlsx_rows == csv_rows
    assert read_xlsx(exports.to_xlsx(table))[1][1] == 3  # numbers stay numbers in the workbook


def test_summary_table_has_the_numbers_and_alerts(session: Session) -> None:
    board = stats.build_dashboard(session, StatsFilter(start=DAY3, end=DAY3))
    alert = Alert(kind="topic", key="doc:hoc-phi", label="học phí", today=23, mean=2.0, std=0.5)
    table = exports.summary_table(board, [alert.message()])
    rows = dict((row[0], row[1]) for row in read_csv(exports.to_csv(table))[1:])
    assert rows["Ngày"] == "2026-11-20"
    assert rows["Tin nhắn"] == "1"
    assert rows["Tỉ lệ trả lời"] == "50,0%"
    assert rows["Cảnh báo"] == "Câu hỏi về học phí tăng đột biến: 23 hôm nay, trung bình 2/ngày"


def test_formula_like_text_is_never_a_formula() -> None:
    table = Table(title="t", headers=["a"], rows=[["=HYPERLINK(\"http://x\")"], ["@SUM(1)"], [-5]])
    assert read_csv(exports.to_csv(table))[1:] == [["'=HYPERLINK(\"http://x\")"], ["'@SUM(1)"], ["-5"]]
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(table))).active
    assert sheet["A2"].data_type == "s" and sheet["A2"].value == "=HYPERLINK(\"http://x\")"
    assert sheet["A4"].value == -5


def test_filenames_carry_the_range_and_school() -> None:
    assert exports.filename("cau-hoi", RANGE, "csv") == "cau-hoi_2026-11-18_2026-11-20.csv"
    assert exports.filename("tong-hop", StatsFilter(start=DAY3, end=DAY3), "xlsx") == "tong-hop_2026-11-20.xlsx"
    school = StatsFilter(start=DAY3, end=DAY3, school="THCS Hòa Bình")
    assert exports.filename("gop-y", school, "csv") == "gop-y_2026-11-20_thcs-hoa-binh.csv"


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError):
        exports.render(Table(title="t", headers=[], rows=[]), "pdf")
