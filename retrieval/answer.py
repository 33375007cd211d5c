"""Turning search results into what the bot says: quoted sentences and their source, or "no".

The bot never writes policy in its own words.  An answer is text copied from the best chunk:
the sentences (or list lines) that share the most question weight (BM25 idf of folded syllables
and syllable pairs, synonyms included), kept in their original order, at most
`max_answer_chars`; an FAQ entry answers with its own answer text.  A question that asks when,
how much, how many or where ("bao giờ", "bao nhiêu tiền", "mấy quyển", "ở đâu") is asking for
the sentence that holds a date, an amount, a number of that thing or a place, which rarely
repeats the question's words ("Thời gian: 7 giờ 30, ngày 23/01/2027"): such sentences count
as sharing half of the best sentence's weight, and among the best document's chunks that
scored within `CHUNK_MARGIN` of its best one, the answer is taken from the chunk with the most
such sentences (the price list of a bus notice rather than its introduction, which repeats the
title's words).  A quoted sentence that introduces
what follows ("… điểm trúng tuyển như sau:") brings its list along, or is left out when the
list does not fit or is not in the chunk.  A citation line follows:
"Nguồn: <title>, số <number>, ngày <dd/mm/yyyy>, <section>" and the link when there is one.
Below the confidence threshold the bot says honestly that it has no official information
and offers to pass the question on to staff.  Just above it (below `tentative_below`) the
answer opens with a caveat: the abstention model tells a question the knowledge base answers
from a near miss on a detail ("the driver's phone number" asked of the bus notice, which gives
routes and prices) only so well, and in that band fall about half of the answers to questions
the knowledge base cannot answer, against under a tenth of the right ones (BENCHMARKS.md).
The parent is told the passage is the nearest one found and the question goes to staff review.
So is an answer to a question asking for a phone number or a person's name that holds none.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from retrieval import synonyms
from retrieval.bm25 import BM25Index, TermOptions, terms, tokenize
from retrieval.normalize import fold
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
# Sentences end at . ! ? ; before a capital letter, digit, quote, bracket or list mark.
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[\"“(\-–•*+\d\w])")
_LIST_ITEM = re.compile(r"^([-–•*+]|[a-zđ]\)|\d+[.)])\s")
_HEADING_CHARS = 100  # longer units are sentences, not section titles
_NUMBER_MARK = re.compile(r"^(?:\d{1,3}|[IVXLC]+)\.$")  # "1." or "II." before a heading
_MATCH_TERMS = TermOptions(accented=False, folded=True, bigrams=True)
CHUNK_MARGIN = 0.1  # share of the best fused score a chunk of the same document may trail by
DOCUMENT_MARGIN = 0.04  # ... and a chunk of another document (all but a tie)
# Vietnamese capital and small letters, for names ("Nguyễn Thị Mai").
_UPPER = "".join(c for c in map(chr, range(0x41, 0x1EFA)) if c.isupper() and c.isalpha())
_LOWER = "".join(c for c in map(chr, range(0x61, 0x1EFA)) if c.islower() and c.isalpha())
# A sum of money as documents write it ("220.000 đồng", "30 nghìn"), or none to pay.
_SUM = r"\d[\d.,]* ?(?:đồng|nghìn|ngàn|triệu|k\b)"
_FREE = r"\bmiễn\b|không thu"
# What a question asks for (folded phrases of its words) and how a sentence that gives it looks.
_ASKS = {
    "when": (("bao gio", "khi nao", "luc nao", "ngay nao", "hom nao", "may gio", "thu may",
              "thoi gian", "han chot", "den ngay", "lich thi", "lich kiem tra", "lich hoc",
              "lich nghi", "lich hop", "lich tiem", "lich kham", "lich the nao", "lich nhu the nao",
              "lich ra sao", "xem lich"),
             re.compile(r"\d{1,2}/\d{1,2}|\b\d{1,2} ?(?:giờ|h)\b|\bngày \d|\btháng \d|"
                        r"\bthứ (?:hai|ba|tư|năm|sáu|bảy|\d)|chủ nhật|hằng ngày|hàng tuần",
                        re.IGNORECASE)),
    "amount": (("bao nhieu", "may tien", "gia bao", "muc thu", "muc phi", "het bao"),
               re.compile(rf"{_SUM}|\d[\d.,]* ?%|{_FREE}", re.IGNORECASE)),
    "where": (("o dau", "cho nao", "noi nao", "dia diem", "tai dau"),
              re.compile(r"\btại\b|\bđịa điểm\b|\bphòng\b|\bthôn\b|\bđiểm\b|\bsố nhà\b",
                         re.IGNORECASE)),
    "phone": (("so dien thoai", "so dt", "sdt", "dien thoai lien he", "hotline", "so lien he",
               "so zalo"),
              # 0 or +84, then 9-10 digits grouped by single spaces, dots or dashes.
              re.compile(r"(?<![\d.,])(?:\+84|0)(?:[ .-]?\d){9,10}(?![\d.,]\d|\d)")),
    "person": (("la ai", "ten gi", "ten la gi", "ai phu trach", "ai day", "ai chu nhiem",
                "thay nao", "co nao", "thay co nao", "giao vien nao"),
               # A title before a capitalised name, or a full name of three capitalised words.
               re.compile(rf"\b(?:[Tt]hầy|[Cc]ô|[Ôô]ng|[Bb]à|[Đđ]ồng chí|[Đđ]/c)\s+[{_UPPER}]|"
                          rf"(?:\b[{_UPPER}][{_LOWER}]+ ){{2}}[{_UPPER}][{_LOWER}]+\b")),
}
# A question asking how many of something ("bao nhiêu học sinh", "mấy tiết", "tối đa mấy câu
# lạc bộ") wants a sentence with a number of that thing ("45 học sinh", "02 câu lạc bộ").
_COUNT_UNITS = ("hoc sinh", "lop", "truong", "diem truong", "cho", "phut", "tiet", "buoi", "ngay",
                "tuan", "thang", "lan", "diem", "to hop", "mon", "cau lac bo", "quyen", "dau sach",
                "kg", "giao vien", "tre", "chau", "nhom", "ma de", "tu", "phong", "chuyen")
_COUNT_ASK = re.compile(r"\b(?:bao nhieu|bn|may|toi da|toi thieu|it nhat) (?:bao nhieu |may )?("
                        + "|".join(sorted(_COUNT_UNITS, key=len, reverse=True)) + r")\b")
# A question about a price ("giá bao nhiêu", "học phí bn", "hết bao nhiêu tiền", not a percentage)
# wants a sum of money: when the chunk chosen shows none, a chunk of the same document within
# `PRICE_MARGIN` of the best score that shows one answers instead (the bus notice's price list
# rather than its introduction, which names the village asked about).
_PRICE_WORDS = re.compile(r"\b(?:tien|gia bao|gia bn|gia la|gia mot|gia 1|hoc phi|muc thu|muc phi|"
                          r"le phi|chi phi|het bao nhieu|dong bao nhieu|nop bao nhieu)\b")
_QUANTITY = re.compile(r"\b(?:bao nhieu|bn|may tien|het bao)\b")
_PERCENT = re.compile(r"\bphan tram\b|%")
# An amount that is money (not a percentage), or a table priced in "nghìn đồng".
_MONEY = re.compile(rf"{_SUM}|(?:nghìn|ngàn|triệu) đồng|{_FREE}", re.IGNORECASE)
PRICE_MARGIN = 0.3
# Kinds whose absence from the answer means it cannot be the answer (a phone number, a name):
# the answer is then given as tentative, whatever the confidence.
_MUST_GIVE = ("phone", "person")
# A unit is kept when it carries at least this share of the best unit's question weight.
_KEEP_SHARE = 0.5


def split_units(text: str) -> list[str]:
    """Lines, then sentences within lines; empty pieces dropped."""
    return [unit for _, unit in _units_by_line(text)]


def _units_by_line(text: str) -> list[tuple[int, str]]:
    """(line number, unit) for each unit of `split_units`; a numbered heading stays whole
    ("1. Thời gian khám", not "1." and "Thời gian khám")."""
    units: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines()):
        parts = [part.strip() for part in _SENTENCE_END.split(line.strip()) if part.strip()]
        if len(parts) > 1 and _NUMBER_MARK.match(parts[0]):
            parts[:2] = [f"{parts[0]} {parts[1]}"]
        units += [(number, part) for part in parts]
    return units


def asked_kinds(question_tokens: list[str]) -> list[str]:
    """What the question asks for: "when", "amount", "where", "phone", "person", "count"
    (possibly several, or none)."""
    return list(_asked(question_tokens))


def _asked(question_tokens: list[str]) -> dict[str, Callable[[str], bool]]:
    """What the question asks for, each with the test of a sentence that gives it."""
    folded = " " + " ".join(fold(token) for token in question_tokens) + " "
    asked: dict[str, Callable[[str], bool]] = {
        kind: lambda text, pattern=pattern: bool(pattern.search(text))
        for kind, (phrases, pattern) in _ASKS.items()
        if any(f" {phrase} " in folded for phrase in phrases)}
    units = sorted({match.group(1) for match in _COUNT_ASK.finditer(folded)})
    if units and not _PERCENT.search(folded):  # "bao nhiêu % trường" asks for a percentage
        # a number of them, not a date ("01 tháng 10")
        number_of = re.compile(r"\b\d+ (?:" + "|".join(units) + r")\b(?! \d)")
        asked["count"] = lambda text: bool(number_of.search(fold(text)))
        if not asks_price(question_tokens):  # "bao nhiêu học sinh" is not a sum of money
            asked.pop("amount", None)
    if "phone" in asked:  # "sđt là bao nhiêu" asks for the number, not an amount
        asked.pop("amount", None)
    return asked


def asks_price(question_tokens: list[str]) -> bool:
    """Whether the question asks how much something costs (see `_PRICE_WORDS`)."""
    folded = " ".join(fold(token) for token in question_tokens)
    return bool(_PRICE_WORDS.search(folded) and _QUANTITY.search(folded)
                and not _PERCENT.search(folded))


def lacking(question_tokens: list[str], answer: str) -> list[str]:
    """What the question asks for that an answer must hold and `answer` does not: "phone"
    ("sdt của nhà xe") without a phone number, "person" ("cô nào dạy") without a name."""
    return [kind for kind in asked_kinds(question_tokens)
            if kind in _MUST_GIVE and not _ASKS[kind][1].search(answer)]


def _weight(unit: str, query: set[str], bm25: BM25Index) -> float:
    present = query.intersection(terms(tokenize(unit), _MATCH_TERMS))
    return sum(bm25.idf(term) for term in present)


def _shorten(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters (with an ellipsis)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "…"


def _rank(unit: str) -> int | None:
    """How high a unit's list mark stands: "1." 0, "a)" 1, "-" 2; None for no list mark."""
    match = _LIST_ITEM.match(unit)
    if not match:
        return None
    mark = match.group(1)
    return 0 if mark[0].isdigit() else 1 if mark[0].isalpha() else 2


