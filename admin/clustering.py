"""Grouping questions by meaning, so staff answer "hoc phi bao nhieu", "học phí năm nay?" and
"tiền học kỳ này bao nhiêu" once instead of three times.

Each question is embedded like a search query (`retrieval.embeddings`, e5 "query: " prefix),
after the syllables typed without diacritics get their most likely reading in the knowledge
base (`retrieval.searcher.dense_query_text`, the same text search embeds).  That step matters:
the e5 model puts "hoc phi bao nhieu" closer to unrelated accent-free questions than to
"học phí năm nay?".  Vectors are then clustered with average-linkage agglomerative clustering
on cosine distance (scikit-learn): two groups merge while the mean similarity between their
questions is at least `threshold`.  Average linkage was measured against
`sentence_transformers.util.community_detection` on fee / Tết holiday / uniform / canteen fee /
unrelated questions (tests/admin/test_clustering.py): community detection grows a group around
one centre and, at every threshold from 0.86 to 0.90, pulled the canteen fee or a
swimming-contest question into the school-fee group; average linkage kept the topics apart from
0.88 to 0.90 (below, the canteen fee joins the school fee; above 0.90 "tiền học kỳ này" splits
off).  `AdminSettings.cluster_threshold` defaults to 0.89, the middle of that range.

Vectors are cached in memory by embedded text, so reloading the review page only encodes
questions that arrived since the last visit.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from retrieval.diacritics import DiacriticRestorer
from retrieval.index import IndexWatcher
from retrieval.searcher import dense_query_text
from retrieval.settings import RetrievalSettings, get_retrieval_settings

logger = logging.getLogger(__name__)

CACHE_SIZE = 20_000  # vectors kept (about 1.5 KB each for e5-small)


class QueryEncoder(Protocol):
    """The part of `retrieval.embeddings.Embedder` clustering needs."""

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...


def cluster_vectors(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """Groups of row indices whose average pairwise cosine similarity is at least `threshold`.

    Rows must be L2-normalised.  Groups are ordered by their first row, rows ascending;
    every row is in exactly one group (a lone question is a group of one).
    """
    count = int(vectors.shape[0]) if vectors.ndim == 2 else 0
    if count == 0:
        return []
    if count == 1:
        return [[0]]
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=1.0 - threshold
    )
    labels = model.fit_predict(np.asarray(vectors, dtype=np.float64))
    groups: dict[int, list[int]] = {}
    for row, label in enumerate(labels):
        groups.setdefault(int(label), []).append(row)
    return sorted(groups.values(), key=lambda rows: rows[0])


def representative(vectors: np.ndarray, rows: Sequence[int]) -> int:
    """The row of `rows` most similar on average to the others (the group's medoid)."""
    if len(rows) <= 2:
        return rows[0]
    members = vectors[list(rows)]
    mean_similarity = (members @ members.T).mean(axis=1)
    return rows[int(np.argmax(mean_similarity))]


class QuestionVectors:
    """Embeds questions as search queries, remembering vectors already computed."""

    def __init__(self, encoder: QueryEncoder, capacity: int = CACHE_SIZE) -> None:
        self._encoder = encoder
        self._capacity = capacity
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._cache)

    def encode(self, texts: Sequence[str], restorer: DiacriticRestorer | None = None) -> np.ndarray:
        """One L2-normalised vector per text, in order (diacritics restored with `restorer`).

        One call at a time: encoding is CPU-bound, so concurrent page loads gain nothing.
        """
        keys = [dense_query_text(text, restorer) for text in texts]
        if not keys:
            return np.zeros((0, 0), dtype=np.float32)
        with self._lock:
            missing = list(dict.fromkeys(key for key in keys if key not in self._cache))
            if missing:
                for key, vector in zip(missing, self._encoder.encode_queries(missing), strict=True):
                    self._cache[key] = np.asarray(vector, dtype=np.float32)
            rows = []
            for key in keys:
                self._cache.move_to_end(key)
                rows.append(self._cache[key])
            while len(self._cache) > max(self._capacity, len(set(keys))):
                self._cache.popitem(last=False)
        return np.stack(rows)


def group_texts(
    texts: Sequence[str],
    *,
    vectors: QuestionVectors,
    threshold: float,
    restorer: DiacriticRestorer | None = None,
) -> tuple[list[list[int]], np.ndarray]:
    """Groups of indices into `texts` (see `cluster_vectors`) and the vectors used."""
    matrix = vectors.encode(texts, restorer)
    groups = cluster_vectors(matrix, threshold)
    logger.debug("grouped %d questions into %d groups (threshold %.2f)", len(texts), len(groups), threshold)
    return groups, matrix


@functools.lru_cache(maxsize=1)
def question_vectors() -> QuestionVectors:
    """The process-wide vector cache over the configured embedding model (loaded on first use)."""
    from retrieval.embeddings import get_embedder

    return QuestionVectors(get_embedder())


_watchers: dict[Path, IndexWatcher] = {}
_watchers_lock = threading.Lock()


def current_restorer(settings: RetrievalSettings | None = None) -> DiacriticRestorer | None:
    """The diacritic restorer of the index version in use (None before anything is indexed)."""
    settings = settings or get_retrieval_settings()
    with _watchers_lock:
        watcher = _watchers.get(settings.data_dir)
        if watcher is None:
            watcher = _watchers[settings.data_dir] = IndexWatcher(settings)
    snapshot = watcher.current()
    return snapshot.restorer() if snapshot is not None else None
