"""The NLU examples generated from the retrieval training questions stay in step with them and
never take a dev question."""

from __future__ import annotations

import json

from script_modules import ROOT, load_script

generator = load_script("nlu_kb_questions")


def test_the_generated_file_is_what_the_questions_give() -> None:
    assert generator.OUTPUT.read_text(encoding="utf-8") == generator.render(), (
        "run .venv/bin/python scripts/nlu_kb_questions.py and retrain")


def test_examples_are_answerable_training_questions_only() -> None:
    examples = generator.examples()
    train = {json.loads(line)["question"]: json.loads(line)["expected_doc"] for line in
             generator.QUESTIONS.read_text(encoding="utf-8").splitlines()}
    dev = {json.loads(line)["question"] for line in
           (ROOT / "tests" / "retrieval" / "dev_questions.jsonl").read_text(encoding="utf-8").splitlines()}
    assert 80 <= len(examples) <= len(train)
    assert all(train[text] for text in examples) and not dev & set(examples)
    assert not {text.lower() for text in examples} & generator.hand_written_examples()
    assert len(set(examples)) == len(examples)
