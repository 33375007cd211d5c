"""The FAISS ID-mapped inner-product index: add, replace, remove, search, save and load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.dense import DenseIndex
from retrieval.errors import IndexFileError


def unit(*values: float) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_search_returns_ids_best_first_with_cosine_scores() -> None:
    index = DenseIndex(3)
    index.add([10, 20, 30], np.stack([unit(1, 0, 0), unit(0, 1, 0), unit(1, 1, 0)]))
    ids, scores = index.search(unit(1, 0.1, 0), k=2)
    assert ids.tolist() == [10, 30]
    assert scores[0] == pytest.approx(float(unit(1, 0.1, 0) @ unit(1, 0, 0)), abs=1e-6)
    assert scores[0] > scores[1]


def test_empty_index_and_k_larger_than_size() -> None:
    index = DenseIndex(3)
    ids, scores = index.search(unit(1, 0, 0), k=5)
    assert len(ids) == 0 and len(scores) == 0
    index.add([7], unit(0, 0, 1)[None, :])
    ids, _ = index.search(unit(1, 0, 0), k=5)
    assert ids.tolist() == [7]


def test_add_same_id_replaces_vector_and_remove_drops_it() -> None:
    index = DenseIndex(2)
    index.add([1, 2], np.stack([unit(1, 0), unit(0, 1)]))
    index.add([1], unit(0, 1)[None, :])
    assert len(index) == 2
    np.testing.assert_allclose(index.reconstruct(1), unit(0, 1))
    assert index.remove([1, 99]) == 1
    assert sorted(index.ids().tolist()) == [2]
    assert index.remove([]) == 0


def test_mismatched_ids_and_vectors_rejected() -> None:
    with pytest.raises(ValueError):
        DenseIndex(2).add([1, 2], unit(1, 0)[None, :])


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    index = DenseIndex(2)
    index.add([5, 6], np.stack([unit(1, 0), unit(1, 1)]))
    index.save(tmp_path / "dense.faiss")
    loaded = DenseIndex.load(tmp_path / "dense.faiss")
    assert loaded.dimension == 2
    assert sorted(loaded.ids().tolist()) == [5, 6]
    assert loaded.search(unit(1, 0), 1)[0].tolist() == [5]
    assert not (tmp_path / "dense.faiss.tmp").exists()


def test_load_of_garbage_raises_index_file_error(tmp_path: Path) -> None:
    (tmp_path / "dense.faiss").write_bytes(b"not an index")
    with pytest.raises(IndexFileError):
        DenseIndex.load(tmp_path / "dense.faiss")
