"""Aggregations of the statistics dashboard (admin.stats) and the trend alerts read from the
store (admin.alerts), over a temporary database seeded through the repositories."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from stats_seed import DAY1, DAY2, DAY3, SCHOOL, at, question, seed_range, ticket, turn

from admin import stats
from admin.alerts import trend_alerts
from admin.stats import StatsFilter
from admin.trends import TrendRule
from storage.db import session_scope

RANGE = StatsFilter(start=DAY1, end=DAY3)
RULE = TrendRule(min_count=5, factor=3.0)


@pytest.fixture()
def session(data_dir: Path) -> Iterator[Session]:
    with session_scope() as session:
        yield session


@pytest.fixture()
def seeded(session: Session) -> Session:
    seed_range(session)
    return session


def test_filter_covers_local_days_in_utc() -> None:
    low, high = StatsFilter(start=DAY1, end=DAY1).utc_bounds()
    assert low == dt.datetime(2026, 11, 17, 17, 0)
    assert high == dt.datetime(2026, 11, 18, 17, 0)
    assert RANGE.days == [DAY1, DAY2, DAY3]


def test_default_filter_is_the_last_30_days() -> None:
    flt = stats.default_filter(DAY3)
    assert (flt.start, flt.end, len(flt.days)) == (DAY3 - dt.timedelta(days=29), DAY3, 30)


def test_messages_per_day_and_channel(seeded: Session) -> None:
    # The 6:30 message of DAY2 is 23:30 UTC of DAY1: it counts on DAY2; the one after DAY3 not at all.
    assert stats.messages_per_day(seeded, RANGE) == {DAY1: 3, DAY2: 1, DAY3: 1}
    assert stats.messages_per_channel(seeded, RANGE) == {"web": 3, "messenger": 1, "zalo": 1}


def test_answer_rate_and_ratings(seeded: Session) -> None:
    rate = stats.answer_rate(seeded, RANGE)
    assert (rate.answered, rate.total, rate.percent, rate.tentative) == (4, 6, "66,7%", 1)
    assert stats.ratings(seeded, RANGE) == {"good": 1, "bad": 1}
    assert stats.answer_rate(seeded, StatsFilter(start=DAY3 + dt.timedelta(days=5), end=DAY3 + dt.timedelta(days=5))
                             ).percent == "–"


def test_unanswered_per_day(seeded: Session) -> None:
    assert stats.unanswered_per_day(seeded, RANGE) == {DAY1: 0, DAY2: 1, DAY3: 1}


def test_top_questions_group_by_folded_text_and_show_the_common_form(seeded: Session) -> None:
    top = stats.top_questions(seeded, RANGE)
    assert top[0] == stats.TopQuestion(label="Học phí năm nay bao nhiêu?", count=3, unanswered=0)
    assert {group.label for group in top[1:]} == {
        "Thông báo cũ nói gì?", "Lịch nghỉ Tết?", "Gọi cho tôi số [số điện thoại], CCCD [số giấy tờ] nhé"}
    assert stats.question_key("Học phí  năm nay?") == "hoc phi nam nay"


def test_top_documents_with_titles_from_documents_or_the_turn_log(seeded: Session) -> None:
    assert stats.top_documents(seeded, RANGE) == [
        stats.TopDocument(doc_id="hoc-phi", title="Quy định học phí 2025–2026", count=3),
        stats.TopDocument(doc_id="da-xoa", title="Thông báo cũ", count=1),
    ]


def test_tickets_by_kind_and_category(seeded: Session) -> None:
    assert stats.tickets_by_kind(seeded, RANGE) == {"feedback": 1, "misinformation": 1, "human": 1}
    categories = {(item.kind, item.category): item.count for item in stats.feedback_by_category(seeded, RANGE)}
    assert categories == {("feedback", "co_so_vat_chat"): 1, ("misinformation", ""): 1, ("human", ""): 1}
    labels = {item.category: item.label for item in stats.feedback_by_category(seeded, RANGE)}
    assert labels == {"co_so_vat_chat": "Cơ sở vật chất", "": "Chưa phân loại"}
    assert stats.CategoryCount(kind="feedback", category="Xe đưa đón", count=1).label == "Xe đưa đón"  # typed by staff


def test_school_filter(seeded: Session) -> None:
    flt = StatsFilter(start=DAY1, end=DAY3, school=SCHOOL)
    board = stats.build_dashboard(seeded, flt)
    assert board.messages_per_day == {DAY1: 0, DAY2: 0, DAY3: 1}
    assert (board.answer_rate.answered, board.answer_rate.total) == (0, 1)
    assert board.tickets_by_kind == {"feedback": 0, "misinformation": 1, "human": 0}
    assert board.top_documents == []
    assert stats.schools(seeded) == [SCHOOL]


def test_empty_store_gives_zeros(session: Session) -> None:
    board = stats.build_dashboard(session, RANGE)
    assert board.total_messages == 0
    assert board.messages_per_channel == {}
    assert board.ratings == {"good": 0, "bad": 0}
    assert board.top_questions == [] and board.feedback_by_category == []
    assert trend_alerts(session, day=DAY3, rule=RULE) == []


def _history(session: Session, today: dt.date, days: int) -> None:
    """`days` days before `today` with one fee question and one other message a day."""
    for back in range(days, 0, -1):
        day = today - dt.timedelta(days=back)
        question(session, at(day, 9), "Học phí bao nhiêu?", answered=True, doc_ids=("hoc-phi",))
        turn(session, at(day, 9))


def test_trend_alert_for_a_topic_and_a_sign(session: Session) -> None:
    today = DAY3
    _history(session, today, 14)
    for n in range(12):
        question(session, at(today, 8, n), f"Tiền học kỳ này bao nhiêu {n % 2 * '?'}", answered=True,
                 doc_ids=("hoc-phi",), user_hash=f"u{n}")
    for n in range(5):
        ticket(session, at(today, 10, n), "misinformation")
    question(session, at(today, 11), "Xe đưa đón?", answered=False)  # one-off: no alert
    messages = [alert.message() for alert in trend_alerts(session, day=today, rule=RULE)]
    assert messages == [
        "Báo cáo thông tin sai tăng đột biến: 5 hôm nay, trung bình 0/ngày",
        "Câu hỏi về hoc-phi tăng đột biến: 12 hôm nay, trung bình 1/ngày",
    ]
    assert trend_alerts(session, day=today - dt.timedelta(days=1), rule=RULE) == []
    assert trend_alerts(session, day=today, rule=RULE, school=SCHOOL) == []


def test_trend_alert_uses_document_title_and_text_topics(session: Session) -> None:
    from storage.kb_models import Document

    session.add(Document(id="hoc-phi", title="Quy định học phí", kind="document"))
    _history(session, DAY3, 14)
    for n in range(6):
        question(session, at(DAY3, 8, n), "Lịch nghỉ Tết?", answered=False)
    for n in range(3):
        question(session, at(DAY3, 9, n), "Học phí?", answered=True, doc_ids=("hoc-phi",), rating="bad")
    for n in range(3):
        question(session, at(DAY3 - dt.timedelta(days=1), 9, n), "Học phí?", answered=True, doc_ids=("hoc-phi",))
    alerts = trend_alerts(session, day=DAY3, rule=TrendRule(min_count=3, factor=3.0))
    assert [alert.message() for alert in alerts] == [
        "Đánh giá “chưa hữu ích” tăng đột biến: 3 hôm nay, trung bình 0/ngày",
        "Câu hỏi về “Lịch nghỉ Tết?” tăng đột biến: 6 hôm nay, trung bình 0/ngày",
    ]  # the fee topic has 3 today, but 4 yesterday: not a spike


def test_short_history_raises_no_alert(session: Session) -> None:
    _history(session, DAY3, 2)
    for n in range(30):
        question(session, at(DAY3, 8, n), "Học phí bao nhiêu?", answered=True, doc_ids=("hoc-phi",))
    assert trend_alerts(session, day=DAY3, rule=RULE) == []
    assert len(trend_alerts(session, day=DAY3, rule=TrendRule(min_count=5, factor=3.0, min_history=2))) == 1
