"""Building blocks for action tests: trackers as Rasa sends them, a domain, a fake knowledge base.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.audience import Known
from retrieval.types import Answer, SearchContext, Source
from storage.db import session_scope
from storage.models import Question

TRACKERS_DIR = Path(__file__).resolve().parent.parent / "data" / "trackers"

SLOTS = (
    "school", "grade", "last_question_id", "pending_question", "feedback_message",
    "misinformation_message", "human_message", "contact", "requested_slot", "routed_to_answer", "last_question",
)
FORMS = {
    "feedback_form": ["feedback_message", "contact"],
    "misinformation_form": ["misinformation_message", "contact"],
    "human_form": ["human_message", "contact"],
}


def _form_mapping(form: str, slot: str) -> dict[str, Any]:
    return {"type": "from_text", "conditions": [{"active_loop": form, "requested_slot": slot}]}


def make_domain() -> dict[str, Any]:
    """The parts of the domain that form validation reads (slots with mappings, forms)."""
    slots: dict[str, Any] = {
        name: {"type": "text", "mappings": [{"type": "custom"}]}
        for name in ("school", "grade", "pending_question")
    }
    slots["last_question_id"] = {"type": "float", "mappings": [{"type": "custom"}]}
    for form, (message_slot, _) in FORMS.items():
        slots[message_slot] = {"type": "text", "mappings": [_form_mapping(form, message_slot)]}
    slots["contact"] = {
        "type": "text", "mappings": [_form_mapping(form, "contact") for form in FORMS],
    }
    return {"slots": slots, "forms": {f: {"required_slots": s} for f, s in FORMS.items()}}


def make_tracker(
    *,
    text: str = "",
    intent: str | None = None,
    sender_id: str = "zalo:8412345",
    slots: dict[str, Any] | None = None,
    active_loop: str | None = None,
    after: list[dict[str, Any]] | None = None,
    before: list[dict[str, Any]] | None = None,
) -> Tracker:
    """A tracker whose latest user message is `text`, after the `before` events and followed by
    the `after` events."""
    all_slots: dict[str, Any] = {name: None for name in SLOTS}
    all_slots.update(slots or {})
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.97} if intent else {},
        "intent_ranking": [{"name": intent, "confidence": 0.97}] if intent else [],
        "entities": [],
    }
    events: list[dict[str, Any]] = [
        *(before or []),
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "parse_data": latest},
        *(after or []),
    ]
    return Tracker(
        sender_id, all_slots, latest, events, False, None,
        {"name": active_loop} if active_loop else {}, "action_listen",
    )


def asked(text: str, intent: str, searched: str | None = None) -> list[dict[str, Any]]:
    """A parent's earlier message and the knowledge answer's record of the question it
    searched (`searched`, default the text), as the tracker holds them."""
    return [{"event": "user", "text": text,
             "parse_data": {"text": text, "intent": {"name": intent, "confidence": 0.99}}},
            {"event": "slot", "name": "last_question", "value": searched or text}]


def load_tracker(name: str) -> Tracker:
    """A tracker saved as JSON in tests/data/trackers (the shape Rasa posts to the server)."""
    return Tracker.from_dict(json.loads((TRACKERS_DIR / name).read_text(encoding="utf-8")))


def responses(dispatcher: CollectingDispatcher) -> list[str | None]:
    return [message["response"] for message in dispatcher.messages]


class FakeKnowledgeBase:
    """Returns a fixed answer and records what it was asked."""

    def __init__(self, answer: Answer | Exception, schools: Known | None = None) -> None:
        self._answer = answer
        self._schools = dict(schools or {})
        self.calls: list[tuple[str, SearchContext | None]] = []

    def schools(self) -> Known:
        return self._schools

    def answer(self, question: str, context: SearchContext | None = None) -> Answer:
        self.calls.append((question, context))
        if isinstance(self._answer, Exception):
            raise self._answer
        return self._answer


ANSWERED = Answer(
    answered=True,
    answer="Học sinh lớp 1 được miễn học phí.\nNguồn: Quyết định miễn học phí, số 12/QĐ-UBND",
    confidence=0.83,
    sources=[Source(doc_id="hoc-phi", title="Quyết định miễn học phí", number="12/QĐ-UBND",
                    section="Điều 1", score=0.83, issued="2025-08-01",
                    url="https://example.edu.vn/hoc-phi")],
)
NOT_ANSWERED = Answer(
    answered=False,
    answer="Dạ, hiện em chưa có thông tin về nội dung này.",
    confidence=0.12,
)


def stored_questions() -> list[Question]:
    """The review queue's rows (the test database of the `data_dir` fixture)."""
    with session_scope() as session:
        return list(session.scalars(select(Question)))
