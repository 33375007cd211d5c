"""Turning search results into what the bot says: quoted sentences and their source, or "no".

The bot never writes policy in its own words.  An answer quotes one chunk (`retrieval.quote`);
an FAQ entry answers with its own answer text.  The chunk is the best one, unless the question
asks for a date, an amount, a count or a place (`retrieval.asks`) that another chunk gives:
among the best document's chunks that scored within `CHUNK_MARGIN` of its best one, the one
with the most such sentences (the price list of a bus notice rather than its introduction,
which repeats the title's words), or an all but tied document's.  A citation line follows:
"Nguồn: <title>, số <number>, ngày <dd/mm/yyyy>, <section>" and the link when there is one.
Below the confidence threshold the bot says honestly that it has no official information
and offers to pass the question on to staff.  Just above it (below `tentative_below`) the
answer opens with a caveat: the abstention model tells a question the knowledge base answers
from a near miss on a detail ("the driver's phone number" asked of the bus notice, which gives
routes and prices) only so well, and in that band fall about half of the answers to questions
the knowledge base cannot answer, against under a tenth of the right ones (BENCHMARKS.md).
The parent is told the passage is the nearest one found and the question goes to staff review.
A question asking for a phone number or a person's name gets no answer from a passage that
holds none (the bus notice's routes for the driver's number), unless it asks where to find
them ("số điện thoại văn phòng xem ở đâu"), which is answered with the caveat.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from retrieval import synonyms
from retrieval.answerability import query_terms, semesters
from retrieval.asks import MONEY, asked, asks_price, lacking
from retrieval.bm25 import FOLDED_TERMS, BM25Index, terms, tokenize
from retrieval.quote import extract, headed_units, shorten, split_units
from retrieval.searcher import Hit, SearchResult
from retrieval.settings import RetrievalSettings
from retrieval.types import Answer, Source

NO_ANSWER_TEXT = (
    "Dạ, hiện em chưa có thông tin chính thức về câu hỏi này nên chưa thể trả lời ạ. "
    "Câu hỏi đã được ghi lại để cán bộ nhà trường/xã bổ sung."
)
TENTATIVE_TEXT = (
    "Dạ, em chưa chắc thông tin dưới đây đúng điều anh/chị hỏi; câu hỏi đã được ghi lại để "
    "cán bộ kiểm tra thêm. Thông tin gần nhất em tìm được:"
)
CHUNK_MARGIN = 0.1  # share of the best fused score a chunk of the same document may trail by
DOCUMENT_MARGIN = 0.04  # ... and a chunk of another document (all but a tie)
# A price question whose chosen chunk shows no sum of money takes the same document's best chunk
# within this share of the best score that shows one (the bus notice's price list rather than
# its introduction, which names the village asked about).
PRICE_MARGIN = 0.3


def answering_hit(result: SearchResult, faq_boost: float = 0.0) -> Hit:
    """The chunk to answer from: the best one, unless the question asks when/how much/where
    and another chunk of the same document, nearly as good, gives more of that; or, when the
    best document gives none of it, a chunk of another document all but tied with the best
    (within `DOCUMENT_MARGIN`) that does ("tiền ăn bán trú một ngày bao nhiêu": the FAQ on
    registering says amounts come in each semester's notice, the notice has them).  A price
    question whose chosen chunk shows no sum of money looks further in that chunk's document
    (`PRICE_MARGIN`).  An FAQ entry leads by `faq_boost`, a preference among passages that
    answer alike; when it gives none of what is asked, the other documents are measured against
    its score without that boost ("Một lớp tiểu học có tối đa bao nhiêu học sinh": the FAQ on
    the school's classes, or Điều lệ's "không quá 35 học sinh")."""
    best = result.hits[0]
    gives = list(asked(result.query_tokens).values())
    if not gives:
        return best
    chosen = _giving_hit(result, gives, faq_boost)
    if asks_price(result.query_tokens) and not MONEY.search(chosen.chunk.text):
        priced = [hit for hit in result.hits if hit.document.id == chosen.document.id
                  and hit.score >= best.score * (1.0 - PRICE_MARGIN) and MONEY.search(hit.chunk.text)]
        if priced:
            return max(priced, key=lambda hit: hit.score)
    return chosen


def _giving_hit(result: SearchResult, gives: list[Callable[[str], bool]], faq_boost: float) -> Hit:
    """The chunk that gives most of what is asked among the best document's near-best chunks,
    else a chunk of an all but tied document that gives some, else the best chunk."""
    best = result.hits[0]

    def giving(hit: Hit) -> int:
        return sum(any(give(unit) for give in gives)
                   for unit in split_units(hit.chunk.text))

    question = set(query_terms(result.query_tokens))

    def pertinence(hit: Hit) -> int:
        """How many of the question's words the headings over its giving units share ("2. Lớp
        dạy bơi an toàn hè 2027" over "a) Thời gian dự kiến: …", not "V. TỔ CHỨC THỰC HIỆN")."""
        return max((len(question.intersection(terms(tokenize(headings), FOLDED_TERMS)))
                    for headings, unit in headed_units(hit.chunk.text)
                    if any(give(unit) for give in gives)), default=0)

    def best_of(top: Hit) -> Hit:
        """The chunk of `top`'s document, within `CHUNK_MARGIN` of it, that gives most."""
        same = [hit for hit in result.hits if hit.document.id == top.document.id
                and hit.score >= top.score * (1.0 - CHUNK_MARGIN)]
        return max(same, key=lambda hit: (giving(hit), pertinence(hit), hit.score))

    chosen = best_of(best)
    if giving(chosen):
        return chosen
    unboosted = best.score - (faq_boost if best.document.kind == "faq" else 0.0)
    asked_semesters = semesters(result.query_tokens)
    others = [hit for hit in result.hits if hit.document.id != best.document.id
              and hit.score >= unboosted * (1.0 - DOCUMENT_MARGIN) and giving(hit)
              and not _other_semester(asked_semesters, hit.document.title)]
    # ... and in that document, its chunk that gives most ("3. Nơi mua và giá tham khảo")
    return best_of(max(others, key=lambda hit: (giving(hit), hit.score))) if others else best


