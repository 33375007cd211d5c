"""Lexical index: BM25 over Vietnamese syllables, matching text typed with or without diacritics.

Every chunk and every query is turned into index terms by `terms`: the syllable tokens of
`retrieval.normalize` (accented) plus their accent-folded forms, plus folded syllable bigrams
("hoc_phi"), because most Vietnamese words are two syllables and a bigram separates "học phí"
from a chunk that merely mentions "học" and "phí" apart.  A question typed with diacritics
matches both the accented and the folded terms; one typed without matches the folded ones.

Scoring is `bm25s` (sparse, numpy).  The index is rebuilt from cached tokens on every change:
that takes well under a second for ten thousand chunks, and keeps the code free of the
bookkeeping an incremental inverted index would need.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

from retrieval import normalize
from retrieval.errors import IndexFileError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TermOptions:
    """Which kinds of terms are indexed; the defaults are what the dev-set evaluation chose."""

    accented: bool = True
    folded: bool = True
    bigrams: bool = True


DEFAULT_TERMS = TermOptions()
# Accent-folded syllables and syllable pairs only: what the question is matched against in a
# passage's own words (answer/abstain features, quotes), whatever the parent's diacritics.
FOLDED_TERMS = TermOptions(accented=False, folded=True, bigrams=True)


@functools.lru_cache(maxsize=200_000)
def _fold_token(token: str) -> str:
    return normalize.fold(token)


# Words that make a sentence a question but say nothing about its topic.  They are left out of
# the BM25 query (never out of the index): otherwise "bao nhiêu", rare in official documents,
# would weigh more than the subject asked about and sink the coverage share of every question.
QUESTION_PHRASES = (
    "như thế nào", "làm thế nào", "cho mình hỏi", "cho em hỏi", "cho tôi hỏi",
    "bao nhiêu", "bao giờ", "khi nào", "lúc nào", "thế nào", "làm sao", "tại sao", "vì sao",
    "ở đâu", "chỗ nào", "được không", "hay không", "có phải", "cho hỏi", "xin hỏi", "là gì",
    "gì", "nào", "mấy", "vậy", "ạ", "à", "hả", "nhé", "nha", "ơi", "không", "chưa", "có", "là",
    "thì sao", "ra sao", "thì", "mình", "ai",
)


@functools.lru_cache(maxsize=1)
def _question_phrases() -> dict[tuple[str, ...], list[tuple[str, ...]]]:
    """Question phrases by their folded tokens -> their accented tokens ("à", "ạ" share "a")."""
    phrases: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for phrase in QUESTION_PHRASES:
        key = tuple(normalize.folded_tokens(phrase))
        phrases.setdefault(key, []).append(tuple(normalize.tokens(phrase)))
    return phrases


def _matches(tokens: Sequence[str], variants: list[tuple[str, ...]]) -> bool:
    """Same words as one variant, comparing accents only where the question has them."""
    return any(
        all(t == a or t == _fold_token(t) for t, a in zip(tokens, accented, strict=True))
        for accented in variants
    )


def content_segments(tokens: Sequence[str]) -> list[list[str]]:
    """The question's tokens without question words, split where those words were.

    A question made of question words only keeps all its tokens.
    """
    phrases = _question_phrases()
    longest = max(len(key) for key in phrases)
    folded = [_fold_token(token) for token in tokens]
    segments: list[list[str]] = [[]]
    position = 0
    while position < len(tokens):
        for size in range(min(longest, len(tokens) - position), 0, -1):
            variants = phrases.get(tuple(folded[position:position + size]))
            if variants and _matches(tokens[position:position + size], variants):
                segments.append([])
                position += size
                break
        else:
            segments[-1].append(tokens[position])
            position += 1
    kept = [segment for segment in segments if segment]
    return kept or ([list(tokens)] if tokens else [])


def tokenize(text: str) -> list[str]:
    """Accented syllable tokens of `text` (normalised, abbreviations expanded)."""
    return normalize.tokens(text)


def terms(tokens: Sequence[str], options: TermOptions = DEFAULT_TERMS) -> list[str]:
    """Index terms for a list of accented syllable tokens (see the module docstring)."""
    folded = [_fold_token(token) for token in tokens]
    result: list[str] = []
    if options.accented:
        result.extend(tokens)
    if options.folded:
        # A "~" keeps folded terms apart from accented ones: "hoc" typed by a parent matches
        # the folded "~hoc" of "học", while the accented vocabulary stays exact.
        result.extend(f"~{f}" for f in folded)
    if options.bigrams:
        result.extend(f"{a}_{b}" for a, b in zip(folded, folded[1:], strict=False))
    return result


def top_k(ids: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The `k` ids with the highest positive scores, best first (ties: index order)."""
    k = min(k, len(scores))
    if k <= 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.lexsort((top, -scores[top]))]
    top = top[scores[top] > 0]
    return ids[top], scores[top].astype(np.float32)


