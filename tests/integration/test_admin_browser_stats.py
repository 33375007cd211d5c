"""The statistics dashboard in real headless Chromium against the running stack: staff filter it
to a range and a school seeded here, the chartkick charts draw (one <canvas> each) without any
console error, the tables show the seeded counts, and the feedback CSV export downloads without
a raw phone number in it.

Rows are seeded through `storage.repositories` into the stack's database, on fixed past days and
under a school of their own, so other tests' conversations in the same stack never change the
counts checked here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import delete, select

from actions.ticket_categories import categorise
from storage.models import Question, Ticket, Turn
from storage.privacy import PHONE_MASK
from storage.repositories import create_ticket, log_turn, rate_question, record_question

if TYPE_CHECKING:
    from conftest import Bot
    from playwright.sync_api import ConsoleMessage, Error, Page

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SCHOOL = "Trường TH Kiểm Thử Trình Duyệt"
DAY1, DAY2, DAY3 = dt.date(2026, 10, 5), dt.date(2026, 10, 6), dt.date(2026, 10, 7)
PHONE = "0912 345 678"
CONTACT_PHONE = "0987654321"
FEE_MESSAGE = "Học phí lớp 6 năm nay thu cao quá"
LEGACY_MESSAGE = f"Tin sai, gọi cho tôi số {PHONE} để biết thêm"  # as a row written before redaction
CHARTS = ("chart-messages", "chart-unanswered", "chart-channels", "chart-ratings", "chart-tickets")
CHART_TIMEOUT_MS = 15_000
# A Vietnamese phone number however it is spaced, not a piece of a hash or a timestamp.
PHONE_LIKE = re.compile(r"(?<![\w:-])0\d{2,3}[ .]?\d{3}[ .]?\d{3,4}(?![\w:])")


def at(day: dt.date, hour: int) -> dt.datetime:
    """Naive UTC of a local (UTC+7) hour."""
    return dt.datetime.combine(day, dt.time(hour)) - dt.timedelta(hours=7)


def _seed_turns(bot: Bot) -> None:
    with bot.db() as session:
        for day, hour, channel in [(DAY1, 8, "web"), (DAY1, 9, "web"), (DAY1, 10, "web"), (DAY1, 11, "zalo"),
                                   (DAY2, 8, "messenger"), (DAY2, 9, "messenger"), (DAY3, 15, "web")]:
            turn = log_turn(session, channel=channel, user_hash="browser-stats", text="xin chào", school=SCHOOL)
            turn.created_at = at(day, hour)


def _seed_questions(bot: Bot) -> None:
    with bot.db() as session:
        for day, text, answered, rating in [
            (DAY1, "Học phí năm nay bao nhiêu?", True, "good"),
            (DAY2, "hoc phi nam nay bao nhieu", True, "bad"),
            (DAY2, "Lịch thi học kỳ 1 khi nào?", True, None),
            (DAY3, "Xe buýt trường chạy mấy giờ?", False, None),
        ]:
            row = record_question(session, channel="web", user_hash="browser-stats", text=text, answered=answered,
                                  confidence=0.8 if answered else 0.1, school=SCHOOL)
            row.created_at = at(day, 9)
            if rating:
                rate_question(session, question_id=row.id, rating=rating)


def _seed_tickets(bot: Bot) -> list[str]:
    with bot.db() as session:
        fee = create_ticket(session, kind="feedback", channel="zalo", user_hash="browser-stats", recipient="z-1",
                            message=FEE_MESSAGE, school=SCHOOL, category=categorise(FEE_MESSAGE))
        legacy = create_ticket(session, kind="misinformation", channel="web", user_hash="browser-stats",
                               recipient="w-1", message="tạm", contact=f"chị Hoa {CONTACT_PHONE}", school=SCHOOL)
        legacy.message = LEGACY_MESSAGE
        human = create_ticket(session, kind="human", channel="messenger", user_hash="browser-stats",
                              recipient="m-1", message="Cho tôi gặp cô hiệu trưởng", school=SCHOOL)
        for row, day in ((fee, DAY1), (legacy, DAY2), (human, DAY3)):
            row.created_at = at(day, 14)
        return [fee.reference, legacy.reference, human.reference]


@pytest.fixture
def seeded(bot: Bot) -> Iterator[list[str]]:
    """Seven messages, four questions (3 answered, 1 good and 1 bad rating) and three tickets."""
    _seed_turns(bot)
    _seed_questions(bot)
    references = _seed_tickets(bot)
    yield references
    with bot.db() as session:
        for model in (Turn, Question, Ticket):
            session.execute(delete(model).where(model.school == SCHOOL))


def _table(page: Page, table_id: str) -> list[list[str]]:
    rows = page.locator(f"#{table_id} tbody tr")
    return [[cell.strip() for cell in rows.nth(i).locator("th, td").all_inner_texts()] for i in range(rows.count())]


def test_dashboard_draws_the_charts_and_exports_without_phone_numbers(
    bot: Bot, staff_page: Page, seeded: list[str],
) -> None:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console: {message.text} ({message.location.get('url', '')})")

    def on_page_error(error: Error) -> None:
        problems.append(f"page error: {error.message}")

    staff_page.on("console", on_console)
    staff_page.on("pageerror", on_page_error)
    staff_page.click("nav a[href='/admin/stats']")
    staff_page.wait_for_url("**/admin/stats")
    staff_page.fill("input[name=start]", DAY1.isoformat())
    staff_page.fill("input[name=end]", DAY3.isoformat())
    staff_page.select_option("select[name=school]", label=SCHOOL)
    with staff_page.expect_navigation():
        staff_page.click("form.stats-filters button[type=submit]")
    assert "school=" in staff_page.url and "start=2026-10-05" in staff_page.url, staff_page.url

    for chart in CHARTS:
        staff_page.locator(f"#{chart} canvas").wait_for(state="attached", timeout=CHART_TIMEOUT_MS)
        assert staff_page.locator(f"#{chart} canvas").count() == 1, chart
    assert "Chưa có dữ liệu" not in staff_page.locator("#chart-messages").inner_text()

    assert staff_page.locator("#total-messages").inner_text() == "7"
    assert staff_page.locator("#total-questions").inner_text() == "4"
    assert staff_page.locator("#answer-rate").inner_text() == "75,0%"
    assert staff_page.locator("#ratings").inner_text() == "1 / 1"
    assert _table(staff_page, "table-channels") == [["web", "4"], ["messenger", "2"], ["zalo", "1"]]
    assert _table(staff_page, "table-ratings") == [["Hữu ích", "1"], ["Chưa hữu ích", "1"]]
    assert sorted(_table(staff_page, "table-feedback")) == sorted([
        ["Góp ý – phản ánh", "Học phí – khoản thu", "1"],
        ["Báo tin sai", "Chưa phân loại", "1"],
        ["Gặp cán bộ", "Chưa phân loại", "1"],
    ])
    staff_page.click("#messages summary")
    days = {row[0]: row[1:] for row in _table(staff_page, "table-days")}
    assert days == {"05/10/2026": ["4", "0"], "06/10/2026": ["2", "0"], "07/10/2026": ["1", "1"]}
    assert ["Học phí năm nay bao nhiêu?", "2", "0"] in _table(staff_page, "table-top-questions")

    with bot.db() as session:  # the store still holds the raw number: the export must redact it
        stored = session.scalars(select(Ticket.message).where(Ticket.reference == seeded[1])).one()
        assert PHONE in stored
    link = staff_page.locator("a[href^='/admin/exports/feedback.csv']")
    with staff_page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv"), download.suggested_filename
    text = download.path().read_bytes().decode("utf-8-sig")
    for raw in (PHONE, PHONE.replace(" ", ""), CONTACT_PHONE):
        assert raw not in text, text
    assert not PHONE_LIKE.search(text), text
    assert f"Tin sai, gọi cho tôi số {PHONE_MASK} để biết thêm" in text
    assert all(reference in text for reference in seeded), text
    assert "Học phí – khoản thu" in text and len(text.strip().splitlines()) == 1 + 3
    assert problems == [], problems
