"""Sorting a parent's ticket into a topic, so the dashboard can count feedback by category.

Parents never pick a category: the ticket forms only ask for a message.  This module guesses the
topic from keyword rules kept in `ticket_categories.tsv` beside it (documented there, editable by
staff without touching code), and staff can still correct it on the ticket page.  The message and
the keywords are compared as accent-folded, abbreviation-expanded words from
`retrieval.normalize`, so "học phí", "hoc phi", "HỌC PHÍ" (NFC or NFD) and "hp" all meet.

Stable English keys are stored in `tickets.category`; `CATEGORY_LABELS` / `category_label` give
the Vietnamese names staff read (the admin's dashboard, exports and ticket pages use them).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path

from retrieval.normalize import folded_tokens

__all__ = [
    "CATEGORY_LABELS",
    "FALLBACK",
    "UNCATEGORISED_LABEL",
    "categorise",
    "category_label",
    "load_keywords",
]

FALLBACK = "khac"
# Display order; `PRIORITY` decides ties.
CATEGORY_LABELS: Mapping[str, str] = {
    "hoc_phi": "Học phí – khoản thu",
    "tuyen_sinh": "Tuyển sinh – nhập học",
    "co_so_vat_chat": "Cơ sở vật chất",
    "giao_vien": "Giáo viên – dạy học",
    "an_toan": "An toàn – bắt nạt",
    "ban_tru": "Bán trú – bữa ăn",
    "chuong_trinh": "Chương trình – sách giáo khoa",
    "thi_cu": "Thi cử – đánh giá",
    FALLBACK: "Khác",
}
UNCATEGORISED_LABEL = "Chưa phân loại"
# A safety problem must never lose a tie to another topic mentioned in the same message.
PRIORITY: tuple[str, ...] = ("an_toan", *(key for key in CATEGORY_LABELS if key not in ("an_toan", FALLBACK)))
_KEYWORDS_FILE = Path(__file__).with_name("ticket_categories.tsv")

Phrase = tuple[str, ...]


@functools.lru_cache(maxsize=4)
def load_keywords(path: str | None = None) -> dict[str, tuple[Phrase, ...]]:
    """Read `category_key<TAB>keyword` lines (`#` comments) into folded word sequences per key."""
    source = Path(path) if path else _KEYWORDS_FILE
    table: dict[str, list[Phrase]] = {key: [] for key in PRIORITY}
    for number, raw in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, keyword = (part.strip() for part in line.partition("\t"))
        if key not in table:
            raise ValueError(f"{source}:{number}: chủ đề không có trong danh sách: {key!r}")
        phrase = tuple(folded_tokens(keyword))
        if not phrase:
            raise ValueError(f"{source}:{number}: dòng thiếu từ khóa: {line!r}")
        if phrase not in table[key]:
            table[key].append(phrase)
    return {key: tuple(phrases) for key, phrases in table.items()}


def _positions(words: list[str], sizes: set[int]) -> dict[Phrase, list[int]]:
    """Start positions of every word sequence of the given lengths."""
    found: dict[Phrase, list[int]] = {}
    for size in sizes:
        for start in range(len(words) - size + 1):
            found.setdefault(tuple(words[start : start + size]), []).append(start)
    return found


def scores(text: str, keywords: Mapping[str, tuple[Phrase, ...]] | None = None) -> dict[str, int]:
    """Per category, how many words of `text` its keywords cover (0 when none matched)."""
    table = load_keywords() if keywords is None else keywords
    sizes = {len(phrase) for phrases in table.values() for phrase in phrases}
    found = _positions(folded_tokens(text), sizes)
    points: dict[str, int] = {}
    for key, phrases in table.items():
        covered: set[int] = set()
        for phrase in phrases:
            for start in found.get(phrase, ()):
                covered.update(range(start, start + len(phrase)))
        points[key] = len(covered)
    return points


def categorise(text: str, keywords: Mapping[str, tuple[Phrase, ...]] | None = None) -> str:
    """The category key of a ticket message; `FALLBACK` ("khac") when no keyword matches."""
    points = scores(text, keywords)
    order = [key for key in PRIORITY if key in points] + [key for key in points if key not in PRIORITY]
    best = max(order, key=lambda key: points[key], default=FALLBACK)  # first of equals wins
    return best if points.get(best, 0) > 0 else FALLBACK


def category_label(category: str) -> str:
    """Vietnamese name of a stored category; a category typed by staff is shown as it is."""
    if not category:
        return UNCATEGORISED_LABEL
    return CATEGORY_LABELS.get(category, category)
