"""Test helpers for search: a deterministic fake embedder and direct SQL rows.

The fake embedder hashes folded syllables and syllable pairs into a small vector, so texts that
share words are similar, like a real embedding but without loading a model.
"""

from __future__ import annotations

import datetime as dt
import zlib
from pathlib import Path

import numpy as np

from retrieval import normalize
from retrieval.settings import RetrievalSettings
from storage.db import session_scope
from storage.kb_models import Chunk, Document

DIMENSION = 64


class FakeEmbedder:
    """Same methods as `retrieval.embeddings.Embedder`; bag of hashed folded words."""

    def __init__(self, model_id: str = "fake-bow-64") -> None:
        self.model_id = model_id
        self.dimension = DIMENSION
        self.loaded = False
        self.encoded_passages: list[str] = []

    def load(self) -> FakeEmbedder:
        self.loaded = True
        return self

    def _encode(self, texts: list[str]) -> np.ndarray:
        matrix = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for row, text in enumerate(texts):
            words = normalize.folded_tokens(text)
            for feature in words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]:
                matrix[row, zlib.crc32(feature.encode()) % DIMENSION] += 1.0
            norm = np.linalg.norm(matrix[row])
            matrix[row] = matrix[row] / norm if norm else matrix[row]
            matrix[row, 0] += 0.0 if norm else 1.0  # empty text: a unit vector all the same
        return matrix

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        self.encoded_passages.extend(texts)
        return self._encode(texts)


def make_settings(data_dir: Path, **overrides: object) -> RetrievalSettings:
    """Settings for a knowledge base in `data_dir`, with the fake embedder's similarity scale."""
    values: dict[str, object] = {"data_dir": data_dir, "dense_low": 0.0, "dense_high": 1.0,
                                 "reload_interval_seconds": 0.0}
    values.update(overrides)
    return RetrievalSettings(**values)


def database_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'bot.sqlite3'}"


def add_document(
    data_dir: Path,
    doc_id: str,
    title: str,
    chunks: list[tuple[str | None, str]],
    *,
    kind: str = "document",
    number: str | None = None,
    issued: dt.date | None = None,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    school: str | None = None,
    grade: str | None = None,
    source_url: str | None = None,
    questions: list[str] | None = None,
) -> None:
    """Insert (or replace) a document and its chunks (section, text) the way ingestion does."""
    with session_scope(database_url(data_dir)) as session:
        existing = session.get(Document, doc_id)
        if existing is not None:
            session.delete(existing)
            session.flush()
        document = Document(
            id=doc_id, title=title, kind=kind, number=number, issued=issued,
            valid_from=valid_from, valid_until=valid_until, school=school, grade=grade,
            source_url=source_url, questions=questions or [],
        )
        session.add(document)
        for ordinal, (section, text) in enumerate(chunks):
            head = " ".join([title, section or "", *(questions or [])])
            session.add(Chunk(doc_id=doc_id, ordinal=ordinal, section=section, text=text,
                              search_text=f"{head}\n{text}"))


def set_status(data_dir: Path, doc_id: str, status: str) -> None:
    with session_scope(database_url(data_dir)) as session:
        document = session.get(Document, doc_id)
        assert document is not None
        document.status = status
