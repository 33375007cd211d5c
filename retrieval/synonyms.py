"""Other phrasings of a question, from the synonym groups of `synonyms.tsv`.

Official documents say "cha mẹ học sinh", parents say "phụ huynh": BM25 alone then ranks a
passage that happens to contain "phụ huynh" above the meeting notice the parent asks about.
The searcher scores the question as written and as each variant, and keeps a chunk's best share
(`retrieval.searcher.Searcher._candidates`).  Phrases are found on accent-folded syllables, so
"hop phu huynh" typed without diacritics gets the same variants.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

from retrieval import normalize

SYNONYMS_FILE = Path(__file__).with_name("synonyms.tsv")
MAX_VARIANTS = 4  # bounds the extra BM25 passes per question


@functools.lru_cache(maxsize=4)
def load_groups(path: Path = SYNONYMS_FILE) -> tuple[tuple[tuple[str, ...], ...], ...]:
    """Synonym groups as accented token tuples (comments and blank lines skipped)."""
    groups = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        phrasings = tuple(tuple(normalize.tokens(part)) for part in line.split("\t") if part.strip())
        if len(phrasings) > 1:
            groups.append(phrasings)
    return tuple(groups)


def _find(folded: Sequence[str], phrase: Sequence[str]) -> int:
    """Start of the first occurrence of `phrase` (folded) in `folded`, or -1."""
    size = len(phrase)
    for start in range(len(folded) - size + 1):
        if tuple(folded[start:start + size]) == tuple(phrase):
            return start
    return -1


def variants(tokens: Sequence[str], groups: Sequence[Sequence[Sequence[str]]] | None = None
             ) -> list[list[str]]:
    """The question's tokens with one phrasing of a group replaced by each other phrasing."""
    groups = load_groups() if groups is None else groups
    folded = [normalize.fold(token) for token in tokens]
    found: list[list[str]] = []
    for group in groups:
        for phrasing in group:
            start = _find(folded, [normalize.fold(token) for token in phrasing])
            if start < 0:
                continue
            for other in group:
                if other is not phrasing:
                    found.append([*tokens[:start], *other, *tokens[start + len(phrasing):]])
            break  # one phrasing per group is enough
    return found[:MAX_VARIANTS]