def _heading_level(unit: str, title: frozenset[str] = frozenset()) -> int | None:
    """How high a heading stands (the document's title -2; "II. TIÊM VẮC XIN", "MỤC TIÊU" -1;
    "2. Lớp dạy bơi" 0; "a) Thời gian" 1), or None for a unit that is no heading.  A heading
    is a short title without punctuation at its end or a colon inside ("2. Thí sinh trúng
    tuyển: 467" is a fact), not a table row, numbered, lettered, written in capitals or made
    of the words of the document's `title` (folded), like the subtitle under "KẾ HOẠCH"."""
    if (not unit or len(unit) > _HEADING_CHARS or unit[-1] in ".;:!?…,"
            or ":" in unit or "|" in unit):  # nor a table row
        return None
    if re.match(r"[IVXLC]+\.\s", unit):
        return -1
    words = fold(unit).split()
    if title and len(words) >= 3 and all(word.strip(",.-()") in title for word in words):
        return -2  # the document's own title stands above its sections
    letters = [c for c in unit if c.isalpha()]
    if len(letters) >= 4 and sum(c.isupper() for c in letters) >= 0.8 * len(letters):
        return -1
    if re.match(r"\d{1,2}[.)]\s", unit):
        return 0
    if re.match(r"[a-zđ]\)\s", unit):
        return 1
    return None


