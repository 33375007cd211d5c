"""Vietnamese text normalisation shared by the Rasa pipeline, retrieval and the connectors.

Parents type with or without diacritics, in NFC or NFD, with either tone-mark placement
("hoà"/"hòa") and with abbreviations ("hs", "ko", "bn").  Every component that compares
Vietnamese text goes through this one module so that those variants meet.

Standard library only: Rasa (Python 3.10, no extra packages) imports it through
`bot.components`, the application (Python 3.11) imports it everywhere else.

Forms produced here:
- `normalize(text)`: NFC, one tone-mark placement (the "old" style: hòa, thúy, khỏe),
  lower case, collapsed whitespace.  Punctuation is kept.
- `fold(text)`: `normalize` without any diacritics ("đ" becomes "d").
- `expand(text)`: `normalize` with abbreviations/teencode replaced by their full words.
- `tokens(text)`: syllable tokens (letters/digits) of `expand(text)`.
- `folded_tokens(text)`: the same tokens accent-folded.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

__all__ = [
    "canonical_tone",
    "expand",
    "fold",
    "folded_tokens",
    "has_diacritics",
    "load_abbreviations",
    "normalize",
    "tokens",
]

# Combining tone marks (NFD): grave, acute, tilde, hook above, dot below.
_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
# Plain vowels and vowels carrying a quality mark (breve, circumflex, horn) once tones are removed.
_VOWELS = set("aăâeêioôơuưy")
_MARKED_VOWELS = set("ăâêôơư")
_WORD_RE = re.compile(r"\w+", re.UNICODE)
_SPACE_RE = re.compile(r"\s+")
_ABBREVIATIONS_FILE = Path(__file__).with_name("abbreviations.tsv")


def _split_tone(syllable: str) -> tuple[str, str | None]:
    """Return the syllable without its tone mark (NFC) and the tone mark, if any."""
    decomposed = unicodedata.normalize("NFD", syllable)
    tone = None
    kept = []
    for char in decomposed:
        if char in _TONE_MARKS:
            tone = char
        else:
            kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept)), tone


def _tone_position(base: str) -> int | None:
    """Index in `base` (lower case, no tone) of the vowel that carries the tone."""
    lower = base.lower()
    start = 0
    # "qu" and "gi" (before another vowel) are onsets: their u/i do not take the tone.
    if lower.startswith("qu") and len(lower) > 2:
        start = 2
    elif lower.startswith("gi") and len(lower) > 2 and lower[2] in _VOWELS:
        start = 2
    positions = [i for i in range(start, len(lower)) if lower[i] in _VOWELS]
    if not positions:
        # "gì", "gìn": the i of "gi" is the only vowel.
        positions = [i for i in range(len(lower)) if lower[i] in _VOWELS]
        if not positions:
            return None
    # Only the contiguous vowel cluster counts.
    cluster = [positions[0]]
    for index in positions[1:]:
        if index == cluster[-1] + 1:
            cluster.append(index)
        else:
            break
    marked = [i for i in cluster if lower[i] in _MARKED_VOWELS]
    if marked:
        return marked[-1]  # "ươ" takes the tone on ơ; otherwise the one marked vowel
    if len(cluster) == 1:
        return cluster[0]
    if len(cluster) >= 3:
        return cluster[1]
    has_final_consonant = cluster[-1] + 1 < len(lower)
    return cluster[1] if has_final_consonant else cluster[0]


def canonical_tone(word: str) -> str:
    """Put the tone mark of one Vietnamese syllable where the "old" style puts it."""
    base, tone = _split_tone(word)
    if tone is None:
        return base
    position = _tone_position(base)
    if position is None:
        return unicodedata.normalize("NFC", word)
    marked = unicodedata.normalize("NFC", base[position] + tone)
    return base[:position] + marked + base[position + 1 :]


def normalize(text: str) -> str:
    """NFC, canonical tone placement, lower case, single spaces."""
    text = unicodedata.normalize("NFC", text).lower()
    text = _WORD_RE.sub(lambda match: canonical_tone(match.group(0)), text)
    return _SPACE_RE.sub(" ", text).strip()


def has_diacritics(text: str) -> bool:
    """True when `text` carries any Vietnamese diacritic (a tone or vowel mark, or "đ")."""
    decomposed = unicodedata.normalize("NFD", text)
    return any(unicodedata.combining(c) for c in decomposed) or "đ" in decomposed.lower()


def fold(text: str) -> str:
    """Normalised text without diacritics: "Đăng ký học" -> "dang ky hoc"."""
    decomposed = unicodedata.normalize("NFD", normalize(text))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped.replace("đ", "d"))


@functools.lru_cache(maxsize=4)
def load_abbreviations(path: str | None = None) -> dict[str, str]:
    """Read the abbreviation dictionary: one `abbreviation<TAB>expansion` per line, `#` comments."""
    source = Path(path) if path else _ABBREVIATIONS_FILE
    table: dict[str, str] = {}
    for line in source.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        short, _, full = line.partition("\t")
        if not full.strip():
            raise ValueError(f"{source}: dòng thiếu phần viết đầy đủ: {line!r}")
        table[normalize(short)] = normalize(full)
    return table


def expand(text: str, abbreviations: dict[str, str] | None = None) -> str:
    """Normalised text with abbreviations and teencode written out in full."""
    table = load_abbreviations() if abbreviations is None else abbreviations
    return _WORD_RE.sub(lambda m: table.get(m.group(0), m.group(0)), normalize(text))


def tokens(text: str) -> list[str]:
    """Syllable tokens of the expanded, normalised text."""
    return _WORD_RE.findall(expand(text))


def folded_tokens(text: str) -> list[str]:
    """Accent-folded syllable tokens of the expanded text."""
    return _WORD_RE.findall(fold(expand(text)))
