"""Other phrasings of a question, from synonym groups: the bundled `synonyms.tsv` and the
knowledge base's own list, which staff edit in the admin web (`BOT_DATA_DIR/synonyms.tsv`).

Official documents say "cha mẹ học sinh", parents say "phụ huynh": BM25 alone then ranks a
passage that happens to contain "phụ huynh" above the meeting notice the parent asks about.
The searcher scores the question as written and as each variant, and keeps a chunk's best share
(`retrieval.searcher.Searcher._candidates`).  Phrases are found on accent-folded syllables, so
"hop phu huynh" typed without diacritics gets the same variants.

Both files are read again when they change (checked at every question: one `stat` each), so a
running action server uses a group staff saved with its next question, without a restart.
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from retrieval import normalize

SYNONYMS_FILE = Path(__file__).with_name("synonyms.tsv")
LOCAL_FILE_NAME = "synonyms.tsv"  # in the knowledge base's data folder
MAX_VARIANTS = 4  # bounds the extra BM25 passes per question
MAX_LOCAL_GROUPS = 300
MAX_LINE_CHARS = 300
_SEPARATORS = re.compile(r"[,;\t=]")  # how staff separate phrasings in the form

Groups = tuple[tuple[tuple[str, ...], ...], ...]
_LOCAL_HEADER = (
    "# Từ đồng nghĩa của cơ sở tri thức này, do cán bộ nhập ở trang quản trị (Từ đồng nghĩa).\n"
    "# Mỗi dòng một nhóm, các cách nói cách nhau bằng dấu TAB. Tệp được ghi lại mỗi lần lưu.\n"
)


def local_file(data_dir: Path) -> Path:
    """Where a knowledge base keeps the groups its staff added."""
    return data_dir / LOCAL_FILE_NAME


def _rows(path: Path) -> list[list[str]]:
    """The phrasings of each line of a synonym file, as written (comments and blank lines
    skipped)."""
    return [[part.strip() for part in line.split("\t") if part.strip()]
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


@functools.lru_cache(maxsize=8)
def _read(path: Path, stamp: tuple[int, int]) -> Groups:
    groups = (tuple(tuple(normalize.tokens(part)) for part in row) for row in _rows(path))
    return tuple(group for group in groups if len(group) > 1)


def load_groups(path: Path = SYNONYMS_FILE) -> Groups:
    """Synonym groups of a file as accented token tuples (comments and blank lines skipped);
    none when the file does not exist.  Read again when the file changes."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return ()
    return _read(path, (stat.st_mtime_ns, stat.st_size))


def groups_for(data_dir: Path | None) -> Groups:
    """The groups a knowledge base uses: its staff's first (they are about its own documents),
    then the bundled ones."""
    bundled = load_groups(SYNONYMS_FILE)
    return bundled if data_dir is None else load_groups(local_file(data_dir)) + bundled


def _find(folded: Sequence[str], phrase: Sequence[str]) -> int:
    """Start of the first occurrence of `phrase` (folded) in `folded`, or -1."""
    size = len(phrase)
    for start in range(len(folded) - size + 1):
        if tuple(folded[start:start + size]) == tuple(phrase):
            return start
    return -1


def variants(tokens: Sequence[str], groups: Sequence[Sequence[Sequence[str]]] | None = None
             ) -> list[list[str]]:
    """The question's tokens with one phrasing of a group replaced by each other phrasing."""
    groups = load_groups() if groups is None else groups
    folded = [normalize.fold(token) for token in tokens]
    found: list[list[str]] = []
    for group in groups:
        for phrasing in group:
            start = _find(folded, [normalize.fold(token) for token in phrasing])
            if start < 0:
                continue
            for other in group:
                if other is not phrasing:
                    found.append([*tokens[:start], *other, *tokens[start + len(phrasing):]])
            break  # one phrasing per group is enough
    return found[:MAX_VARIANTS]


# The staff's list, as the admin web shows and saves it.

def staff_text(data_dir: Path) -> str:
    """The knowledge base's own groups, one per line, phrasings separated by ", "."""
    path = local_file(data_dir)
    return "\n".join(", ".join(row) for row in _rows(path)) if path.exists() else ""


def parse_staff_text(text: str) -> tuple[list[list[str]], list[str]]:
    """Groups typed in the admin form (one per line, phrasings separated by commas) and the
    problems found, in Vietnamese, naming the line.  A phrasing is kept as typed (normalised:
    lower case, NFC, single spaces); one of a single syllable is refused, as it would match too
    much ("thi", "con")."""
    groups: list[list[str]] = []
    errors: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if len(line) > MAX_LINE_CHARS:
            errors.append(f"Dòng {number}: dài quá {MAX_LINE_CHARS} ký tự.")
            continue
        phrasings: list[str] = []
        for part in _SEPARATORS.split(line):
            phrasing = normalize.normalize(part)
            if phrasing and normalize.fold(phrasing) not in map(normalize.fold, phrasings):
                phrasings.append(phrasing)
        short = [phrasing for phrasing in phrasings if len(normalize.tokens(phrasing)) < 2]
        if short:
            errors.append(f"Dòng {number}: “{short[0]}” chỉ có một tiếng; mỗi cách nói cần ít nhất "
                          "hai tiếng để không khớp nhầm sang câu hỏi khác.")
        elif len(phrasings) < 2:
            errors.append(f"Dòng {number}: cần ít nhất hai cách nói khác nhau, cách nhau bằng dấu "
                          "phẩy (ví dụ: “phụ huynh, cha mẹ học sinh”).")
        else:
            groups.append(phrasings)
    if len(groups) > MAX_LOCAL_GROUPS:
        errors.append(f"Tối đa {MAX_LOCAL_GROUPS} nhóm; danh sách có {len(groups)} nhóm.")
    return groups, errors


def save_staff_groups(data_dir: Path, groups: Sequence[Sequence[str]]) -> Path:
    """Write the knowledge base's own groups (replacing them), atomically: a searcher reading
    the file meanwhile sees the old list or the new one, never half of it."""
    path = local_file(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = _LOCAL_HEADER + "".join("\t".join(group) + "\n" for group in groups)
    handle, temporary = tempfile.mkstemp(prefix=".synonyms-", suffix=".tsv", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(body)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
