"""Follow-up questions: "còn lớp 6 thì sao?" right after "học phí lớp 1 bao nhiêu" asks "học phí
lớp 6 bao nhiêu"; "thế còn tiền ăn?" asks "tiền ăn lớp 1 bao nhiêu".

A follow-up starts with "còn / thế còn / vậy còn" or ends with "thì sao / thì thế nào / thì ra
sao", and says little else (at most `MAX_WORDS` words).  When what it says is only a grade, a
semester, a school level or a year, that part of the previous question is swapped for it (or
added).  Otherwise it is a new subject, asked about in the previous question's grade, semester,
level and year with the previous question's asking words ("bao nhiêu", "khi nào"), but only
after "còn" itself: "đón con muộn thì sao" is a question of its own, and "con" typed without
marks may be a child ("con bi om thi sao").

A question that asks only about an aspect of something ("giá bao nhiêu", "đăng ký ở đâu", "hồ
sơ gồm những gì") is about the previous question's subject: "đăng ký xe đưa đón ở đâu", then
"giá bao nhiêu" asks "đăng ký xe đưa đón giá bao nhiêu".

Standard library and `retrieval.normalize`/`retrieval.schools` only; words are matched
accent-folded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from retrieval.normalize import expand, fold
from retrieval.schools import LEVEL_GRADES, LEVELS, class_grade, grade_set

MAX_WORDS = 5
_LEADS = (("the", "con"), ("vay", "con"), ("the", "thi"), ("vay", "thi"), ("con",))
# "con tôi …" is a parent's child, not "còn …"
_NOT_AFTER_CON = frozenset({"toi", "em", "minh", "chau", "be", "nha", "trai", "gai", "cua"})
_TAILS = (("thi", "nhu", "the", "nao"), ("thi", "the", "nao"), ("thi", "ra", "sao"),
          ("thi", "sao"), ("the", "nao"), ("ra", "sao"), ("nua",))
_PARTICLES = frozenset({"a", "nhi", "vay", "nhe", "ha", "oi", "ad"})
# Words a follow-up may open with before "còn" or its subject ("vậy học kỳ 2 thì thế nào").
_OPENERS = frozenset({"thế", "vậy", "vay", "dạ", "da", "ừ", "à"})
# Words that say nothing beside a swapped grade or level ("còn trường THCS thì sao").
_CARRIERS = frozenset({"truong", "cua", "o", "voi", "cho", "the", "con", "nam", "hoc", "sinh",
                       "toi", "em", "minh", "chau", "be", "dang", "nha"})
_LEVELS = sorted((tuple(phrase.split()) for phrase in LEVELS), key=len, reverse=True)
_ASKING = (("bao", "nhieu"), ("khi", "nao"), ("bao", "gio"), ("o", "dau"), ("nhu", "the", "nao"),
           ("the", "nao"), ("may", "gio"), ("ngay", "nao"), ("la", "gi"), ("gom", "nhung", "gi"),
           ("co", "duoc", "khong"), ("co", "phai", "khong"), ("lam", "sao"), ("bao", "lau"),
           ("may", "tien"), ("co", "khong"), ("khong",), ("chua",))
# Aspects of a subject, which name none themselves (folded).
_ASPECTS = (("chi", "phi"), ("ho", "so"), ("thu", "tuc"), ("giay", "to"), ("thoi", "gian"),
            ("dia", "diem"), ("han", "chot"), ("lien", "he"), ("so", "dien", "thoai"),
            ("dang", "ky"), ("gia",), ("tien",), ("phi",), ("han",), ("lich",), ("gom",),
            ("nhung",), ("gi",), ("het",), ("mat",), ("la",), ("luc",), ("may",), ("thi",),
            ("co",), ("can",), ("phai",), ("nop",), ("dong",), ("o",))
# One-word aspects that end a subject's own name ("học phí", "lệ phí", "tiền"), kept there.
_COMPOUND_ENDS = frozenset({"phi", "tien"})
_YEAR = re.compile(r"20\d\d")
_SEMESTER_NUMBER = frozenset({"1", "2", "i", "ii"})

Span = tuple[str, int, int]  # kind, start, end (token positions)
# A grade and a school level say the same thing (who the question is for): one replaces the other.
_AXIS = {"grade": "audience", "level": "audience", "semester": "semester", "year": "year"}
# Units a count question names after "bao nhiêu" / "mấy" ("bao nhiêu ngày"), kept with it.
_UNITS = frozenset("ngay buoi tiet tien tuan thang lan phut gio mon nguoi dong nam".split())
_EDGE_PUNCTUATION = ".,?!;:…\"'()[]“”"


def tokens(text: str) -> list[str]:
    """The words of `text` as the bot repeats them: normalised, abbreviations written out,
    punctuation around words dropped and inside them kept ("30/4", "7h30")."""
    words = (word.strip(_EDGE_PUNCTUATION) for word in expand(text).split())
    return [word for word in words if word]


def _starts(words: Sequence[str], at: int, phrase: Sequence[str]) -> bool:
    return tuple(words[at:at + len(phrase)]) == tuple(phrase)


def _entities(words: Sequence[str]) -> list[Span]:
    """Grades ("lớp 6"), semesters ("học kỳ 2"), school levels and years, in order."""
    found: list[Span] = []
    position = 0
    while position < len(words):
        word = words[position]
        after = words[position + 1] if position + 1 < len(words) else ""
        if word in ("lop", "khoi") and class_grade(after):  # "lớp 6", a class "lớp 8A"
            found.append(("grade", position, position + 2))
            position += 2
            continue
        if word == "hoc" and after in ("ky", "ki") and position + 2 < len(words) \
                and words[position + 2] in _SEMESTER_NUMBER:
            found.append(("semester", position, position + 3))
            position += 3
            continue
        level = next((lv for lv in _LEVELS if _starts(words, position, lv)), None)
        if level is not None:
            found.append(("level", position, position + len(level)))
            position += len(level)
            continue
        if _YEAR.fullmatch(word):
            found.append(("year", position, position + 1))
        position += 1
    return found


def _content(typed: list[str]) -> tuple[int, int, bool] | None:
    """Where a follow-up's own words are (start, end) and whether it may bring a new subject;
    None when it is not a follow-up."""
    words = [fold(token) for token in typed]
    start, end = 0, len(words)
    while start < end and typed[start] in _OPENERS:
        start += 1
    while end > start and words[end - 1] in _PARTICLES:
        end -= 1
    lead = next((phrase for phrase in _LEADS if _starts(words, start, phrase)), None)
    if lead == ("con",) and start + 1 < len(words) and words[start + 1] in _NOT_AFTER_CON:
        lead = None
    # a new subject only after "còn" as typed, or "thế còn" / "vậy còn"
    new_subject = lead is not None and (len(lead) == 2 or typed[start] == "còn")
    tail = next((phrase for phrase in _TAILS
                 if end - len(phrase) >= 0 and _starts(words, end - len(phrase), phrase)), None)
    if lead is None and (tail is None or tail in (("the", "nao"), ("ra", "sao"), ("nua",))):
        return None  # "lớp 6 thế nào" alone is a question of its own
    start += len(lead or ())
    end -= len(tail or ())
    while end > start and words[end - 1] in _PARTICLES:
        end -= 1
    # a grade, semester or level counts as one word ("trường trung học cơ sở")
    size = end - start - sum(until - at - 1 for _, at, until in _entities(words[start:end]))
    return (start, end, new_subject) if 0 < size <= MAX_WORDS else None


def _without(words: list[str], phrases: Sequence[Sequence[str]]) -> list[int]:
    """Positions of `words` outside every occurrence of `phrases` (longest first)."""
    left, position = [], 0
    ordered = sorted(phrases, key=len, reverse=True)
    while position < len(words):
        phrase = next((p for p in ordered if _starts(words, position, p)), None)
        if phrase is None:
            left.append(position)
            position += 1
        else:
            position += len(phrase)
    return left


def _aspect_only(typed: list[str]) -> bool:
    """A question that asks about an aspect only ("giá bao nhiêu", "ở đâu", "hồ sơ gồm những gì",
    "hạn nộp")."""
    words = [fold(token) for token in typed if token not in _OPENERS]
    words = [word for word in words if word not in _PARTICLES]
    # a reply, not a question ("không cần", "không phải", "có")
    bare_yes_no = set(words) <= {"co", "khong", "chua", "duoc", "can", "phai"}
    return bool(words) and not bare_yes_no and not _without(words, (*_ASKING, *_ASPECTS))


def is_follow_up(text: str) -> bool:
    typed = tokens(text)
    return _content(typed) is not None or _aspect_only(typed)


def rewrite(previous: str, current: str) -> str | None:
    """The question `current` asks as a follow-up of `previous`, None when it is not one."""
    now = tokens(current)
    found = _content(now)
    if found is not None:
        return _with_own_words(tokens(previous), now, *found)
    return _about_same_subject(tokens(previous), now) if _aspect_only(now) else None


def _about_same_subject(before: list[str], now: list[str]) -> str | None:
    """An aspect asked alone, asked of the previous question's subject."""
    folded = [fold(token) for token in before]
    # asking words and aspects go: multi-word ones anywhere, one-word ones at the end
    # ("bảo hiểm y tế học sinh đóng hạn nộp"), but "phí" stays in "học phí"
    dropped = (*_ASKING, *(aspect for aspect in _ASPECTS if len(aspect) > 1))
    kept = [i for i in _without(folded, dropped) if folded[i] not in _PARTICLES]
    while kept and (folded[kept[-1]],) in _ASPECTS and folded[kept[-1]] not in _COMPOUND_ENDS:
        kept.pop()
    subject = [before[i] for i in kept]
    asked = [token for token in now if token not in _OPENERS and fold(token) not in _PARTICLES]
    return " ".join(subject + asked) if subject else None


