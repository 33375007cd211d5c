"""Putting diacritics back on a question typed without them, from the knowledge base's own words.

Parents often type "tien an ban tru bao nhieu".  BM25 copes (it also indexes accent-folded
syllables), but the multilingual embedding model does not: on the dev set, dense retrieval of
accent-free questions found the right document in the top 5 about half as often as with
diacritics.  The words a parent asks about are mostly words of the knowledge base, so the most
likely accented reading of the question under a syllable-bigram model of the knowledge base is
usually the intended one ("tiền ăn bán trú bao nhiêu").  That reading is what gets embedded.

Only syllables without diacritics are restored; syllables the parent typed with diacritics are
kept as typed.  The model is built from the indexed tokens when an index version is loaded,
plus once each the everyday phrases of `restorer_phrases.txt`: official text says "cha mẹ học
sinh" where parents say "phụ huynh", and a word the base never uses ("học bổng") must still be
read as itself so that the bot can see it has no answer ("hoc bong" is not "học bóng").
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from retrieval import normalize
from retrieval.normalize import fold

MAX_TOKENS = 2_000_000  # enough statistics; bounds memory and build time on large bases
MAX_CANDIDATES = 6
_SMOOTHING = 0.1
PHRASES_FILE = Path(__file__).with_name("restorer_phrases.txt")


@functools.lru_cache(maxsize=1)
def everyday_phrases() -> tuple[tuple[str, ...], ...]:
    """Token lists of the phrases in `restorer_phrases.txt` (comments and blank lines skipped)."""
    lines = PHRASES_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(tuple(normalize.tokens(line)) for line in lines
                 if line.strip() and not line.lstrip().startswith("#"))


class DiacriticRestorer:
    """A syllable-bigram model of the knowledge base that restores accent-free syllables."""

    def __init__(self) -> None:
        self._unigrams: Counter[str] = Counter()
        self._bigrams: Counter[tuple[str, str]] = Counter()
        self._readings: dict[str, list[str]] = {}
        self._total = 0

    @classmethod
    def from_token_lists(cls, token_lists: Iterable[Sequence[str]], max_tokens: int = MAX_TOKENS,
                         prior: Iterable[Sequence[str]] = ()) -> DiacriticRestorer:
        """Count syllables and syllable pairs of `prior` and (at most `max_tokens` of) the
        indexed text."""
        restorer = cls()
        for tokens in prior:
            restorer._unigrams.update(tokens)
            restorer._bigrams.update(zip(tokens, tokens[1:], strict=False))
            restorer._total += len(tokens)
        for tokens in token_lists:
            restorer._unigrams.update(tokens)
            restorer._bigrams.update(zip(tokens, tokens[1:], strict=False))
            restorer._total += len(tokens)
            if restorer._total >= max_tokens:
                break
        by_folded: dict[str, Counter[str]] = {}
        for token, count in restorer._unigrams.items():
            by_folded.setdefault(fold(token), Counter())[token] += count
        restorer._readings = {
            folded: [token for token, _ in counts.most_common(MAX_CANDIDATES)]
            for folded, counts in by_folded.items()
        }
        return restorer

    def _candidates(self, token: str) -> list[str]:
        if fold(token) != token:  # typed with diacritics: keep
            return [token]
        return self._readings.get(token) or [token]

    def _log_probability(self, previous: str | None, token: str) -> float:
        unigram = (self._unigrams[token] + _SMOOTHING) / (self._total + _SMOOTHING)
        if previous is None:
            return math.log(unigram)
        pair = self._bigrams[(previous, token)]
        return math.log((pair + _SMOOTHING * unigram) / (self._unigrams[previous] + _SMOOTHING))

    def restore(self, tokens: Sequence[str]) -> list[str]:
        """The most likely accented reading of `tokens` (Viterbi over candidate readings)."""
        if not tokens or not self._total:
            return list(tokens)
        best: dict[str, tuple[float, list[str]]] = {
            reading: (self._log_probability(None, reading), [reading])
            for reading in self._candidates(tokens[0])
        }
        for token in tokens[1:]:
            step: dict[str, tuple[float, list[str]]] = {}
            for reading in self._candidates(token):
                score, path = max(
                    (previous_score + self._log_probability(previous, reading), previous_path)
                    for previous, (previous_score, previous_path) in best.items()
                )
                step[reading] = (score, [*path, reading])
            best = step
        return max(best.values())[1]
