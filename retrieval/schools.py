"""Which schools a text names, so a question about one school is not answered from another's.

A commune's knowledge base speaks of a handful of schools by level and proper name ("Trường
Tiểu học Hòa An", "TRƯỜNG THPT UNG VĂN KHIÊM").  Parents name them the same way, typed any
way ("thpt hoa an", "tiểu học Hòa An").  A school here is a pair (level, folded name): the
level is one of the folded level keys of `LEVELS` and the name the capitalised words after it
in the documents ("hoa an", "ung van khiem").

Documents are read with their capital letters (a proper name is what is capitalised after the
level).  Questions mostly cannot be (parents type in lower case), so a question names a school
when a level is followed by a name some document of the knowledge base uses ("thpt hoa an"),
or by capitalised words when it was typed with them ("THCS Nguyễn Trãi").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from retrieval.normalize import expand, fold

School = tuple[str, str]  # (level key, folded name)

# Folded, expanded level phrases -> level key ("thcs" is expanded before matching).
LEVELS = {"mam non": "mam_non", "mau giao": "mam_non", "nha tre": "mam_non",
          "tieu hoc": "tieu_hoc", "trung hoc co so": "co_so", "trung hoc pho thong": "pho_thong",
          "cap 1": "tieu_hoc", "cap 2": "co_so", "cap 3": "pho_thong"}  # "cấp 2" as parents say
# The grades each school level teaches and how a document writes the level out: the one
# table `LEVEL_GRADES` and the answerability features ("học phí lớp 7" read as "trung học cơ
# sở") derive from.
GRADED_LEVELS = {"tieu_hoc": (range(1, 6), "tiểu học"),
                 "co_so": (range(6, 10), "trung học cơ sở"),
                 "pho_thong": (range(10, 13), "trung học phổ thông")}
# The grades a school of each level teaches ("1-5"), as documents' `grade` writes them.
LEVEL_GRADES = {"mam_non": "mầm non"} | {
    level: f"{grades[0]}-{grades[-1]}" for level, (grades, _) in GRADED_LEVELS.items()}
# A level as staff write it in a school's name ("Trường THCS Hòa An").
_LEVEL_NAMES = {"mam_non": "Mầm non", "tieu_hoc": "Tiểu học", "co_so": "THCS", "pho_thong": "THPT"}
_MAX_NAME = 4  # syllables of a school's proper name
LETTERHEAD_CHARS = 400  # an official letter names its issuing school in its first lines
# Capitalised words that end a name rather than continue it ("Trường THPT Ung Văn Khiêm Năm
# học 2025", "TRƯỜNG THCS Độc lập"): folded.
_NOT_NAME = frozenset("nam va doc truong thong bao ke hoach ve so cong xa huyen tinh "
                      "phong ban uy".split())
_LEVEL_PATTERN = "mầm non|mẫu giáo|nhà trẻ|tiểu học|thcs|thpt|trung học cơ sở|trung học phổ thông"
# "Trường" + level, in any case, and what follows on the line (the name is read from it).
# One or two spaces before the name: a header's column gap ("TRƯỜNG THPT      Độc lập") is none.
_NAMED = re.compile(rf"\btrường[ \t]+({_LEVEL_PATTERN})[ \t]{{1,2}}(?=(\S[^\n]{{0,59}}))",
                    re.IGNORECASE)
# A question may name a school without "trường" ("lịch thi của THCS Nguyễn Trãi").
_BARE = re.compile(rf"\b({_LEVEL_PATTERN})[ \t]{{1,2}}(?=(\S[^\n]{{0,59}}))", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+|\S")


def _level_key(words: list[str]) -> str | None:
    return LEVELS.get(" ".join(words))


def schools_in_text(text: str, letterhead: bool = False, bare: bool = False) -> set[School]:
    """The schools a document's text names ("Trường THCS Hòa An" -> ("co_so", "hoa an")); with
    `letterhead`, only those in capitals ("TRƯỜNG THPT UNG VĂN KHIÊM"), as an official letter
    names the school issuing it; with `bare`, also without "trường" (a question's wording)."""
    return set(school_names_in_text(text, letterhead, bare))


def school_names_in_text(text: str, letterhead: bool = False, bare: bool = False
                         ) -> dict[School, str]:
    """`schools_in_text` with the name each school is written with, as a label ("TRƯỜNG THPT UNG
    VĂN KHIÊM" -> "Trường THPT Ung Văn Khiêm"); the first mention's wording wins."""
    found: dict[School, str] = {}
    for match in (_BARE if bare else _NAMED).finditer(text):
        if letterhead and not match.group(0).isupper():
            continue
        level = _level_key(fold(expand(match.group(1))).split())
        words = []
        for word in _WORD.findall(match.group(2))[:_MAX_NAME]:
            if not word[0].isupper() or not word.isalpha() or fold(word) in _NOT_NAME:
                break
            words.append(word)
        if level and words:
            name = " ".join(words)
            name = name.title() if name.isupper() else name  # a letterhead's capitals
            found.setdefault((level, fold(" ".join(words))),
                             f"Trường {_LEVEL_NAMES[level]} {name}")
    return found


def schools_in_name(name: str) -> set[School]:
    """The school a document's `school` or `issuer` names ("Trường Mầm non Hoa Sen", "THCS Hòa
    An"); nothing for an issuer that is not a school ("Bộ Giáo dục và Đào tạo")."""
    return schools_in_text(name if fold(name).startswith("truong") else f"Trường {name}")


def asked_schools(folded: list[str], names: Iterable[str]) -> set[School]:
    """Schools a question names: a level followed by a name the knowledge base knows.

    `folded` are the question's folded, expanded syllables; `names` the folded school names of
    the knowledge base ("hoa an").  The longest known name after the level wins.
    """
    return {school for _, _, school in school_spans(folded, names)}


def school_spans(folded: list[str], names: Iterable[str]) -> list[tuple[int, int, School]]:
    """Where a question names a school (see `asked_schools`): (start, end, school) per mention,
    the span covering the level and the name ("truong" before it too)."""
    by_length = sorted({tuple(name.split()) for name in names}, key=len, reverse=True)
    found: list[tuple[int, int, School]] = []
    for start in range(len(folded)):
        for phrase, level in LEVELS.items():
            size = len(phrase.split())
            if " ".join(folded[start:start + size]) != phrase:
                continue
            rest = tuple(folded[start + size:start + size + _MAX_NAME])
            for name in by_length:
                if rest[:len(name)] == name:
                    first = start - 1 if start and folded[start - 1] == "truong" else start
                    found.append((first, start + size + len(name), (level, " ".join(name))))
                    break
    return found


def school_label(school: School, written: Iterable[str] = ()) -> str | None:
    """How staff and parents see a school: the first of its `written` names (documents' `school`
    or issuer as staff typed them, then labels read from documents' text) that names it."""
    for name in written:
        if school in schools_in_name(name):
            return name
    return None


def grade_set(value: str) -> set[str]:
    """Grades a value names: "6-9" -> {"6", "7", "8", "9"}, "lớp 1, 2" -> {"1", "2"},
    "mầm non" -> {"mam non"}."""
    folded = fold(value)
    grades: set[str] = set()
    for start, end in re.findall(r"(\d+)\s*(?:-|–|đến|den)\s*(\d+)", folded):
        grades.update(str(n) for n in range(int(start), int(end) + 1))
    grades.update(re.findall(r"\d+", folded))
    if not grades:
        for word in ("lop ", "khoi "):
            folded = folded.replace(word, "")
        grades.add(folded.strip())
    return grades


_CLASS = re.compile(r"(\d{1,2})(?:[a-z]\d{0,2})?")


def class_grade(word: str) -> str | None:
    """The grade a folded word after "lớp"/"khối" names: "7" -> "7", a class "8a" or "10a1" ->
    "8", "10"; None for anything else or a number no school teaches ("lớp 15")."""
    match = _CLASS.fullmatch(word)
    if match is None or not 1 <= int(match.group(1)) <= 12:
        return None
    return str(int(match.group(1)))


@functools.lru_cache(maxsize=256)
def school_grades(name: str) -> str | None:
    """The grades a school teaches, from its name's level ("Trường THCS Hòa An" -> "6-9"); None
    for a name that is not one school's (read once per name: searches ask often)."""
    levels = {level for level, _ in schools_in_name(name)}
    return LEVEL_GRADES.get(levels.pop()) if len(levels) == 1 else None