def _with_own_words(before: list[str], now: list[str], begin: int, finish: int,
                    new_subject: bool) -> str | None:
    """A "còn … thì sao" follow-up: its grade/semester/level/year swapped into the previous
    question, or its new subject asked in the previous question's context."""
    own = now[begin:finish]
    own_folded = [fold(token) for token in own]
    before_folded = [fold(token) for token in before]
    swapped = _entities(own_folded)
    covered = {i for _, start, end in swapped for i in range(start, end)}
    rest = [word for i, word in enumerate(own_folded) if i not in covered and word not in _CARRIERS]
    earlier = _entities(before_folded)
    if swapped and not rest:
        replacements: list[tuple[int, int, list[str]]] = []
        added: list[str] = []
        own_kinds = {kind for kind, _, _ in swapped}
        used: set[Span] = set()
        for kind, start, end in swapped:
            # the same kind first ("lớp 7" for "lớp 1"), else the same axis when the follow-up
            # does not name that kind itself ("trường THCS" for "lớp 1")
            same = [span for span in earlier if span[0] == kind and span not in used] or \
                [span for span in earlier if _AXIS[span[0]] == _AXIS[kind]
                 and span[0] not in own_kinds and span not in used]
            if same:
                used.add(same[0])
                replacements.append((same[0][1], same[0][2], own[start:end]))
            else:
                added += own[start:end]
        result = list(before)
        # a grade the question lacked goes before its asking words ("học phí lớp 6 bao nhiêu")
        asking = _asking_start(before_folded)
        if added and asking is not None:
            replacements.append((asking, asking, added))
            added = []
        for at, until, words in sorted(replacements, reverse=True):  # right to left
            result[at:until] = words
        return " ".join(result + added)
    if not new_subject:
        return None
    kinds = {_AXIS[kind] for kind, _, _ in swapped}
    context = [word for kind, start, end in earlier if _AXIS[kind] not in kinds
               for word in before[start:end]]
    return " ".join([*own, *context, *_asking_words(before, before_folded)])