def _other_semester(asked: set[int], title: str) -> bool:
    """Whether a document's title names only a semester other than the one asked about: the
    first semester's meal price does not answer "tiền ăn bán trú hk2"."""
    covered = semesters(tokenize(title))
    return bool(asked and covered and not asked & covered)


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


def sources(result: SearchResult, top_k: int, first: Hit | None = None) -> list[Source]:
    """The best chunk of each of the `top_k` best documents, best first; `first` (the chunk
    the answer quotes) leads, its document's other chunks left out."""
    hits = result.best_per_document()
    if first is not None:
        hits = [first, *(hit for hit in hits if hit.document.id != first.document.id)]
    return [
        Source(doc_id=hit.document.id, title=hit.document.title, number=hit.document.number,
               section=hit.chunk.section, score=round(hit.score, 4), issued=hit.document.issued,
               url=hit.document.source_url)
        for hit in hits[:top_k]
    ]


def compose(result: SearchResult, bm25: BM25Index | None, settings: RetrievalSettings) -> Answer:
    """The reply to a question: extractive answer with citation, or the honest no-answer."""
    if not result.hits or bm25 is None or result.confidence < settings.confidence_threshold:
        return Answer(answered=False, answer=NO_ANSWER_TEXT, confidence=result.confidence)
    best = answering_hit(result, settings.faq_boost)
    if best.document.kind == "faq":
        text = shorten(best.chunk.text.strip(), settings.max_answer_chars)
        # An FAQ that names its own official source carries its citation line already.
        cited = any(line.startswith("Nguồn:") for line in text.splitlines())
    else:
        text = extract(result.query_tokens, best.chunk.text, bm25, settings.max_answer_chars,
                       best.document.title, synonyms.groups_for(settings.data_dir))
        cited = False
    if not text:
        return Answer(answered=False, answer=NO_ANSWER_TEXT, confidence=result.confidence)
    missing = lacking(result.query_tokens, text)
    if missing and "where" not in asked(result.query_tokens):
        # a phone number or a name asked for and not in the passage: no answer ("sđt tài xế
        # xe đưa đón" is not answered by the bus routes); "sđt văn phòng xem ở đâu" is
        return Answer(answered=False, answer=NO_ANSWER_TEXT, confidence=result.confidence,
                      lacking=missing)
    body = text if cited else f"{text}\n\n{citation(best)}"
    tentative = result.confidence < settings.tentative_below or bool(missing)
    return Answer(answered=True, answer=f"{TENTATIVE_TEXT}\n\n{body}" if tentative else body,
                  confidence=result.confidence, sources=sources(result, settings.top_k, best),
                  tentative=tentative, lacking=missing)
