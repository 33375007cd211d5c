"""The school a parent's message names, as the knowledge base knows it.

A school is recognised only when documents of the knowledge base belong to it ("trường thcs
hòa an", "THCS Hòa An", "tieu hoc hoa an"; `retrieval.schools`), and is kept under the name
the knowledge base shows for it (the documents' `school`, as staff wrote it), so the review
queue and the tickets can be filtered by school in the admin web.  A level alone ("trường
tiểu học") or a school the knowledge base has nothing from names none: the grade it implies
is read by `actions.followup.grade_named`.
"""

from __future__ import annotations

from collections.abc import Mapping

from actions.followup import tokens
from retrieval.normalize import fold
from retrieval.schools import School, grade_set, school_grades, school_spans

Known = Mapping[School, str]  # the knowledge base's schools and their names


def school_mentions(text: str, known: Known) -> list[tuple[int, int, School]]:
    """Where `text` names a school of the knowledge base: (start, end, school) in the word
    positions of `actions.followup.tokens`."""
    if not known:
        return []
    words = [fold(token) for token in tokens(text)]
    return [span for span in school_spans(words, {name for _, name in known})
            if span[2] in known]


def named_school(text: str, known: Known) -> str | None:
    """The name of the one school of the knowledge base `text` names; None for none or two."""
    found = {school for _, _, school in school_mentions(text, known)}
    return known[found.pop()] if len(found) == 1 else None


def teaches(school: str, grade: str) -> bool:
    """Whether a school teaches a grade or level ("Trường THCS Hòa An", "7" or "6-9"); True when
    its level is unknown.  A question about "tiểu học" is not about the parent's THCS."""
    grades = school_grades(school)
    return grades is None or bool(grade_set(grades) & grade_set(grade))