def _asking_start(folded: list[str]) -> int | None:
    """Where a question's asking words begin ("bao nhiêu", "khi nào", "thế nào"; not a closing
    "không" or "có … không", which a grade does not go before), if it has any."""
    starts = [start for phrase in _ASKING if len(phrase) > 1 and phrase[0] != "co"
              for start in range(len(folded)) if _starts(folded, start, phrase)]
    return min(starts) if starts else None


def _asking_words(words: list[str], folded: list[str]) -> list[str]:
    """A question's asking words, with the unit a count asks for ("bao nhiêu ngày")."""
    for phrase in _ASKING:
        for start in range(len(folded)):
            if _starts(folded, start, phrase):
                end = start + len(phrase)
                if end < len(folded) and folded[end] in _UNITS:
                    end += 1
                return words[start:end]
    return []


def resolve(current: str, earlier: Sequence[str]) -> str | None:
    """`current` as a full question given the questions before it (newest first), None when it
    is not a follow-up or there is nothing to follow."""
    if not earlier or not is_follow_up(current):
        return None
    previous = resolve(earlier[0], earlier[1:]) or earlier[0]
    return rewrite(previous, current)


HISTORY = 3  # earlier questions a follow-up may build on
QUESTION_SLOT = "last_question"  # set by every knowledge answer to the question it searched