@dataclass(frozen=True)
class _Chunk:
    """The units of a chunk with each one's line and heading level (see `_heading_level`)."""

    units: list[str]
    lines: list[int]
    levels: list[int | None]

    def introduces(self, index: int) -> bool:
        """Whether a unit says nothing by itself but announces what follows: "… như sau:",
        a heading."""
        return self.units[index].endswith(":") or self.levels[index] is not None

    def followers(self, index: int) -> list[int]:
        """What a unit ending with ":" introduces: the next unit, then the list items after it
        that stand no higher than the first of them ("Hồ sơ gồm:" and its "- " lines; "như
        sau:", "1. Số chỗ" and its "- " lines, "2. Hồ sơ" …; not the "2." heading after "a)",
        "b)")."""
        if not self.units[index].endswith(":"):
            return []
        following: list[int] = []
        top: int | None = None
        for position in range(index + 1, len(self.units)):
            rank = _rank(self.units[position])
            if following and (rank is None or (top is not None and rank < top)):
                break
            following.append(position)
            top = rank if top is None else top
        return following

    def introduced(self, index: int) -> set[int]:
        """The units an introducing unit is about: after "…:" the next one; after a heading its
        whole section, up to the next heading that stands as high."""
        level = self.levels[index]
        if level is None:
            return {index + 1}
        section = set()
        for position in range(index + 1, len(self.units)):
            other = self.levels[position]
            if other is not None and other <= level:
                break
            section.add(position)
        return section

    def fit(self, groups: list[list[int]], limit: int) -> set[int]:
        """The units of `groups` (each a unit and what it introduces, best group first) that
        fit in `limit` characters, a group's units in order until one does not fit.  The best
        unit and the first unit it introduces are always kept (the text is shortened
        afterwards); so is the first line of the section of a heading among them none of
        whose section fits ("2. Lớp dạy bơi an toàn hè 2027" and "a) Thời gian dự kiến: …";
        "… như sau:", "1. Ôn tập" and "Giáo viên bộ môn hướng dẫn ôn tập …").  A unit that
        introduces what did not fit, or what the chunk does not hold ("cụ thể như sau:" closing
        a chunk; a heading none of whose section is quoted), says nothing by itself and is
        left out with the clauses of its sentence, unless it is all there is."""
        units = self.units
        chosen: dict[int, None] = {}
        length = -1
        for number, group in enumerate(groups):
            for position, index in enumerate(group):
                if index in chosen:
                    continue
                extra = len(units[index]) + 1
                if length + extra > limit and not (number == 0 and position < 2):
                    break
                chosen[index] = None
                length += extra
        for index in groups[0]:  # a heading alone says what, not what of it
            if index in chosen and self.levels[index] is not None:
                section = sorted(self.introduced(index))
                lines = [i for i in section if self.levels[i] is None]  # not a subheading
                if lines and not chosen.keys() & set(section):
                    chosen[lines[0]] = None
        dangling: set[int] = set()
        for index in chosen:
            if self.introduces(index) and not chosen.keys() & self.introduced(index):
                dangling.add(index)
                # ... with the clauses of its sentence ("… lớp, học sinh; tổ hợp môn … như sau:")
                while (index - 1 in chosen and self.lines[index - 1] == self.lines[index]
                       and units[index - 1].endswith(";")):
                    index -= 1
                    dangling.add(index)
        kept = set(chosen) - dangling
        return kept or set(chosen)


