"""Plain data passed between ingestion, indexing, search and the callers of search.

These are the contracts other packages rely on (actions, connectors, the CLI, evaluation):
change them only together with their users.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

DOCUMENT_KINDS = ("document", "announcement", "faq")


@dataclass
class DocumentMeta:
    """Metadata of one knowledge-base document (front matter or inferred from the text)."""

    id: str
    title: str
    number: str | None = None  # số hiệu, e.g. "379/KH-SGDĐT"
    issuer: str | None = None
    issued: dt.date | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    kind: str = "document"  # one of DOCUMENT_KINDS
    school: str | None = None  # audience: school name, None = everyone
    grade: str | None = None  # audience: grade ("1", "10", "mầm non"), None = every grade
    source_url: str | None = None
    source_path: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def in_force(self, today: dt.date) -> bool:
        """True when `today` lies inside the document's validity window."""
        if self.valid_from and today < self.valid_from:
            return False
        return not (self.valid_until and today > self.valid_until)


@dataclass
class ChunkDraft:
    """A piece of a document before it is stored: its text and its heading path."""

    ordinal: int
    text: str
    section: str | None = None  # "Điều 5 › Khoản 2"


@dataclass
class SearchContext:
    """What the conversation knows about the asker; boosts matching audience."""

    school: str | None = None
    grade: str | None = None
    today: dt.date | None = None  # None: the current date


@dataclass
class Source:
    """One cited document in an answer (best first)."""

    doc_id: str
    title: str
    number: str | None
    section: str | None
    score: float
    issued: str | None = None  # ISO date
    url: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Answer:
    """What the bot says to a knowledge question, and why.

    `answer` is always text a resident can read: the extractive answer with its citation line
    when `answered`, else the honest "no information yet" message.  A `tentative` answer
    cleared the abstention threshold only narrowly: its text opens with a caveat that it may
    not match the question (`RetrievalSettings.tentative_below`).  `lacking` names what the
    question asks for that the passage found does not hold ("phone", "person"): the knowledge
    base knows the topic, not that detail (declined, or tentative when asked where to find it).
    """

    answered: bool
    answer: str
    confidence: float
    sources: list[Source] = field(default_factory=list)
    tentative: bool = False
    lacking: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The `bot ask --json` shape: answered, answer, confidence, sources."""
        return {
            "answered": self.answered,
            "answer": self.answer,
            "confidence": round(float(self.confidence), 4),
            "sources": [
                {
                    "doc_id": s.doc_id,
                    "title": s.title,
                    "number": s.number,
                    "section": s.section,
                    "score": round(float(s.score), 4),
                }
                for s in self.sources
            ],
        }
