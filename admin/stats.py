"""The numbers behind the statistics dashboard, the daily summary and the statistics export.

Read-only queries over the turn log (`Turn`: every message), the knowledge questions
(`Question`: answered or not, rated or not, documents cited) and the tickets (`Ticket`).
Days are Vietnamese calendar days (UTC+7, no daylight saving) although rows are stored in
UTC, so a question asked at 6 a.m. counts on the day the parent asked it. Per-day counts are
bucketed in Python from the timestamps of the range, which stays portable across SQL
dialects and is cheap at a commune's volume (thousands of rows a month).

Feedback categories are stored as stable keys guessed by `actions.ticket_categories` (or typed by
staff); `CategoryCount.label` is the Vietnamese name shown.

Top questions are grouped by `question_key` (the text folded by `retrieval.normalize.fold`,
punctuation dropped), shown in their most common original form; top documents count each
question once per document it cited, titled from `storage.kb_models.Document` (or the title
recorded in the turn log when the document was since removed).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from actions.ticket_categories import category_label
from retrieval.normalize import fold
from storage.kb_models import Document
from storage.models import Question, Ticket, Turn, utcnow

LOCAL_OFFSET = dt.timedelta(hours=7)  # Asia/Ho_Chi_Minh, no daylight saving
DEFAULT_DAYS = 30
MAX_DAYS = 366
TOP_LIMIT = 10
_WORD_RE = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class StatsFilter:
    """A range of local days, both ends included, optionally one school."""

    start: dt.date
    end: dt.date
    school: str | None = None

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def utc_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """Naive UTC [from, to) covering the local days of the range (as rows are stored)."""
        low = dt.datetime.combine(self.start, dt.time()) - LOCAL_OFFSET
        high = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time()) - LOCAL_OFFSET
        return low, high


@dataclass(frozen=True)
class AnswerRate:
    """Answered knowledge questions out of all knowledge questions; `tentative` of the answered
    ones were given with the caveat that they may not match the question."""

    answered: int
    total: int
    tentative: int = 0

    @property
    def rate(self) -> float | None:
        return self.answered / self.total if self.total else None

    @property
    def percent(self) -> str:
        """"87,5%" or "–" when there was no question."""
        rate = self.rate
        return "–" if rate is None else f"{rate * 100:.1f}%".replace(".", ",")


@dataclass(frozen=True)
class TopQuestion:
    label: str
    count: int
    unanswered: int


@dataclass(frozen=True)
class TopDocument:
    doc_id: str
    title: str
    count: int


@dataclass(frozen=True)
class CategoryCount:
    kind: str
    category: str
    count: int

    @property
    def label(self) -> str:
        """The Vietnamese name of the stored key (`actions.ticket_categories`), "Chưa phân loại" if none."""
        return category_label(self.category)


@dataclass
class Dashboard:
    """Everything the dashboard shows for one filter (the trend alerts come from `admin.alerts`)."""

    filter: StatsFilter
    messages_per_day: dict[dt.date, int]
    messages_per_channel: dict[str, int]
    answer_rate: AnswerRate
    ratings: dict[str, int]
    top_questions: list[TopQuestion]
    top_documents: list[TopDocument]
    unanswered_per_day: dict[dt.date, int]
    tickets_by_kind: dict[str, int]
    feedback_by_category: list[CategoryCount]

    @property
    def total_messages(self) -> int:
        return sum(self.messages_per_day.values())


def local_now() -> dt.datetime:
    return utcnow() + LOCAL_OFFSET


def local_today() -> dt.date:
    return local_now().date()


def local_day(stamp: dt.datetime) -> dt.date:
    """The Vietnamese calendar day of a naive UTC timestamp."""
    return (stamp + LOCAL_OFFSET).date()


def default_filter(today: dt.date | None = None, school: str | None = None) -> StatsFilter:
    """The last `DEFAULT_DAYS` days up to today."""
    end = today or local_today()
    return StatsFilter(start=end - dt.timedelta(days=DEFAULT_DAYS - 1), end=end, school=school or None)


def question_key(text: str) -> str:
    """Grouping key of a question: folded words, no punctuation ("Học phí?" -> "hoc phi")."""
    return " ".join(_WORD_RE.findall(fold(text)))


def _where(model: type[Turn] | type[Question] | type[Ticket], flt: StatsFilter) -> list[ColumnElement[bool]]:
    low, high = flt.utc_bounds()
    conditions = [model.created_at >= low, model.created_at < high]
    if flt.school:
        conditions.append(model.school == flt.school)
    return conditions


def per_day(stamps: Iterable[dt.datetime], flt: StatsFilter) -> dict[dt.date, int]:
    """Counts per local day of the range, every day present (zero when empty)."""
    counts = Counter(local_day(stamp) for stamp in stamps)
    return {day: counts.get(day, 0) for day in flt.days}


def messages_per_day(session: Session, flt: StatsFilter) -> dict[dt.date, int]:
    return per_day(session.scalars(select(Turn.created_at).where(*_where(Turn, flt))), flt)


def messages_per_channel(session: Session, flt: StatsFilter) -> dict[str, int]:
    rows = session.execute(
        select(Turn.channel, func.count()).where(*_where(Turn, flt)).group_by(Turn.channel)
    ).all()
    return dict(sorted(((channel, count) for channel, count in rows), key=lambda item: (-item[1], item[0])))


def questions_per_day(session: Session, flt: StatsFilter, *, answered: bool | None = None) -> dict[dt.date, int]:
    conditions = _where(Question, flt)
    if answered is not None:
        conditions.append(Question.answered.is_(answered))
    return per_day(session.scalars(select(Question.created_at).where(*conditions)), flt)


def unanswered_per_day(session: Session, flt: StatsFilter) -> dict[dt.date, int]:
    return questions_per_day(session, flt, answered=False)


def answer_rate(session: Session, flt: StatsFilter) -> AnswerRate:
    def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    total, answered, tentative = session.execute(
        select(func.count(), count(Question.answered.is_(True)),
               count(Question.answered.is_(True) & Question.tentative.is_(True)))
        .where(*_where(Question, flt))
    ).one()
    return AnswerRate(answered=int(answered), total=int(total), tentative=int(tentative))


def ratings(session: Session, flt: StatsFilter) -> dict[str, int]:
    """Helpful ("good") and unhelpful ("bad") ratings of the questions asked in the range."""
    rows = session.execute(
        select(Question.rating, func.count())
        .where(*_where(Question, flt), Question.rating.is_not(None))
        .group_by(Question.rating)
    ).all()
    found = dict(rows)
    return {"good": int(found.get("good", 0)), "bad": int(found.get("bad", 0))}


def top_questions(session: Session, flt: StatsFilter, limit: int = TOP_LIMIT) -> list[TopQuestion]:
    """The most asked questions, grouped by `question_key`, in their most common wording."""
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    unanswered: Counter[str] = Counter()
    rows = session.execute(
        select(Question.text, Question.answered).where(*_where(Question, flt)).order_by(Question.created_at)
    )
    for text, was_answered in rows:
        key = question_key(text)
        if not key:
            continue
        forms[key][text.strip()] += 1
        if not was_answered:
            unanswered[key] += 1
    groups = [
        TopQuestion(label=wordings.most_common(1)[0][0], count=sum(wordings.values()), unanswered=unanswered[key])
        for key, wordings in forms.items()
    ]
    return sorted(groups, key=lambda group: (-group.count, group.label))[:limit]


def document_titles(session: Session, doc_ids: Iterable[str], flt: StatsFilter | None = None) -> dict[str, str]:
    """Titles of `doc_ids`: from the documents table, else as recorded in the turn log."""
    wanted = set(doc_ids)
    titles = dict(session.execute(select(Document.id, Document.title).where(Document.id.in_(wanted))).all())
    missing = wanted - set(titles)
    if missing and flt is not None:
        for sources in session.scalars(select(Turn.sources).where(*_where(Turn, flt))):
            for source in sources or []:
                if isinstance(source, dict) and source.get("doc_id") in missing and source.get("title"):
                    titles.setdefault(source["doc_id"], str(source["title"]))
    return {doc_id: titles.get(doc_id, doc_id) for doc_id in wanted}


def top_documents(session: Session, flt: StatsFilter, limit: int = TOP_LIMIT) -> list[TopDocument]:
    """Documents cited most often in answers (each question counts once per document)."""
    counts: Counter[str] = Counter()
    for doc_ids in session.scalars(select(Question.doc_ids).where(*_where(Question, flt))):
        counts.update({str(doc_id) for doc_id in doc_ids or []})
    best = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    titles = document_titles(session, (doc_id for doc_id, _ in best), flt)
    return [TopDocument(doc_id=doc_id, title=titles[doc_id], count=count) for doc_id, count in best]


def tickets_by_kind(session: Session, flt: StatsFilter) -> dict[str, int]:
    rows = session.execute(select(Ticket.kind, func.count()).where(*_where(Ticket, flt)).group_by(Ticket.kind)).all()
    found = dict(rows)
    return {kind: int(found.get(kind, 0)) for kind in ("feedback", "misinformation", "human")}


def tickets_per_day(session: Session, flt: StatsFilter, kind: str) -> dict[dt.date, int]:
    stamps = session.scalars(select(Ticket.created_at).where(*_where(Ticket, flt), Ticket.kind == kind))
    return per_day(stamps, flt)


def feedback_by_category(session: Session, flt: StatsFilter) -> list[CategoryCount]:
    rows = session.execute(
        select(Ticket.kind, Ticket.category, func.count())
        .where(*_where(Ticket, flt))
        .group_by(Ticket.kind, Ticket.category)
    ).all()
    counts = [CategoryCount(kind=kind, category=category or "", count=int(count)) for kind, category, count in rows]
    return sorted(counts, key=lambda item: (-item.count, item.kind, item.category))


def schools(session: Session) -> list[str]:
    """Every school named in questions, turns or tickets (the filter's choices)."""
    found: set[str] = set()
    for model in (Question, Turn, Ticket):
        found.update(name for name in session.scalars(select(model.school).distinct()) if name)
    return sorted(found)


def build_dashboard(session: Session, flt: StatsFilter) -> Dashboard:
    return Dashboard(
        filter=flt,
        messages_per_day=messages_per_day(session, flt),
        messages_per_channel=messages_per_channel(session, flt),
        answer_rate=answer_rate(session, flt),
        ratings=ratings(session, flt),
        top_questions=top_questions(session, flt),
        top_documents=top_documents(session, flt),
        unanswered_per_day=unanswered_per_day(session, flt),
        tickets_by_kind=tickets_by_kind(session, flt),
        feedback_by_category=feedback_by_category(session, flt),
    )
