"""Quoting a chunk: the sentences that answer the question, never text of our own.

An answer is text copied from the chosen chunk: the sentences (or list lines) that share the
most question weight (BM25 idf of folded syllables and syllable pairs, synonyms included; words
of the document's title count a quarter), kept in their original order, at most
`max_answer_chars`.  A sentence with what the question asks for (`retrieval.asks`: a date,
an amount, a count, a place) counts as sharing half of the best sentence's weight.  A quoted
sentence that introduces what follows ("… điểm trúng tuyển như sau:") brings its list along; a
heading alone brings the first line of its section; either is left out when what it
introduces is not quoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval import synonyms
from retrieval.asks import asked, asks_one
from retrieval.bm25 import FOLDED_TERMS, BM25Index, terms, tokenize
from retrieval.normalize import fold

# Sentences end at . ! ? ; before a capital letter, digit, quote, bracket or list mark.
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[\"“(\-–•*+\d\w])")
_LIST_ITEM = re.compile(r"^([-–•*+]|[a-zđ]\)|\d+[.)])\s")
_HEADING_CHARS = 100  # longer units are sentences, not section titles
_SECTION_NUMBER = re.compile(r"(?:[IVXLC]+|\d{1,2}|[a-zđ])[.)]\s")
_LABEL_CHARS = 40  # ... and the lines a list stands under ("Buổi sáng"), shorter still
_NUMBER_MARK = re.compile(r"^(?:\d{1,3}|[IVXLC]+)\.$")  # "1." or "II." before a heading
# A unit is kept when it carries at least this share of the best unit's question weight.
_KEEP_SHARE = 0.5
# A question word the document's title holds ("câu lạc bộ" in the clubs notice) says which
# document, not which of its sentences: it counts this share of its weight in a sentence, so
# "clb tiếng anh học ở đâu" quotes the English club's line, not every line naming "câu lạc bộ".
_TITLE_SHARE = 0.25
# A small number after a word ("lớp 7", "kỳ 1") matches a sentence only with that word
# ("lop_7"): by itself it would match any time or count ("lúc 7 giờ 15").  Numbers of a date
# typed in parts ("30/4") still match alone.
_SMALL_NUMBER = re.compile(r"\d{1,2}")


def _word_numbers(tokens: list[str]) -> set[str]:
    """The folded terms of small numbers (and "một") that follow a word and start no date."""
    found = set()
    for position, token in enumerate(tokens):
        # "một" too: "bao nhiêu tiền một tháng" is no "một chiều: 130.000 đồng"
        if not (_SMALL_NUMBER.fullmatch(token) or fold(token) == "mot") or position == 0:
            continue
        after = tokens[position + 1] if position + 1 < len(tokens) else ""
        if not tokens[position - 1].isdigit() and not after.isdigit():
            found.add(f"~{fold(token)}")
    return found


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


def _weight(unit: str, query: set[str], bm25: BM25Index,
            titled: frozenset[str] = frozenset()) -> float:
    present = query.intersection(terms(tokenize(unit), FOLDED_TERMS))
    return sum(bm25.idf(term) * (_TITLE_SHARE if term in titled else 1.0) for term in present)


def shorten(text: str, limit: int) -> str:
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

    def heading_over(self, index: int) -> int | None:
        """The nearest numbered section heading ("V. NHỮNG KHOẢN …", "2. Mức đóng") before a
        unit whose section holds it, or None (a "THÔNG BÁO" or subtitle line says nothing)."""
        for position in range(index - 1, -1, -1):
            if self.levels[position] is not None:
                numbered = _SECTION_NUMBER.match(self.units[position])
                above, rank = _rank(self.units[position]), _rank(self.units[index])
                # "6. Ngày hội …" stands beside "2. Mượn sách về nhà", not under it
                beside = above is not None and rank is not None and rank <= above
                return (position if numbered and not beside and index in self.introduced(position)
                        else None)
        return None

    def label(self, index: int) -> int | None:
        """The short line a list item stands under ("Buổi chiều" over "- Tiết 2: 14 giờ 40",
        "2. Học kỳ I" over "a) Từ ngày 07/9/2026 …"), or None: the first unit before its run of
        list items, when that unit is a label (see `_LABEL_CHARS`) or a heading item rather
        than a sentence."""
        rank = _rank(self.units[index])
        if rank is None:
            return None
        position = index - 1  # back over the items of its list, not over the item it is under
        while position >= 0 and (other := _rank(self.units[position])) is not None and other >= rank:
            position -= 1
        if position < 0 or position + 1 == index and self.lines[position] == self.lines[index]:
            return None
        if _rank(self.units[position]) is not None:  # the item it is under, when a heading
            return position if self.levels[position] is not None else None
        unit = self.units[position]
        if len(unit) > _LABEL_CHARS or not unit[0].isupper() or not unit[-1].isalnum() \
                or ":" in unit:  # a sentence, a table cell ("Tuần sau)", "34 giải")
            return None
        return position

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


def _chunk(text: str, title: str = "") -> tuple[_Chunk, list[tuple[int, str]]]:
    numbered = _units_by_line(text)
    units = [unit for _, unit in numbered]
    title_words = frozenset(fold(title).replace(",", " ").split())
    chunk = _Chunk(units, [line for line, _ in numbered],
                   [_heading_level(unit, title_words) for unit in units])
    return chunk, numbered


def headed_units(text: str) -> list[tuple[str, str]]:
    """The units of `split_units`, each with the headings of the chunk it stands under
    ("2. Lớp dạy bơi an toàn hè 2027" over "a) Thời gian dự kiến: từ ngày 14/6/2027 …")."""
    chunk, _ = _chunk(text)
    headings = [index for index, level in enumerate(chunk.levels) if level is not None]
    return [(" ".join(chunk.units[h] for h in headings if index in chunk.introduced(h)), unit)
            for index, unit in enumerate(chunk.units)]


def extract(question_tokens: list[str], chunk_text: str, bm25: BM25Index, limit: int,
            title: str = "", groups: synonyms.Groups | None = None) -> str:
    """The most relevant sentences of `chunk_text` for the question, in their original order;
    `title` (the document's) tells its subtitle lines from sentences; `groups` are the synonym
    groups the search used (default: the bundled ones)."""
    chunk, numbered = _chunk(chunk_text, title)
    units = chunk.units
    if not units:
        return ""
    # The question's words and their synonyms' ("thứ 7" -> "thứ bảy"), as BM25 matched them.
    query = {term for variant in [question_tokens, *synonyms.variants(question_tokens, groups)]
             for term in terms(variant, FOLDED_TERMS)} - _word_numbers(question_tokens)
    titled = frozenset(terms(tokenize(title), FOLDED_TERMS)) if title else frozenset()
    weights = [_weight(unit, query, bm25, titled) for unit in units]
    threshold = max(weights) * _KEEP_SHARE
    gives = list(asked(question_tokens).values())
    top = max(range(len(units)), key=lambda i: (weights[i], -i))
    # A date/amount/place/count sentence is kept even without the question's words, unless one
    # is asked for and the sentence that best matches them gives it ("phiếu đồng ý tiêm nộp
    # trước ngày mấy": its sentence has the date; the notice's other dates are not what is asked)
    # and all else asked ("đăng ký câu lạc bộ bóng đá ở đâu": the pitch, and how to sign up).
    answered = weights[top] > 0 and all(give(units[top]) for give in gives)
    # When the best match is a heading ("2. Lớp dạy bơi an toàn hè 2027") whose section gives
    # what is asked, the other sections' dates and places are not about it.
    scope = set(range(len(units)))
    if weights[top] > 0 and chunk.levels[top] is not None:
        section = chunk.introduced(top)
        if any(give(units[index]) for index in section for give in gives):
            scope = section
    if gives and not (answered and asks_one(question_tokens)):
        bonus = threshold or 1.0
        weights = [weight + bonus if index in scope and any(give(unit) for give in gives)
                   else weight for index, (weight, unit) in enumerate(zip(weights, units, strict=True))]
        threshold = threshold or bonus
    best = max(range(len(units)), key=lambda i: (weights[i], -i))
    others = [index for index in sorted(range(len(units)), key=lambda i: (-weights[i], i))
              if index != best and weights[index] > 0 and weights[index] >= threshold]
    chosen = chunk.fit([[best, *chunk.followers(best)],
                        *([index, *chunk.followers(index)] for index in others)], limit)
    # A quoted list item keeps the label it stands under: "Tiết 2: 14 giờ 40" is the afternoon's.
    chosen |= {label for index in chosen if (label := chunk.label(index)) is not None}
    # A quote that holds no heading keeps the one it stands under: "Tiền cơ sở vật chất, tiền ghế
    # ngồi …" means nothing without "V. NHỮNG KHOẢN NHÀ TRƯỜNG KHÔNG THU".
    if not any(chunk.levels[index] is not None for index in chosen):
        heading = chunk.heading_over(min(chosen))
        if heading is not None and len(chunk.units[heading]) + sum(
                len(chunk.units[index]) + 1 for index in chosen) <= limit:
            chosen.add(heading)
    order = sorted(chosen)
    # List lines stay lines; sentences of one line ("220.000 đồng/tháng; một chiều: …") stay together.
    by_lines = any(_LIST_ITEM.match(units[i]) for i in order)
    text = units[order[0]]
    for previous, index in zip(order, order[1:], strict=False):
        same_line = numbered[previous][0] == numbered[index][0]
        heading = chunk.levels[previous] is not None  # a heading stands on its own line
        text += "\n" if (by_lines or heading) and not same_line else " "
        # a clause quoted without the one before it starts as a sentence ("môn đầu tiên …")
        text += units[index] if same_line and index == previous + 1 else _capitalised(units[index])
    return _tidy(shorten(text, limit))


def _capitalised(unit: str) -> str:
    """`unit` with a capital first letter; a list mark ("a) …") stays as it is."""
    return unit[0].upper() + unit[1:] if unit[:1].islower() and not _LIST_ITEM.match(unit) else unit


def _tidy(text: str) -> str:
    """A quote starts with a capital and ends as a sentence, though cut from inside one
    ("bộ đồng phục thể dục 120.000 đồng/bộ;" -> "Bộ đồng phục thể dục 120.000 đồng/bộ.")."""
    text = _capitalised(text)
    if text[-1:] in (";", ","):
        text = text[:-1] + "."
    return text
