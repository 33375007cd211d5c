"""Dense vector index: exact inner-product search over L2-normalised chunk embeddings.

A FAISS `IndexIDMap2` over `IndexFlatIP`, keyed by chunk id, so that one document can be added
or removed without rebuilding the others, and the ids found are the SQL ids of the chunks.
Exact (flat) search is fast enough for a school or commune knowledge base (tens of thousands
of chunks) and has no training step or recall loss.
"""

from __future__ import annotations

import os
from pathlib import Path

import faiss
import numpy as np

from retrieval.errors import IndexFileError


class DenseIndex:
    """Chunk vectors by chunk id; cosine similarity through inner product."""

    def __init__(self, dimension: int) -> None:
        self.dimension = dimension
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def ids(self) -> np.ndarray:
        """The chunk ids held, as int64."""
        return faiss.vector_to_array(self._index.id_map).astype(np.int64)

    def add(self, ids: np.ndarray | list[int], vectors: np.ndarray) -> None:
        """Add vectors (n, dimension) under the given chunk ids (replacing ids already held)."""
        id_array = np.asarray(ids, dtype=np.int64).reshape(-1)
        matrix = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dimension)
        if len(id_array) != len(matrix):
            raise ValueError(f"{len(id_array)} ids for {len(matrix)} vectors")
        if len(id_array) == 0:
            return
        self.remove(id_array)
        self._index.add_with_ids(matrix, id_array)

    def remove(self, ids: np.ndarray | list[int]) -> int:
        """Remove the vectors of these chunk ids; returns how many were removed."""
        id_array = np.asarray(ids, dtype=np.int64).reshape(-1)
        if len(id_array) == 0 or len(self) == 0:
            return 0
        return int(self._index.remove_ids(faiss.IDSelectorBatch(id_array)))

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Best `k` (ids, scores) for one query vector, best first (fewer in a small index)."""
        if len(self) == 0 or k <= 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        vector = np.ascontiguousarray(query, dtype=np.float32).reshape(1, self.dimension)
        scores, ids = self._index.search(vector, min(k, len(self)))
        keep = ids[0] >= 0
        return ids[0][keep].astype(np.int64), scores[0][keep]

    def reconstruct(self, chunk_id: int) -> np.ndarray:
        """The stored vector of one chunk (KeyError-like RuntimeError from FAISS when absent)."""
        return self._index.reconstruct(int(chunk_id))

    def save(self, path: Path) -> None:
        """Write the index to `path` atomically (temporary file, then rename)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        faiss.write_index(self._index, str(temporary))
        os.replace(temporary, path)

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        """Read an index written by `save`."""
        try:
            raw = faiss.read_index(str(path))
        except RuntimeError as error:
            raise IndexFileError(f"Cannot read dense index {path}: {error}") from error
        if not isinstance(raw, faiss.IndexIDMap2):
            raise IndexFileError(f"{path} is not an ID-mapped FAISS index")
        index = cls(raw.d)
        index._index = raw
        return index