class BM25Index:
    """BM25 scores of chunks (by chunk id) for a question."""

    def __init__(self, options: TermOptions = DEFAULT_TERMS, k1: float = 1.2, b: float = 0.75):
        self.options = options
        self.k1 = k1
        self.b = b
        self._ids = np.empty(0, dtype=np.int64)
        self._model: bm25s.BM25 | None = None
        self._document_frequency: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._ids)

    def build(self, ids: Sequence[int], token_lists: Sequence[Sequence[str]]) -> None:
        """Index chunks given their ids and accented tokens (replaces the previous content)."""
        if len(ids) != len(token_lists):
            raise ValueError(f"{len(ids)} ids for {len(token_lists)} token lists")
        self._ids = np.asarray(ids, dtype=np.int64)
        self._document_frequency = {}
        if not len(self._ids):
            self._model = None
            return
        corpus = [terms(tokens, self.options) for tokens in token_lists]
        model = bm25s.BM25(k1=self.k1, b=self.b, method="lucene")
        model.index(corpus, show_progress=False)
        self._model = model

    def query_terms(self, tokens: Sequence[str]) -> list[str]:
        """Distinct index terms of a question, question words left out (`content_segments`).

        An accented term is kept only when the token carries diacritics or is itself a word of
        the index: "hoc" typed without diacritics then counts once (as the folded "~hoc"), so
        a question typed without diacritics is scored on the same scale as one typed with them.
        """
        vocabulary = self._model.vocab_dict if self._model is not None else {}
        candidates = [term for segment in content_segments(tokens)
                      for term in terms(segment, self.options)]
        return [
            term for term in dict.fromkeys(candidates)
            if not self.options.accented or term.startswith("~") or "_" in term
            or term in vocabulary or _fold_token(term) != term
        ]

    def ids(self) -> np.ndarray:
        """Chunk ids in index order (aligned with `scores`)."""
        return self._ids

    def scores(self, query: Sequence[str]) -> np.ndarray:
        """BM25 score of every chunk (aligned with `ids`) for a question's `query_terms`."""
        if self._model is None:
            return np.zeros(len(self._ids), dtype=np.float32)
        term_ids = self._model.get_tokens_ids(list(query))
        if not term_ids:
            return np.zeros(len(self._ids), dtype=np.float32)
        return np.asarray(self._model.get_scores(term_ids), dtype=np.float32)

    def search(self, query: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Best `k` (chunk ids, scores) for a question's `query_terms`; only scores > 0."""
        return top_k(self._ids, self.scores(query), k)

    def max_score(self, query: Sequence[str]) -> float:
        """Upper bound of a chunk's score for these terms: the sum of their idf.

        Lucene BM25 scores each matched term at most its idf, so score / max_score is the
        idf-weighted share of the question a chunk covers.  Terms absent from the index count
        with the idf of a term no chunk contains: a question about something the knowledge
        base never mentions gets a low share.
        """
        return float(sum(self.idf(term) for term in query))

    def idf(self, term: str) -> float:
        """Lucene inverse document frequency of an index term (that of df = 0 when unknown)."""
        frequency = self.document_frequency().get(term, 0)
        n = len(self._ids)
        return float(np.log(1 + (n - frequency + 0.5) / (frequency + 0.5)))

    def document_frequency(self) -> dict[str, int]:
        """How many chunks contain each term (computed once per loaded index)."""
        if not self._document_frequency and self._model is not None:
            indptr = np.asarray(self._model.scores["indptr"])
            counts = np.diff(indptr)
            self._document_frequency = {
                term: int(counts[index])
                for term, index in self._model.vocab_dict.items()
                if index < len(counts)
            }
        return self._document_frequency

    def save(self, directory: Path) -> None:
        """Write the index into `directory` (replaced as a whole)."""
        temporary = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(temporary, ignore_errors=True)
        temporary.mkdir(parents=True)
        np.save(temporary / "ids.npy", self._ids)
        options = {"accented": self.options.accented, "folded": self.options.folded,
                   "bigrams": self.options.bigrams, "k1": self.k1, "b": self.b}
        (temporary / "options.json").write_text(json.dumps(options), encoding="utf-8")
        if self._model is not None:
            self._model.save(str(temporary / "bm25s"), show_progress=False)
        shutil.rmtree(directory, ignore_errors=True)
        os.replace(temporary, directory)

    @classmethod
    def load(cls, directory: Path) -> BM25Index:
        """Read an index written by `save`."""
        try:
            options = json.loads((directory / "options.json").read_text(encoding="utf-8"))
            index = cls(
                TermOptions(options["accented"], options["folded"], options["bigrams"]),
                k1=options["k1"], b=options["b"],
            )
            index._ids = np.load(directory / "ids.npy")
            if (directory / "bm25s").is_dir():
                index._model = bm25s.BM25.load(str(directory / "bm25s"), show_progress=False)
        except (OSError, KeyError, ValueError) as error:
            raise IndexFileError(f"Cannot read BM25 index {directory}: {error}") from error
        return index
