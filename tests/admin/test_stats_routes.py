"""The statistics pages in-process: dashboard numbers and alerts, daily summary, exports (with
their audit entries) and the chart scripts served from the chartkick package."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re

from admin_client import AdminClient
from openpyxl import load_workbook
from sqlalchemy import select
from stats_seed import CCCD, DAY1, DAY3, PHONE, RAW_TEXT, RECIPIENT, SCHOOL, at, question, seed_range, ticket

from storage.db import session_scope
from storage.models import AuditEntry

RANGE = f"start={DAY1.isoformat()}&end={DAY3.isoformat()}"
_DATA_RE = re.compile(r'<script type="application/json" id="stats-data">(.*?)</script>', re.S)


def seed() -> None:
    with session_scope() as session:
        seed_range(session)


def seed_spike() -> None:
    """Fourteen quiet days, then 12 fee questions and 5 misinformation reports on DAY3."""
    with session_scope() as session:
        for back in range(14, 0, -1):
            question(session, at(DAY3 - dt.timedelta(days=back), 9), "Học phí bao nhiêu?", answered=True,
                     doc_ids=("hoc-phi",))
        for n in range(12):
            question(session, at(DAY3, 8, n), "Học phí bao nhiêu?", answered=True, doc_ids=("hoc-phi",))
        for n in range(5):
            ticket(session, at(DAY3, 10, n), "misinformation")


def text_of(page: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)<', page, re.S)
    assert match, element_id
    return html.unescape(match.group(1)).strip()


def audit_entries() -> list[AuditEntry]:
    with session_scope() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "export")))


async def test_dashboard_needs_login(client_anon: AdminClient) -> None:
    response = await client_anon.get("/admin/stats")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/admin/login?next=")


async def test_dashboard_shows_the_numbers_in_tables_and_chart_data(client_staff: AdminClient) -> None:
    seed()
    page = await client_staff.get(f"/admin/stats?{RANGE}")
    assert page.status_code == 200
    body = page.text
    assert text_of(body, "total-messages") == "5"
    assert text_of(body, "total-questions") == "6"
    assert text_of(body, "answer-rate") == "66,7%"
    assert text_of(body, "tentative-answers") == "1"  # answered with the caveat
    assert text_of(body, "ratings") == "1 / 1"
    assert "<td>Học phí năm nay bao nhiêu?</td><td>3</td><td>0</td>" in body
    assert "Quy định học phí 2025–2026" in body
    assert "<td>Góp ý – phản ánh</td><td>Cơ sở vật chất</td><td>1</td>" in body
    assert "<tr><td>web</td><td>3</td></tr>" in body
    data = json.loads(_DATA_RE.search(body).group(1))  # type: ignore[union-attr]
    assert data["messages_per_day"] == [["18/11", 3], ["19/11", 1], ["20/11", 1]]
    assert data["unanswered_per_day"] == [["18/11", 0], ["19/11", 1], ["20/11", 1]]
    assert data["ratings"] == [["Hữu ích", 1], ["Chưa hữu ích", 1]]
    assert data["channels"] == [["web", 3], ["messenger", 1], ["zalo", 1]]
    assert data["tickets"] == [["Góp ý – phản ánh", 1], ["Báo tin sai", 1], ["Gặp cán bộ", 1]]
    assert f'<option value="{SCHOOL}">' in body
    assert PHONE not in body and CCCD not in body
    assert "/admin/vendor/chartkick.js?v=" in body and "/admin/vendor/Chart.bundle.js?v=" in body


async def test_dashboard_school_filter(client_admin: AdminClient) -> None:
    seed()
    page = await client_admin.get(f"/admin/stats?{RANGE}&school={SCHOOL}")
    assert text_of(page.text, "total-messages") == "1"
    assert text_of(page.text, "answer-rate") == "0,0%"
    assert f'<option value="{SCHOOL}" selected>' in page.text


async def test_dashboard_shows_trend_alerts_first(client_staff: AdminClient) -> None:
    seed_spike()
    body = (await client_staff.get(f"/admin/stats?end={DAY3.isoformat()}")).text
    alerts = re.findall(r'<div class="trend-alert[^"]*" role="alert">⚠ (.*?)</div>', body)
    assert alerts == [
        "Báo cáo thông tin sai tăng đột biến: 5 ngày 20/11/2026, trung bình 0/ngày",
        "Câu hỏi về hoc-phi tăng đột biến: 12 ngày 20/11/2026, trung bình 1/ngày",
    ]
    assert body.index('id="alerts"') < body.index('id="messages"')
    quiet = (await client_staff.get(f"/admin/stats?end={(DAY3 - dt.timedelta(days=1)).isoformat()}")).text
    assert 'class="trend-alert' not in quiet and "không có gì bất thường" in quiet


async def test_user_text_is_escaped(client_staff: AdminClient) -> None:
    with session_scope() as session:
        question(session, at(DAY3, 9), "<script>alert(1)</script> học phí", answered=False)
    body = (await client_staff.get(f"/admin/stats?{RANGE}")).text
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; học phí" in body
    assert "<" not in _DATA_RE.search(body).group(1)  # type: ignore[union-attr]


async def test_bad_dates_fall_back_with_a_note(client_staff: AdminClient) -> None:
    body = (await client_staff.get("/admin/stats?start=hôm-qua")).text
    assert "Ngày không hợp lệ" in body
    assert len(json.loads(_DATA_RE.search(body).group(1))["messages_per_day"]) == 30  # type: ignore[union-attr]
    swapped = (await client_staff.get(f"/admin/stats?start={DAY3.isoformat()}&end={DAY1.isoformat()}")).text
    assert "Từ 18/11/2026 đến 20/11/2026" in swapped


async def test_daily_summary_page_and_export(client_admin: AdminClient) -> None:
    seed_spike()
    page = await client_admin.get(f"/admin/stats/summary?day={DAY3.isoformat()}")
    assert page.status_code == 200
    assert "Tổng hợp ngày 20/11/2026" in page.text
    assert "<li>Báo cáo thông tin sai tăng đột biến: 5 ngày 20/11/2026, trung bình 0/ngày</li>" in page.text
    assert "<th scope=\"row\">Câu hỏi kiến thức</th><td>12</td>" in page.text
    export = await client_admin.get(f"/admin/stats/summary.csv?day={DAY3.isoformat()}")
    assert export.status_code == 200
    assert export.headers["content-disposition"] == 'attachment; filename="tong-hop_2026-11-20.csv"'
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [value for label, value in rows if label == "Cảnh báo"] == [
        "Báo cáo thông tin sai tăng đột biến: 5 ngày 20/11/2026, trung bình 0/ngày",
        "Câu hỏi về hoc-phi tăng đột biến: 12 ngày 20/11/2026, trung bình 1/ngày",
    ]
    assert ["Câu hỏi kiến thức", "12"] in rows
    assert [entry.target for entry in audit_entries()] == ["tong-hop_2026-11-20.csv"]


async def test_question_exports_are_redacted_and_audited(client_staff: AdminClient) -> None:
    seed()
    with session_scope() as session:
        question(session, at(DAY3, 11), "x", answered=False).text = RAW_TEXT  # bypassing redaction
    csv_response = await client_staff.get(f"/admin/exports/questions.csv?{RANGE}")
    assert csv_response.status_code == 200
    assert csv_response.headers["content-type"] == "text/csv; charset=utf-8"
    assert csv_response.headers["content-disposition"] == 'attachment; filename="cau-hoi_2026-11-18_2026-11-20.csv"'
    assert csv_response.content.startswith(b"\xef\xbb\xbf")
    text = csv_response.content.decode("utf-8-sig")
    assert PHONE not in text and CCCD not in text and "[số điện thoại]" in text
    xlsx_response = await client_staff.get(f"/admin/exports/feedback.xlsx?{RANGE}")
    rows = list(load_workbook(io.BytesIO(xlsx_response.content)).active.iter_rows(values_only=True))
    cells = " ".join(str(cell) for row in rows for cell in row)
    assert RECIPIENT not in cells and "0987654321" not in cells and PHONE not in cells
    assert len(rows) == 4
    entries = audit_entries()
    assert [(e.actor, e.target) for e in entries] == [
        ("canbo", "cau-hoi_2026-11-18_2026-11-20.csv"), ("canbo", "gop-y-phan-anh_2026-11-18_2026-11-20.xlsx")]
    assert entries[0].detail == {"table": "cau-hoi", "start": "2026-11-18", "end": "2026-11-20", "school": "",
                                 "rows": 7, "format": "csv"}


async def test_stats_export_and_unknown_exports(client_admin: AdminClient) -> None:
    seed()
    response = await client_admin.get(f"/admin/exports/stats.csv?{RANGE}&school={SCHOOL}")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[1:] == ["2026-11-18,0,0,0,0,0,0,0", "2026-11-19,0,0,0,0,0,0,0", "2026-11-20,1,1,0,1,0,1,0"]
    assert "thong-ke_2026-11-18_2026-11-20_thcs-hoa-binh.csv" in response.headers["content-disposition"]
    for url in ("/admin/exports/users.csv", "/admin/exports/questions.pdf", "/admin/stats/summary.json"):
        assert (await client_admin.get(url)).status_code == 404
    assert len(audit_entries()) == 1


async def test_chart_scripts_come_from_the_chartkick_package(client_staff: AdminClient) -> None:
    for name, marker in (("chartkick.js", b"Chartkick.js v"), ("Chart.bundle.js", b"Chart.js v")):
        response = await client_staff.get(f"/admin/vendor/{name}")
        assert response.status_code == 200
        assert marker in response.content[:200]
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["content-type"].startswith("text/javascript")
    assert (await client_staff.get("/admin/vendor/..%2Fstats.py")).status_code == 404
    assert (await client_staff.get("/admin/vendor/other.js")).status_code == 404


def test_parse_filter_fixes_what_it_can() -> None:
    from admin.routes.stats import parse_filter

    flt, note = parse_filter("2026-11-20", "2026-11-18", " THCS Hòa Bình ")
    assert (flt.start, flt.end, flt.school, note) == (DAY1, DAY3, SCHOOL, "")
    flt, note = parse_filter(None, "2026-11-20", "")
    assert (flt.start, flt.end, flt.school, note) == (DAY3 - dt.timedelta(days=29), DAY3, None, "")
    flt, note = parse_filter("2020-01-01", "2026-11-20", None)
    assert (flt.end - flt.start).days == 365 and "366 ngày" in note
    flt, note = parse_filter("20/11/2026", None, None)
    assert len(flt.days) == 30 and "Ngày không hợp lệ" in note
