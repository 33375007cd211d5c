"""Parents' questions whose right answer is known, from what parents and staff decided.

Every review outcome says whether the knowledge base answers a question, and with which
document:

- "ok": the parent rated the bot's answer helpful -> its first source answers it;
- "attached": staff pointed the question to an existing document or FAQ entry;
- "answered": staff wrote the answer; the new FAQ entry answers it from now on;
- "dismissed": staff set it aside; nothing in the knowledge base answers it (null).

Written as `bot eval` lines (`{"question", "expected_doc"}` plus `label` and `asked`), these
measure the bot on the commune's own traffic (`bot eval`) and are the training data for the
answer/abstain model (`scripts/fit_answerability.py --kb current`).  Questions still open, and
those whose document has since been removed or retired, are left out; a question asked several
times (same words, with or without diacritics) appears once, with its latest outcome.  The text
is the stored, redacted question, redacted again in case a rule was added since.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from retrieval import kb_store
from retrieval.normalize import folded_tokens
from storage.models import Question
from storage.privacy import redact

LABELS = {"ok": "rated_good", "attached": "attached", "answered": "staff_answer",
          "dismissed": "dismissed"}


@dataclass(frozen=True)
class LabelledQuestion:
    question: str
    expected_doc: str | None
    label: str  # one of LABELS' values
    asked: dt.date

    def to_json(self) -> str:
        return json.dumps({"question": self.question, "expected_doc": self.expected_doc,
                           "label": self.label, "asked": self.asked.isoformat()},
                          ensure_ascii=False)


@dataclass
class LabelReport:
    labelled: list[LabelledQuestion]
    skipped: Counter[str]  # "stale" (document gone), "no_source", "duplicate"

    @property
    def answerable(self) -> int:
        return sum(item.expected_doc is not None for item in self.labelled)


def _expected_doc(question: Question) -> tuple[bool, str | None]:
    """(has a label, the document that answers it or None)."""
    if question.review_status == "ok":
        return bool(question.doc_ids), (question.doc_ids[0] if question.doc_ids else None)
    if question.review_status in ("attached", "answered"):
        return bool(question.resolution_doc_id), question.resolution_doc_id
    return question.review_status == "dismissed", None


def labelled_questions(session: Session, *, since: dt.date | None = None) -> LabelReport:
    """The labelled questions asked on or after `since`, newest outcome per question text."""
    active = {doc.meta.id for doc in kb_store.list_documents(session=session, include_retired=False)}
    query = select(Question).where(Question.review_status.in_(list(LABELS)))
    if since is not None:
        query = query.where(Question.created_at >= dt.datetime.combine(since, dt.time()))
    rows: Iterable[Question] = session.scalars(
        query.order_by(Question.reviewed_at.desc().nulls_last(), Question.created_at.desc(),
                       Question.id.desc()))
    skipped: Counter[str] = Counter()
    seen: set[str] = set()
    labelled = []
    for row in rows:
        has_label, doc_id = _expected_doc(row)
        if not has_label:
            skipped["no_source"] += 1
            continue
        if doc_id is not None and doc_id not in active:
            skipped["stale"] += 1
            continue
        text = redact(row.text).strip()
        key = " ".join(folded_tokens(text))
        if not key or key in seen:
            skipped["duplicate"] += 1
            continue
        seen.add(key)
        labelled.append(LabelledQuestion(text, doc_id, LABELS[row.review_status],
                                         row.created_at.date()))
    labelled.sort(key=lambda item: (item.asked, item.question))
    return LabelReport(labelled, skipped)
