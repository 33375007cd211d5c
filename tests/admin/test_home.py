"""The home page: greeting, counts, the "Sắp hết hiệu lực" panel, and the date filters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from admin_client import AdminClient

from admin import overview
from admin.routes.home import vietnam_today
from admin.templating import vn_date, vn_datetime
from storage.db import session_scope
from storage.kb_models import Document
from storage.models import Question, Ticket


def _document(doc_id: str, title: str, *, until_days: int | None, kind: str = "document",
              status: str = "active") -> None:
    today = vietnam_today()
    with session_scope() as session:
        session.add(Document(
            id=doc_id, title=title, kind=kind, status=status,
            valid_until=None if until_days is None else today + dt.timedelta(days=until_days),
        ))


def _seed_panel() -> None:
    _document("soon", "Lịch thi học kỳ I", until_days=5)
    _document("later", "Quy định học phí 2026", until_days=60)
    _document("tet", "Lịch nghỉ Tết", until_days=0, kind="announcement")
    _document("gone", "Lịch tựu trường", until_days=-3, kind="announcement")
    _document("old", "Thông báo cũ", until_days=-40, kind="announcement")
    _document("retired", "Văn bản đã gỡ", until_days=2, status="retired")
    _document("faq", "Hỏi đáp học phí", until_days=3, kind="faq")
    _document("forever", "Nội quy trường", until_days=None)


def test_expiring_lists_documents_ending_within_the_window(data_dir: Path) -> None:
    _seed_panel()
    today = vietnam_today()
    with session_scope() as session:
        assert [d.id for d in overview.expiring(session, today=today, days=14)] == ["tet", "soon"]
        assert [d.id for d in overview.recently_expired(session, today=today, days=14)] == ["gone"]
        assert [d.id for d in overview.expiring(session, today=today, days=60)] == ["tet", "soon", "later"]


def test_counts(data_dir: Path) -> None:
    _seed_panel()
    with session_scope() as session:
        session.add_all([
            Question(channel="web", user_hash="h1", text="học phí bao nhiêu", answered=False),
            Question(channel="zalo", user_hash="h2", text="lịch thi", answered=True, confidence=0.9,
                     rating="bad"),
            Question(channel="web", user_hash="h3", text="lịch nghỉ", answered=True, confidence=0.9),
            Question(channel="web", user_hash="h5", text="giờ học", answered=True, confidence=0.01),
            Question(channel="web", user_hash="h4", text="đã xử lý", answered=False, review_status="dismissed"),
            Ticket(reference="GY-1", kind="feedback", channel="web", user_hash="h1", message="a"),
            Ticket(reference="SAI-1", kind="misinformation", channel="web", user_hash="h2", message="b", urgent=True),
            Ticket(reference="SAI-2", kind="misinformation", channel="web", user_hash="h2", message="c",
                   urgent=True, status="closed"),
        ])
    with session_scope() as session:
        counts = overview.counts(session, low_confidence=0.5)
    # active documents/announcements: soon, later, tet, gone, old, forever (not retired, not FAQ)
    assert counts == overview.Counts(documents_active=6, questions_open=3, tickets_new=2, misinformation_urgent=1)


async def test_home_page_shows_greeting_counts_and_panel(client_staff: AdminClient) -> None:
    _seed_panel()
    page = await client_staff.get("/admin/")
    assert page.status_code == 200
    assert "Xin chào, Trần Cán Bộ!" in page.text
    assert '<span class="num" id="count-documents">6</span>' in page.text
    panel = page.text.split('id="expiring"')[1].split('id="expired"')[0]
    assert "Lịch thi học kỳ I" in panel and "5 ngày" in panel
    assert "Lịch nghỉ Tết" in panel and "hôm nay" in panel
    assert "Quy định học phí 2026" not in panel and "Văn bản đã gỡ" not in panel
    expired = page.text.split('id="expired"')[1]
    assert "Lịch tựu trường" in expired and "Thông báo cũ" not in expired


async def test_titles_are_escaped_on_the_home_page(client_admin: AdminClient) -> None:
    _document("xss", "<script>alert(1)</script>", until_days=1)
    page = await client_admin.get("/admin/")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>alert(1)" not in page.text


def test_vietnamese_date_filters() -> None:
    assert vn_date(dt.date(2026, 2, 9)) == "09/02/2026"
    assert vn_date(None) == ""
    late_utc = dt.datetime(2026, 2, 9, 20, 30)  # stored as naive UTC → 03:30 next day in Vietnam
    assert vn_date(late_utc) == "10/02/2026"
    assert vn_datetime(late_utc) == "10/02/2026 03:30"
