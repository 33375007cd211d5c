"""Routing robustness on questions never trained on: do parents' questions reach the knowledge path?

Evaluation only, never training: the answerable questions of our retrieval dev set
(`tests/retrieval/dev_questions.jsonl`; the training set's are NLU examples, see
`scripts/nlu_kb_questions.py`) and, when present, the sets in `../shared/eval-third-party/`,
written by other projects (see its README). A message reaches the knowledge-answer path when the NLU model gives
it `ask_question` or `nlu_fallback` (data/rules/questions.yml sends both to
action_answer_question); chit-chat should get any other intent.

Runs under .venv-rasa (Python 3.10) with the trained model:
    PYTHONPATH=. .venv-rasa/bin/python scripts/eval_routing.py [--model models/edubot-….tar.gz]
Prints a markdown section for BENCHMARKS.md; the third-party sets are skipped when absent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from actions.intake import (  # noqa: E402 (needs ROOT on the path)
    asks_for_help,
    is_plain_question,
    names_no_announcements,
    names_no_report,
)

THIRD_PARTY = ROOT.parent / "shared" / "eval-third-party"
DEV_QUESTIONS = ROOT / "tests" / "retrieval" / "dev_questions.jsonl"
KNOWLEDGE_INTENTS = frozenset({"ask_question", "nlu_fallback"})
# Intents whose actions ask the knowledge base first and answer when it is sure (actions/answer.py
# ActionOffTopic, ActionStrayReply; actions/rating.py QUESTION_WORDS), with the fewest words a
# message needs for it; tests/scripts/test_eval_routing.py keeps these in step with the actions.
CHECKED_INTENTS = {"out_of_scope": 1, "affirm": 4, "deny": 4, "skip": 4, "cancel": 4,
                   "rate_answer_good": 3, "rate_answer_bad": 3}
HELP_WORDS = 4  # ActionHelp.min_words, for a message that asks nothing of help itself


def reaches_knowledge(intent: str, text: str) -> bool:
    """Whether a first message with this intent is answered from the knowledge base when it can
    be: routed there, or checked there before the off-topic, stray-reply or rating answer or
    the feedback and misinformation forms (actions/ticket_route.py) or the help menu, or asked
    instead of a subscription that names no announcements (actions/subscription.py)."""
    if intent in KNOWLEDGE_INTENTS:
        return True
    if intent == "give_feedback":
        return is_plain_question(text)
    if intent == "report_misinformation":
        return is_plain_question(text) or names_no_report(text)
    if intent in ("subscribe", "unsubscribe"):  # actions/subscription.py
        return names_no_announcements(text)
    if intent == "help":  # actions/answer.py ActionHelp
        return len(text.split()) >= HELP_WORDS and not asks_for_help(text)
    words = CHECKED_INTENTS.get(intent)
    return words is not None and not text.startswith("/") and len(text.split()) >= words
# NgocNam1512__Edu_bot intents that ask for information a school publishes (the rest are
# greetings, thanks, personal data about one child, or a phone number).
EDU_BOT_KNOWLEDGE = frozenset({"ask_fee_tutor", "ask_menu", "tuyen_sinh_doi_tuong",
                               "tuyen_sinh_thoi_gian_cach_thuc", "tuyen_sinh_so_luong",
                               "tuyen_sinh_ho_so", "ask_timetable"})
EDU_BOT_CHAT = frozenset({"greet", "thanks", "goodbye"})


def dev_questions(path: Path = DEV_QUESTIONS) -> list[str]:
    """The answerable questions of our retrieval dev set."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row["question"] for row in rows if row["expected_doc"]]


def school_questions(folder: Path) -> tuple[list[str], list[str]]:
    """(school questions, chit-chat) of PhuocSang07__school-questions."""
    school, chat = [], []
    for line in (folder / "questions_from_semantic_router_sample.jsonl").read_text(
            encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            (school if row["route"] == "chatbotSample" else chat).append(row["question"])
    return school, chat


def edu_bot_questions(folder: Path) -> tuple[list[str], list[str]]:
    """(knowledge questions, chit-chat) of NgocNam1512__Edu_bot's Markdown NLU data."""
    knowledge, chat, intent = [], [], ""
    for line in (folder / "data_nlu.md").read_text(encoding="utf-8").splitlines():
        header = re.match(r"^##\s*intent:(\S+)", line)
        if header:
            intent = header.group(1)
            continue
        example = re.match(r"^\s*-\s+(.+)$", line)
        if example and intent:
            # Entity annotations: [text](entity) and [text]{"entity": …}.
            text = re.sub(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})", r"\1", example.group(1)).strip()
            if intent in EDU_BOT_KNOWLEDGE:
                knowledge.append(text)
            elif intent in EDU_BOT_CHAT:
                chat.append(text)
    return knowledge, chat


async def intents(model: Path, texts: list[str]) -> list[str]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    found = []
    for text in texts:
        parsed = await agent.parse_message(text)
        found.append(parsed["intent"]["name"])
    return found


def section(rows: list[tuple[str, int, float, float | None, Counter[str]]]) -> str:
    lines = ["## Routing of questions never trained on", "",
             "`PYTHONPATH=. .venv-rasa/bin/python scripts/eval_routing.py`: share of messages that",
             "reach the knowledge-answer path (`ask_question` or `nlu_fallback`) for questions, and",
             "that do not for chit-chat; and share of questions the knowledge base sees at all, also",
             "through the check before an off-topic, stray yes/no or rating reply or a ticket",
             "form.", "",
             "| set | messages | routed as expected | questions the knowledge base sees |"
             " most frequent wrong intents |",
             "|---|---:|---:|---:|---|"]
    for name, n, share, seen, wrong in rows:
        top = ", ".join(f"{intent} {count}" for intent, count in wrong.most_common(3)) or "–"
        shown = f"{seen:.3f}" if seen is not None else "–"
        lines.append(f"| {name} | {n} | {share:.3f} | {shown} | {top} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model archive (default: the newest models/edubot-*)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    model = Path(args.model) if args.model else max(
        (ROOT / "models").glob("edubot-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    sets = [("our dev set, answerable questions", dev_questions(), True)]
    if THIRD_PARTY.exists():
        school, chat = school_questions(THIRD_PARTY / "PhuocSang07__school-questions")
        sets += [("PhuocSang07 school questions", school, True),
                 ("PhuocSang07 chit-chat", chat, False)]
        knowledge, small_talk = edu_bot_questions(THIRD_PARTY / "NgocNam1512__Edu_bot")
        sets += [("NgocNam1512 Edu_bot information questions", knowledge, True),
                 ("NgocNam1512 Edu_bot greetings/thanks/goodbye", small_talk, False)]
    else:
        print(f"{THIRD_PARTY} not found: our dev set only")
    texts = [text for _, questions, _ in sets for text in questions]
    predicted = iter(asyncio.run(intents(model, texts)))
    rows = []
    for name, questions, to_knowledge in sets:
        got = [next(predicted) for _ in questions]
        ok = [(intent in KNOWLEDGE_INTENTS) == to_knowledge for intent in got]
        wrong = Counter(intent for intent, good in zip(got, ok, strict=True) if not good)
        seen = [reaches_knowledge(intent, text) for intent, text in zip(got, questions, strict=True)]
        rows.append((name, len(questions), sum(ok) / len(ok) if ok else 0.0,
                     sum(seen) / len(seen) if to_knowledge and seen else None, wrong))
    print(section(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
