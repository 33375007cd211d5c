"""Trend alerts of one day, read from the store: the daily series that `admin.trends` judges.

A topic is the document an answer cited first (so "học phí bao nhiêu" and "tiền học kỳ này"
meet under the fee regulation they were both answered from); a question answered from no
document is its own topic, keyed by its folded text (`admin.stats.question_key`). The warning
signs are unhelpful ratings (counted on the day they were given), misinformation reports and
feedback tickets. The baseline never reaches before the first day the bot recorded anything,
so a fresh installation does not alert on its first busy day (see `admin.trends`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin.stats import StatsFilter, document_titles, local_day, per_day, question_key
from admin.trends import Alert, TrendRule, detect, detect_signs
from storage.models import Question, Ticket, Turn

DOC_PREFIX = "doc:"
TEXT_PREFIX = "q:"


def first_activity_day(session: Session) -> dt.date | None:
    """The local day of the first recorded message or question, None on an empty store."""
    stamps = [session.scalar(select(func.min(model.created_at))) for model in (Turn, Question)]
    known = [stamp for stamp in stamps if stamp is not None]
    return local_day(min(known)) if known else None


def series_filter(session: Session, day: dt.date, rule: TrendRule, school: str | None) -> StatsFilter | None:
    """The days judged: up to `rule.window` days before `day`, not before the first activity."""
    first = first_activity_day(session)
    if first is None or first > day:
        return None
    start = max(day - dt.timedelta(days=rule.window), first)
    return StatsFilter(start=start, end=day, school=school)


def topic_series(session: Session, flt: StatsFilter) -> tuple[dict[str, list[int]], dict[str, str]]:
    """Daily question counts per topic over `flt`, and each topic's label."""
    stamps: dict[str, list[dt.datetime]] = defaultdict(list)
    wordings: dict[str, Counter[str]] = defaultdict(Counter)
    low, high = flt.utc_bounds()
    conditions = [Question.created_at >= low, Question.created_at < high]
    if flt.school:
        conditions.append(Question.school == flt.school)
    rows = session.execute(select(Question.created_at, Question.text, Question.doc_ids).where(*conditions))
    for created_at, text, doc_ids in rows:
        text_key = question_key(text)
        key = f"{DOC_PREFIX}{doc_ids[0]}" if doc_ids else f"{TEXT_PREFIX}{text_key}"
        if key == TEXT_PREFIX:
            continue
        stamps[key].append(created_at)
        wordings[key][text.strip()] += 1
    series = {key: list(per_day(times, flt).values()) for key, times in stamps.items()}
    titles = document_titles(session, (key.removeprefix(DOC_PREFIX) for key in stamps if key.startswith(DOC_PREFIX)))
    labels = {
        key: titles[key.removeprefix(DOC_PREFIX)] if key.startswith(DOC_PREFIX)
        else f"“{wordings[key].most_common(1)[0][0]}”"
        for key in stamps
    }
    return series, labels


def sign_series(session: Session, flt: StatsFilter) -> dict[str, list[int]]:
    """Daily counts of unhelpful ratings, misinformation reports and feedback tickets."""
    low, high = flt.utc_bounds()
    rated = [Question.rating == "bad", Question.rated_at >= low, Question.rated_at < high]
    if flt.school:
        rated.append(Question.school == flt.school)
    series = {"unhelpful": list(per_day(session.scalars(select(Question.rated_at).where(*rated)), flt).values())}
    for kind in ("misinformation", "feedback"):
        conditions = [Ticket.kind == kind, Ticket.created_at >= low, Ticket.created_at < high]
        if flt.school:
            conditions.append(Ticket.school == flt.school)
        series[kind] = list(per_day(session.scalars(select(Ticket.created_at).where(*conditions)), flt).values())
    return series


def trend_alerts(session: Session, *, day: dt.date, rule: TrendRule, school: str | None = None) -> list[Alert]:
    """Warning signs first, then topics, each biggest jump first."""
    flt = series_filter(session, day, rule, school)
    if flt is None:
        return []
    topics, labels = topic_series(session, flt)
    return detect_signs(sign_series(session, flt), rule) + detect(topics, rule, labels=labels)
