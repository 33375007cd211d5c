"""Combining the dense and the lexical ranking, and the logistic function.

Pure functions over (id, score) lists, so they can be tested with tiny inputs and swapped
after measuring on the dev set (`scripts/eval_retrieval.py`):

- `reciprocal_rank_fusion`: scores by rank only (1 / (k + rank)); robust, but throws away how
  far ahead the leader is, which is what a confidence needs.
- `score_mix`: a weighted sum of calibrated scores: cosine similarity mapped linearly from
  the range where e5 separates unrelated from related text, and the BM25 score divided by
  its ceiling for the question (the idf-weighted share of the question a chunk covers).
  Both land in [0, 1] on a scale that does not depend on the size of the knowledge base.
- `logistic`: the logistic function, for `retrieval.answerability`'s model.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

Ranking = Sequence[tuple[int, float]]


def reciprocal_rank_fusion(
    rankings: Iterable[Ranking], k: float = 60.0, weights: Sequence[float] | None = None
) -> list[tuple[int, float]]:
    """Sum of weight / (k + rank) over rankings (rank 1 = best); best first, ties by id."""
    fused: dict[int, float] = {}
    for position, ranking in enumerate(rankings):
        weight = 1.0 if weights is None else weights[position]
        for rank, (item, _score) in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return sorted(fused.items(), key=lambda pair: (-pair[1], pair[0]))


def scale(value: float, low: float, high: float) -> float:
    """Map `value` linearly so that `low` -> 0 and `high` -> 1, clipped to [0, 1]."""
    if high <= low:
        raise ValueError("high must be greater than low")
    return min(1.0, max(0.0, (value - low) / (high - low)))


def score_mix(
    dense: Ranking,
    lexical: Ranking,
    *,
    lexical_ceiling: float,
    dense_weight: float = 0.5,
    dense_low: float = 0.75,
    dense_high: float = 0.92,
) -> list[tuple[int, float]]:
    """Weighted sum of calibrated dense and lexical scores; best first, ties by id.

    `dense` holds cosine similarities, `lexical` BM25 scores and `lexical_ceiling` the highest
    BM25 score possible for the question (`BM25Index.max_score`).  An item missing from one
    list contributes 0 from that side.
    """
    mixed: dict[int, float] = {}
    for item, score in dense:
        mixed[item] = dense_weight * scale(score, dense_low, dense_high)
    if lexical_ceiling > 0:
        for item, score in lexical:
            share = min(1.0, max(0.0, score / lexical_ceiling))
            mixed[item] = mixed.get(item, 0.0) + (1.0 - dense_weight) * share
    return sorted(mixed.items(), key=lambda pair: (-pair[1], pair[0]))


def logistic(value: float) -> float:
    """The logistic function, safe for large magnitudes."""
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    exponential = math.exp(value)
    return exponential / (1.0 + exponential)

