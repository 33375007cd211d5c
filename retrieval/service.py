"""The knowledge base as callers see it: one question in, one `Answer` out.

The Rasa action server, the `bot ask` / `bot eval` commands and the admin web use this facade
and nothing below it.  It owns the embedding model and the loaded index version, and picks
up a new index version (written by `retrieval.index.sync_index` in any process) within
`reload_interval_seconds`, without a restart.
"""

from __future__ import annotations

import functools
import logging
from typing import Protocol

import numpy as np

from retrieval.answer import NO_ANSWER_TEXT, compose
from retrieval.index import IndexWatcher
from retrieval.schools import School
from retrieval.searcher import Searcher, SearchResult
from retrieval.settings import RetrievalSettings, get_retrieval_settings
from retrieval.types import Answer, SearchContext

logger = logging.getLogger(__name__)


class Encoder(Protocol):
    """The part of `retrieval.embeddings.Embedder` the knowledge base uses."""

    def load(self) -> object: ...

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...


class KnowledgeBase:
    """Answers questions from the current index version of one knowledge base."""

    def __init__(self, settings: RetrievalSettings | None = None,
                 embedder: Encoder | None = None) -> None:
        self.settings = settings or get_retrieval_settings()
        self._embedder = embedder
        self._watcher = IndexWatcher(self.settings)
        self._searcher: Searcher | None = None

    def load(self) -> KnowledgeBase:
        """Load the embedding model and the current index version (idempotent)."""
        if self._embedder is None:
            from retrieval.embeddings import get_embedder

            self._embedder = get_embedder()
        self._embedder.load()
        self._watcher.refresh()
        return self

    @property
    def version(self) -> int | None:
        """The loaded index version (None before anything was indexed)."""
        snapshot = self._watcher.snapshot
        return snapshot.version if snapshot else None

    def _current_searcher(self) -> Searcher | None:
        if self._embedder is None:
            self.load()
        snapshot = self._watcher.current()
        if snapshot is None:
            return None
        searcher = self._searcher
        if searcher is None or searcher.snapshot is not snapshot:
            assert self._embedder is not None
            searcher = Searcher(snapshot, self._embedder, self.settings)
            self._searcher = searcher
        return searcher

    def search(self, question: str, context: SearchContext | None = None) -> SearchResult:
        """Ranked chunks and confidence (empty when nothing is indexed yet)."""
        searcher = self._current_searcher()
        if searcher is None:
            return SearchResult([], 0.0, [])
        return searcher.search(question, context)

    def schools(self) -> dict[School, str]:
        """The schools documents belong to, each with the name it is shown with (staff filter
        questions and tickets by it); empty before anything is indexed."""
        searcher = self._current_searcher()
        return searcher.snapshot.school_labels() if searcher else {}

    def answer(self, question: str, context: SearchContext | None = None) -> Answer:
        """The reply to a knowledge question (see `retrieval.answer`)."""
        searcher = self._current_searcher()
        if searcher is None:
            logger.warning("No index yet under %s: run `bot kb reindex`", self.settings.data_dir)
            return Answer(answered=False, answer=NO_ANSWER_TEXT, confidence=0.0)
        result = searcher.search(question, context)
        return compose(result, searcher.snapshot.bm25, self.settings)


@functools.lru_cache(maxsize=1)
def get_knowledge_base() -> KnowledgeBase:
    """The process-wide knowledge base, loaded on first use."""
    return KnowledgeBase().load()
