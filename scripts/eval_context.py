"""What a conversation's school or grade does to the answers: the dev and training questions asked
with each school (grade) of the demo as the conversation's, against the same questions asked alone.

    .venv/bin/python scripts/eval_context.py                       # the settings in use
    .venv/bin/python scripts/eval_context.py --boost 0.05 --penalty 0.05

The knowledge base is the dev one (`scripts/eval_retrieval.py` builds it in `var/eval/dev`), the
announcement validity 'open' (the labels of the files).  A context is applied as
`actions.answer.answer_question` applies it: a question that names a school of the knowledge base
(a grade or level) is asked as it stands, and a school is left out for a question about a grade
it does not teach.  Each (question, context) pair falls in one group by the expected document:

- own: the document is for the context's school (grade);
- other: it is for another school (grade), so the question, read in that conversation, may well
  be about something else; its label was written for the question alone;
- general: it is for every school (a law, a commune notice, an FAQ).

Printed per group: how many pairs, and the change in hit@1 and in answer rate (answerable
questions) and in abstentions (unanswerable ones) against asking without context.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]
QUESTION_FILES = [ROOT / "tests" / "retrieval" / name
                  for name in ("dev_questions.jsonl", "train_questions.jsonl")]
SCHOOLS = ("Trường Mầm non Hoa Sen", "Trường Tiểu học Hòa An", "Trường THCS Hòa An")
GRADES = ("mầm non", "3", "7")
GROUPS = ("own", "other", "general")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boost", type=float, help="audience boost (default: the setting)")
    parser.add_argument("--penalty", type=float, help="audience penalty (default: the setting)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.environ["BOT_DATA_DIR"] = str(ROOT / "var" / "eval" / "dev")
    from eval_retrieval import DEMO_TODAY, current_settings

    from actions.audience import named_school, teaches
    from actions.followup import grade_named
    from retrieval.schools import grade_set
    from retrieval.searcher import document_grades
    from retrieval.service import KnowledgeBase
    from retrieval.types import SearchContext

    overrides: dict[str, Any] = {"announcement_validity": "open"}
    if args.boost is not None:
        overrides["audience_boost"] = args.boost
    if args.penalty is not None:
        overrides["audience_penalty"] = args.penalty
    settings = current_settings(**overrides)
    kb = KnowledgeBase(settings).load()
    searcher = kb._current_searcher()
    if searcher is None:
        sys.exit("No dev knowledge base: run scripts/eval_retrieval.py first.")
    snapshot = searcher.snapshot
    labels = snapshot.school_labels()
    questions = [json.loads(line) for path in QUESTION_FILES
                 for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def top(question: str, context: SearchContext) -> tuple[str | None, bool]:
        answer = kb.answer(question, context)
        return (answer.sources[0].doc_id if answer.sources else None), answer.answered

    def school_group(expected: str, school: str) -> str:
        owners = {labels.get(owner) for owner in snapshot.document_schools(expected)} - {None}
        return "general" if not owners else "own" if school in owners else "other"

    def grade_group(expected: str, grade: str) -> str:
        offered = document_grades(snapshot.documents[expected],
                                  snapshot.document_schools(expected))
        return "general" if not offered else \
            "own" if grade_set(offered) & grade_set(grade) else "other"

    counts: dict[str, Counter[tuple[str, str]]] = {"school": Counter(), "grade": Counter()}
    for row in questions:
        question, expected = row["question"], row["expected_doc"]
        named = grade_named(question)
        alone = top(question, SearchContext(today=DEMO_TODAY))
        contexts: list[tuple[str, SearchContext, str]] = []
        if not named_school(question, labels):
            for school in SCHOOLS:
                kept = None if named and not teaches(school, named) else school
                group = school_group(expected, school) if expected else "general"
                contexts.append(("school", SearchContext(school=kept, today=DEMO_TODAY), group))
        if not named:
            for grade in GRADES:
                group = grade_group(expected, grade) if expected else "general"
                contexts.append(("grade", SearchContext(grade=grade, today=DEMO_TODAY), group))
        for kind, context, group in contexts:
            doc, answered = top(question, context)
            tally = counts[kind]
            if expected is None:
                tally[(group, "unanswerable")] += 1
                tally[(group, "abstained")] += (not answered) - (not alone[1])
            else:
                tally[(group, "n")] += 1
                tally[(group, "hit@1")] += (doc == expected) - (alone[0] == expected)
                tally[(group, "answered")] += answered - alone[1]
    print(f"audience boost {settings.audience_boost}, penalty {settings.audience_penalty}\n")
    print("| context | group | pairs | hit@1 change | answer rate change | "
          "abstentions change (unanswerable pairs) |")
    print("|---|---|---|---|---|---|")
    for kind, tally in counts.items():
        for group in GROUPS:
            n = tally[(group, "n")] or 1
            print(f"| {kind} | {group} | {tally[(group, 'n')]} | "
                  f"{tally[(group, 'hit@1')] / n:+.3f} | {tally[(group, 'answered')] / n:+.3f} | "
                  f"{tally[(group, 'abstained')]:+d} ({tally[(group, 'unanswerable')]}) |")


if __name__ == "__main__":
    main()
