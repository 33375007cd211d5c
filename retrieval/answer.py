"""Turning search results into what the bot says: quoted sentences and their source, or "no".

The bot never writes policy in its own words.  An answer is text copied from the best chunk:
the sentences (or list lines) that share the most question weight (BM25 idf of folded syllables
and syllable pairs), kept in their original order, at most `max_answer_chars`; an FAQ entry
answers with its own answer text.  A citation line follows:
"Nguồn: <title>, số <number>, ngày <dd/mm/yyyy>, <section>" and the link when there is one.
Below the confidence threshold the bot says honestly that it has no official information
and offers to pass the question on to staff.
"""

from __future__ import annotations

import datetime as dt
import re

from retrieval.bm25 import BM25Index, TermOptions, terms, tokenize
from retrieval.searcher import Hit, SearchResult
from retrieval.settings import RetrievalSettings
from retrieval.types import Answer, Source

NO_ANSWER_TEXT = (
    "Dạ, hiện em chưa có thông tin chính thức về câu hỏi này nên chưa thể trả lời ạ. "
    "Câu hỏi đã được ghi lại để cán bộ nhà trường/xã bổ sung."
)
# Sentences end at . ! ? ; before a capital letter, digit, quote, bracket or list mark.
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[\"“(\-–•*+\d\w])")
_LIST_ITEM = re.compile(r"^([-–•*+]|[a-zđ]\)|\d+[.)])\s")
_MATCH_TERMS = TermOptions(accented=False, folded=True, bigrams=True)
# A unit is kept when it carries at least this share of the best unit's question weight.
_KEEP_SHARE = 0.5


def split_units(text: str) -> list[str]:
    """Lines, then sentences within lines; empty pieces dropped."""
    units = []
    for line in text.splitlines():
        units.extend(part.strip() for part in _SENTENCE_END.split(line.strip()) if part.strip())
    return units


def _weight(unit: str, query: set[str], bm25: BM25Index) -> float:
    present = query.intersection(terms(tokenize(unit), _MATCH_TERMS))
    return sum(bm25.idf(term) for term in present)


def _shorten(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters (with an ellipsis)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "…"


def extract(question_tokens: list[str], chunk_text: str, bm25: BM25Index, limit: int) -> str:
    """The most relevant sentences of `chunk_text` for the question, in their original order."""
    units = split_units(chunk_text)
    if not units:
        return ""
    query = set(terms(question_tokens, _MATCH_TERMS))
    weights = [_weight(unit, query, bm25) for unit in units]
    best = max(range(len(units)), key=lambda i: (weights[i], -i))
    chosen = {best}
    # A unit ending with ":" introduces what follows: keep the next unit and the list items.
    if units[best].endswith(":"):
        follower = best + 1
        while follower < len(units) and (
            follower == best + 1 or _LIST_ITEM.match(units[follower])
        ):
            chosen.add(follower)
            follower += 1
    threshold = weights[best] * _KEEP_SHARE
    for index in sorted(range(len(units)), key=lambda i: (-weights[i], i)):
        if index not in chosen and weights[index] > 0 and weights[index] >= threshold:
            chosen.add(index)
    selected: list[str] = []
    length = 0
    for index in sorted(chosen, key=lambda i: (i != best, -weights[i], i)):
        extra = len(units[index]) + (1 if selected else 0)
        if selected and length + extra > limit:
            continue
        selected.append(units[index])
        length += extra
    ordered = sorted(selected, key=units.index)
    joiner = "\n" if any(_LIST_ITEM.match(unit) for unit in ordered) else " "
    return _shorten(joiner.join(ordered), limit)


def _date_text(iso: str | None) -> str | None:
    return dt.date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else None


def citation(hit: Hit) -> str:
    """The citation line (and link); parts the document lacks are left out."""
    document = hit.document
    parts = [document.title.strip()]
    if document.number:
        parts.append(f"số {document.number}")
    issued = _date_text(document.issued)
    if issued:
        parts.append(f"ngày {issued}")
    if hit.chunk.section:
        parts.append(hit.chunk.section)
    line = "Nguồn: " + ", ".join(part for part in parts if part)
    if document.source_url:
        line += f"\n{document.source_url}"
    return line


def sources(result: SearchResult, top_k: int) -> list[Source]:
    """The best chunk of each of the `top_k` best documents, best first."""
    return [
        Source(doc_id=hit.document.id, title=hit.document.title, number=hit.document.number,
               section=hit.chunk.section, score=round(hit.score, 4), issued=hit.document.issued,
               url=hit.document.source_url)
        for hit in result.best_per_document()[:top_k]
    ]


def compose(result: SearchResult, bm25: BM25Index | None, settings: RetrievalSettings) -> Answer:
    """The reply to a question: extractive answer with citation, or the honest no-answer."""
    if not result.hits or bm25 is None or result.confidence < settings.confidence_threshold:
        return Answer(answered=False, answer=NO_ANSWER_TEXT, confidence=result.confidence)
    best = result.hits[0]
    if best.document.kind == "faq":
        body = _shorten(best.chunk.text.strip(), settings.max_answer_chars)
        if any(line.startswith("Nguồn:") for line in body.splitlines()):
            # The FAQ names its own official source: that line is the citation.
            return Answer(answered=True, answer=body, confidence=result.confidence,
                          sources=sources(result, settings.top_k))
    else:
        body = extract(result.query_tokens, best.chunk.text, bm25, settings.max_answer_chars)
    if not body:
        return Answer(answered=False, answer=NO_ANSWER_TEXT, confidence=result.confidence)
    return Answer(answered=True, answer=f"{body}\n\n{citation(best)}",
                  confidence=result.confidence, sources=sources(result, settings.top_k))