def earlier_questions(events: Sequence[dict]) -> list[str]:
    """The questions the knowledge base was asked in this session before the latest message,
    newest first, as they were searched (a follow-up in full): the `QUESTION_SLOT` values set
    in answer to the parent's messages, whatever the dialogue model read them as (the slot
    values a new session carries over come before its first message and are left out)."""
    found: list[str] = []
    seen_user = False
    for event in events:
        kind = event.get("event")
        if kind == "session_started":
            found, seen_user = [], False
        elif kind == "user":
            seen_user = True
        elif kind == "slot" and event.get("name") == QUESTION_SLOT and seen_user and event.get("value"):
            found.append(str(event["value"]))
    return found[::-1][:HISTORY]


def grade_named(text: str) -> str | None:
    """The grade a question is about, for the conversation's audience context: "lớp 6" -> "6",
    "trường tiểu học" -> "1-5"; None when it names none, or several."""
    words = [fold(token) for token in tokens(text)]
    grades, levels = set(), set()
    for kind, start, end in _entities(words):
        grade = class_grade(words[start + 1]) if kind == "grade" else None
        if grade:
            grades.add(grade)  # "lớp 8A": 8
        elif kind == "level":
            levels.add(LEVEL_GRADES[LEVELS[" ".join(words[start:end])]])
    if len(grades) == 1 and all(grades <= grade_set(level) for level in levels):
        return grades.pop()  # "lớp 2 trường tiểu học": the grade says more than its level
    return levels.pop() if not grades and len(levels) == 1 else None


# Words of "con tôi đang học lớp 3 ạ" besides the grade: the message says which grade, nothing else.
_STATEMENT = frozenset("con chau be toi em minh nha co dang nam nay hoc o truong cua hien thi la "
                       "vua len moi a nhe nha ha".split())
_GRADE_LABELS = {"1-5": "cấp tiểu học", "6-9": "cấp trung học cơ sở",
                 "10-12": "cấp trung học phổ thông", "mầm non": "mầm non"}


def stated_grade(text: str, named: Sequence[tuple[int, int]] = ()) -> str | None:
    """The grade a message only tells ("con tôi học lớp 3", "bé nhà mình học mầm non"), so the
    bot takes it as the conversation's audience instead of searching it; None for a question.
    `named` are further (start, end) word spans the message may consist of: the school it
    names ("con tôi học trường THCS Hòa An"; see `actions.audience`)."""
    grade = grade_named(text)
    if grade is None or "?" in text:
        return None
    words = [fold(token) for token in tokens(text)]
    covered = {i for _, start, end in _entities(words) for i in range(start, end)}
    covered.update(i for start, end in named for i in range(start, end))
    rest = [word for i, word in enumerate(words) if i not in covered]
    return grade if set(rest) <= _STATEMENT and "hoc" in rest else None


def grade_label(grade: str) -> str:
    """How the bot names a grade back to the parent: "lớp 3", "cấp tiểu học"."""
    return _GRADE_LABELS.get(grade, f"lớp {grade}")
