"""The review queue of questions the bot could not answer well, and what staff do with it.

A question is in the queue while its `review_status` is "open" and the bot either did not
answer it, answered with the caveat that the answer may not match (`Question.tentative`) or
with low confidence, or the parent rated the answer unhelpful ("bad").
"Low" means the tentative band (`RETRIEVAL_TENTATIVE_BELOW`): answers that only just cleared
the abstention threshold, which the bot already gave with a caveat that they may not match the
question and that staff will look at it; one setting moves both.  Questions are grouped by meaning
(`admin.clustering`) so staff handle a topic once:

- answer it: the answer becomes an FAQ entry whose variants are the group's questions
  (`answer_group`), the route publishes it (`admin.indexing.refresh_index`) and may send it to
  each asker (`admin.answer_delivery`);
- attach it to an existing document or FAQ entry (`attach_group`; an FAQ gains the variants);
- dismiss it with a reason (`dismiss_group`).

Every action is written to the audit log.  Groups are identified by their question ids, so
a form keeps working while new questions arrive; ids no longer open are ignored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from admin import audit
from admin.answer_delivery import DeliveryTarget
from admin.clustering import QuestionVectors, group_texts, representative
from admin.errors import AdminError
from retrieval import kb_store
from retrieval.answer import TENTATIVE_TEXT
from retrieval.diacritics import DiacriticRestorer
from retrieval.errors import DocumentNotFound
from retrieval.normalize import fold
from retrieval.settings import RetrievalSettings
from storage.models import Question, utcnow

logger = logging.getLogger(__name__)

SLUG_WORDS = 8
SLUG_CHARS = 48


class ReviewError(AdminError):
    """A review action that cannot be done (nothing left open, empty answer, unknown document);
    the page shows the message and changes nothing."""


# Why a question is in the queue, as the filter offers it (the first that applies, like
# `QueuedQuestion.reason`): not answered; answered but rated unhelpful; answered unsure.
REASONS = {
    "unanswered": "Bot không trả lời được",
    "rated_bad": "Phụ huynh đánh giá chưa hữu ích",
    "unsure": "Bot trả lời chưa chắc (kèm lưu ý, độ tin cậy thấp)",
}


@dataclass(frozen=True)
class QueueFilters:
    """What the staff member narrowed the queue to ("" / None: everything)."""

    school: str = ""
    channel: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    reason: str = ""  # a key of REASONS


@dataclass(frozen=True)
class QueuedQuestion:
    """One question of the queue, detached from the database session."""

    id: int
    text: str
    channel: str
    created_at: dt.datetime
    answered: bool
    confidence: float
    answer: str
    rating: str | None
    school: str | None
    tentative: bool = False

    @property
    def quoted(self) -> str:
        """The answer as staff need to see it: what the bot quoted, without the caveat a
        tentative answer opens with for parents (the reason says it was tentative)."""
        return self.answer.removeprefix(TENTATIVE_TEXT).strip()

    def reason(self, low_confidence: float) -> str:
        """Why it is in the queue, in Vietnamese."""
        if not self.answered:
            return REASONS["unanswered"]
        if self.rating == "bad":
            return "Phụ huynh đánh giá câu trả lời chưa hữu ích"
        if self.tentative:
            return f"Bot trả lời kèm lưu ý chưa chắc (độ tin cậy {self.confidence:.2f})"
        if self.confidence < low_confidence:
            return f"Độ tin cậy thấp ({self.confidence:.2f})"
        return "Cần xem lại"


@dataclass
class QuestionGroup:
    """Questions of one meaning, newest first, with the one that represents them best."""

    questions: list[QueuedQuestion]
    representative: str
    ids: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.questions.sort(key=lambda q: (q.created_at, q.id), reverse=True)
        self.ids = sorted(q.id for q in self.questions)

    @property
    def key(self) -> str:
        return ",".join(str(i) for i in self.ids)

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def first_seen(self) -> dt.datetime:
        return min(q.created_at for q in self.questions)

    @property
    def last_seen(self) -> dt.datetime:
        return max(q.created_at for q in self.questions)

    @property
    def channels(self) -> list[str]:
        return sorted({q.channel for q in self.questions})

    @property
    def variants(self) -> list[str]:
        """Distinct question texts, the representative first, then oldest first."""
        texts = [self.representative] + [q.text for q in reversed(self.questions)]
        return list(dict.fromkeys(t.strip() for t in texts if t.strip()))


def low_confidence_bar(settings: RetrievalSettings) -> float:
    """Answers below this confidence are in the queue: those the bot gave as tentative."""
    return max(settings.tentative_below, settings.confidence_threshold)


def _in_queue(low_confidence: float) -> ColumnElement[bool]:
    return (Question.review_status == "open") & or_(
        Question.answered.is_(False), Question.tentative.is_(True),
        Question.confidence < low_confidence, Question.rating == "bad"
    )


def load_queue(
    session: Session, filters: QueueFilters, *, low_confidence: float, limit: int | None = None
) -> list[QueuedQuestion]:
    """Questions in the queue that match `filters` (the `limit` most recent), oldest first."""
    query = select(Question).where(_in_queue(low_confidence))
    query = query.order_by(Question.created_at.desc(), Question.id.desc()).limit(limit)
    if filters.school:
        query = query.where(Question.school == filters.school)
    if filters.channel:
        query = query.where(Question.channel == filters.channel)
    if filters.date_from:
        query = query.where(Question.created_at >= dt.datetime.combine(filters.date_from, dt.time()))
    if filters.date_to:
        end = dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time())
        query = query.where(Question.created_at < end)
    if filters.reason in REASONS:
        query = query.where(_for_reason(filters.reason))
    return [_detached(q) for q in session.scalars(query)][::-1]


def _for_reason(reason: str) -> ColumnElement[bool]:
    """Queued questions whose first reason is `reason` (within `_in_queue`)."""
    answered = Question.answered.is_(True)
    not_rated_bad = or_(Question.rating.is_(None), Question.rating != "bad")
    return {
        "unanswered": Question.answered.is_(False),
        "rated_bad": answered & (Question.rating == "bad"),
        "unsure": answered & not_rated_bad,
    }[reason]


def _detached(question: Question) -> QueuedQuestion:
    return QueuedQuestion(
        id=question.id, text=question.text, channel=question.channel, created_at=question.created_at,
        answered=question.answered, confidence=question.confidence, answer=question.answer,
        rating=question.rating, school=question.school, tentative=question.tentative,
    )


def queue_count(session: Session, *, low_confidence: float) -> int:
    """How many questions wait in the queue (for a home-page tile)."""
    return int(session.scalar(select(func.count()).select_from(Question).where(_in_queue(low_confidence))) or 0)


def queue_schools(session: Session, *, low_confidence: float) -> list[str]:
    """Schools named on queued questions (for the filter)."""
    query = select(Question.school).where(_in_queue(low_confidence), Question.school.is_not(None)).distinct()
    return sorted(s for s in session.scalars(query) if s)


def build_groups(
    questions: Sequence[QueuedQuestion], *, vectors: QuestionVectors, threshold: float,
    restorer: DiacriticRestorer | None = None,
) -> list[QuestionGroup]:
    """Group `questions` by meaning; biggest groups first, then the most recent."""
    if not questions:
        return []
    rows_of_groups, matrix = group_texts([q.text for q in questions], vectors=vectors, threshold=threshold,
                                         restorer=restorer)
    groups = [_group(questions, matrix, rows) for rows in rows_of_groups]
    return sorted(groups, key=lambda g: (g.count, g.last_seen), reverse=True)


def single_group(
    questions: Sequence[QueuedQuestion], *, vectors: QuestionVectors, restorer: DiacriticRestorer | None = None
) -> QuestionGroup:
    """`questions` as one group (the group a staff member opened), representative chosen."""
    matrix = vectors.encode([q.text for q in questions], restorer)
    return _group(questions, matrix, list(range(len(questions))))


def _group(questions: Sequence[QueuedQuestion], matrix: np.ndarray, rows: list[int]) -> QuestionGroup:
    members = [questions[row] for row in rows]
    return QuestionGroup(members, questions[representative(matrix, rows)].text)


def open_questions(session: Session, question_ids: Sequence[int]) -> list[Question]:
    """The questions among `question_ids` that are still waiting for review."""
    if not question_ids:
        return []
    query = select(Question).where(Question.id.in_(list(question_ids)), Question.review_status == "open")
    return list(session.scalars(query.order_by(Question.id)))


def queued_questions(session: Session, question_ids: Sequence[int]) -> list[QueuedQuestion]:
    """The still-open questions among `question_ids` (a group a staff member opened), oldest first."""
    return sorted((_detached(q) for q in open_questions(session, question_ids)), key=lambda q: (q.created_at, q.id))


def faq_id_for(variants: Sequence[str], question_ids: Sequence[int]) -> str:
    """"faq-<slug of the first variant>-<short hash of the question ids>"."""
    words = [w for w in "".join(c if c.isalnum() else " " for c in fold(variants[0])).split() if w]
    slug = "-".join(words[:SLUG_WORDS])[:SLUG_CHARS].strip("-") or "cau-hoi"
    digest = hashlib.sha1(",".join(str(i) for i in sorted(question_ids)).encode()).hexdigest()[:6]
    return f"faq-{slug}-{digest}"


def source_line(title: str, number: str, url: str, today: dt.date) -> str:
    """The "Nguồn: …" line of a staff answer (the staff answer itself when no source is given)."""
    parts = [title.strip()] + ([f"số {number.strip()}"] if number.strip() else [])
    text = ", ".join(p for p in parts if p) or f"Giải đáp của cán bộ nhà trường/xã, ngày {today:%d/%m/%Y}"
    return f"Nguồn: {text}" + (f"\n{url.strip()}" if url.strip() else "")


@dataclass
class Resolution:
    """What an action changed: the document that now answers the questions, and which ones."""

    doc_id: str
    question_ids: list[int]
    faq_text: str = ""  # the answer as the bot now gives it (answer_group only)
    title: str = ""  # of the FAQ entry or document
    targets: list[DeliveryTarget] = field(default_factory=list)


def _mark(questions: Sequence[Question], *, status: str, actor: str, doc_id: str | None, note: str = "") -> None:
    now = utcnow()
    for question in questions:
        question.review_status = status
        question.reviewed_by = actor
        question.reviewed_at = now
        question.resolution_doc_id = doc_id
        question.review_note = note


def _require_open(session: Session, question_ids: Sequence[int]) -> list[Question]:
    questions = open_questions(session, question_ids)
    if not questions:
        raise ReviewError("Nhóm câu hỏi này đã được xử lý (hoặc không còn tồn tại).")
    return questions


def _clean_variants(variants: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in variants if v and v.strip()))


def answer_group(
    session: Session, *, question_ids: Sequence[int], answer: str, variants: Sequence[str], actor: str,
    source_title: str = "", source_number: str = "", source_url: str = "", today: dt.date | None = None,
) -> Resolution:
    """Store the staff answer as an FAQ entry and mark the group "answered" (not yet indexed)."""
    questions = _require_open(session, question_ids)
    cleaned = _clean_variants(variants)
    if not answer.strip():
        raise ReviewError("Bạn cần nhập câu trả lời.")
    if not cleaned:
        raise ReviewError("Cần ít nhất một câu hỏi mẫu cho mục hỏi đáp.")
    faq_id = faq_id_for(cleaned, [q.id for q in questions])
    text = f"{answer.strip()}\n\n{source_line(source_title, source_number, source_url, today or dt.date.today())}"
    kb_store.upsert_faq(
        session=session, faq_id=faq_id, questions=cleaned, answer=text, title=cleaned[0],
        number=source_number.strip() or None, source_url=source_url.strip() or None,
    )
    _mark(questions, status="answered", actor=actor, doc_id=faq_id)
    ids = [q.id for q in questions]
    audit.record(session, actor=actor, action="unanswered.answer", target=faq_id,
                 detail={"questions": ids, "variants": len(cleaned)})
    logger.info("group of %d question(s) answered as %s by %s", len(ids), faq_id, actor)
    targets = [DeliveryTarget(q.id, q.channel, q.recipient or "", q.text) for q in questions]
    return Resolution(faq_id, ids, faq_text=text, title=cleaned[0], targets=targets)


def attach_group(session: Session, *, question_ids: Sequence[int], doc_id: str, actor: str) -> Resolution:
    """Mark the group "attached" to an active document; an FAQ entry gains its variants."""
    questions = _require_open(session, question_ids)
    try:
        document = kb_store.get_document(session=session, doc_id=doc_id)
    except DocumentNotFound as error:
        raise ReviewError(str(error)) from error
    if document.status != "active":
        raise ReviewError("Tài liệu này đã ngừng dùng; hãy chọn một tài liệu còn hiệu lực.")
    added = 0
    if document.meta.kind == "faq":
        merged = _clean_variants([*document.questions, *(q.text for q in questions)])
        added = len(merged) - len(_clean_variants(document.questions))
        meta = document.meta
        kb_store.upsert_faq(
            session=session, faq_id=doc_id, questions=merged,
            answer="\n\n".join(chunk.text for chunk in document.chunks), title=meta.title,
            number=meta.number, issuer=meta.issuer, issued=meta.issued, source_url=meta.source_url,
            valid_from=meta.valid_from, valid_until=meta.valid_until, school=meta.school, grade=meta.grade,
        )
    _mark(questions, status="attached", actor=actor, doc_id=doc_id)
    ids = [q.id for q in questions]
    audit.record(session, actor=actor, action="unanswered.attach", target=doc_id,
                 detail={"questions": ids, "variants_added": added})
    return Resolution(doc_id, ids, title=document.meta.title)


def dismiss_group(session: Session, *, question_ids: Sequence[int], reason: str, actor: str) -> list[int]:
    """Mark the group "dismissed" with the staff member's reason."""
    if not reason.strip():
        raise ReviewError("Bạn cần ghi lý do bỏ qua nhóm câu hỏi này.")
    questions = _require_open(session, question_ids)
    _mark(questions, status="dismissed", actor=actor, doc_id=None, note=reason.strip())
    ids = [q.id for q in questions]
    audit.record(session, actor=actor, action="unanswered.dismiss", target=f"{len(ids)} câu hỏi",
                 detail={"questions": ids, "reason": reason.strip()})
    return ids