def extract(question_tokens: list[str], chunk_text: str, bm25: BM25Index, limit: int,
            title: str = "") -> str:
    """The most relevant sentences of `chunk_text` for the question, in their original order;
    `title` (the document's) tells its subtitle lines from sentences."""
    numbered = _units_by_line(chunk_text)
    units = [unit for _, unit in numbered]
    if not units:
        return ""
    title_words = frozenset(fold(title).replace(",", " ").split())
    chunk = _Chunk(units, [line for line, _ in numbered],
                   [_heading_level(unit, title_words) for unit in units])
    # The question's words and their synonyms' ("thứ 7" -> "thứ bảy"), as BM25 matched them.
    query = {term for variant in [question_tokens, *synonyms.variants(question_tokens)]
             for term in terms(variant, _MATCH_TERMS)}
    weights = [_weight(unit, query, bm25) for unit in units]
    threshold = max(weights) * _KEEP_SHARE
    gives = list(_asked(question_tokens).values())
    if gives:  # a date/amount/place/count sentence is kept even without the question's words
        bonus = threshold or 1.0
        weights = [weight + bonus if any(give(unit) for give in gives)
                   else weight for weight, unit in zip(weights, units, strict=True)]
        threshold = threshold or bonus
    best = max(range(len(units)), key=lambda i: (weights[i], -i))
    others = [index for index in sorted(range(len(units)), key=lambda i: (-weights[i], i))
              if index != best and weights[index] > 0 and weights[index] >= threshold]
    chosen = chunk.fit([[best, *chunk.followers(best)],
                        *([index, *chunk.followers(index)] for index in others)], limit)
    order = sorted(chosen)
    # List lines stay lines; sentences of one line ("220.000 đồng/tháng; một chiều: …") stay together.
    by_lines = any(_LIST_ITEM.match(units[i]) for i in order)
    text = units[order[0]]
    for previous, index in zip(order, order[1:], strict=False):
        same_line = numbered[previous][0] == numbered[index][0]
        text += "\n" if by_lines and not same_line else " "
        text += units[index]
    return _shorten(text, limit)


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
    gives = list(_asked(result.query_tokens).values())
    if not gives:
        return best
    chosen = _giving_hit(result, gives, faq_boost)
    if asks_price(result.query_tokens) and not _MONEY.search(chosen.chunk.text):
        priced = [hit for hit in result.hits if hit.document.id == chosen.document.id
                  and hit.score >= best.score * (1.0 - PRICE_MARGIN) and _MONEY.search(hit.chunk.text)]
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

    same = [hit for hit in result.hits if hit.document.id == best.document.id
            and hit.score >= best.score * (1.0 - CHUNK_MARGIN)]
    chosen = max(same, key=lambda hit: (giving(hit), hit.score))
    if giving(chosen):
        return chosen
    unboosted = best.score - (faq_boost if best.document.kind == "faq" else 0.0)
    others = [hit for hit in result.hits if hit.document.id != best.document.id
              and hit.score >= unboosted * (1.0 - DOCUMENT_MARGIN) and giving(hit)]
    return max(others, key=lambda hit: (giving(hit), hit.score)) if others else best


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
        text = _shorten(best.chunk.text.strip(), settings.max_answer_chars)
        # An FAQ that names its own official source carries its citation line already.
        cited = any(line.startswith("Nguồn:") for line in text.splitlines())
    else:
        text = extract(result.query_tokens, best.chunk.text, bm25, settings.max_answer_chars,
                       best.document.title)
        cited = False
    if not text:
        return Answer(answered=False, answer=NO_ANSWER_TEXT, confidence=result.confidence)
    body = text if cited else f"{text}\n\n{citation(best)}"
    tentative = (result.confidence < settings.tentative_below
                 or bool(lacking(result.query_tokens, text)))
    return Answer(answered=True, answer=f"{TENTATIVE_TEXT}\n\n{body}" if tentative else body,
                  confidence=result.confidence, sources=sources(result, settings.top_k, best),
                  tentative=tentative)
