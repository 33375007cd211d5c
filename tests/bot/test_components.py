"""Tests of `bot.components.VietnameseNormalizer`, run inside the Rasa environment.

The component imports Rasa, which lives only in .venv-rasa (Python 3.10), so each test runs a small
probe there in a subprocess: WhitespaceTokenizer then the normaliser, on real `Message` objects,
exactly as in the NLU pipeline (all cases in one subprocess, since importing Rasa is slow).
Skipped cleanly when .venv-rasa is absent.
"""

from __future__ import annotations

import json
import subprocess
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not RASA_PYTHON.exists(), reason=".venv-rasa is not installed"),
]

_PROBE = r"""
import json, sys
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from bot.components import VietnameseNormalizer

tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
answers = []
for request in json.load(sys.stdin):
    try:
        normalizer = VietnameseNormalizer({"mode": request["mode"]})
    except ValueError as error:
        answers.append({"error": str(error)})
        continue
    messages = [Message(data={TEXT: text}) for text in request["texts"]]
    if request["training"]:
        data = TrainingData(training_examples=messages)
        normalizer.process_training_data(tokenizer.process_training_data(data))
    else:
        normalizer.process(tokenizer.process(messages))
    answers.append({
        "tokens": [[t.text for t in m.get(TOKENS_NAMES[TEXT])] for m in messages],
        "texts": [m.get(TEXT) for m in messages],
    })
print(json.dumps(answers, ensure_ascii=False))
"""

# Every case the tests below look at, run through Rasa in one subprocess (importing Rasa is slow).
_CASES: dict[str, dict] = {
    "spellings": {"texts": [
        "Học phí lớp 1 bao nhiêu?",
        "hoc phi lop 1 bao nhieu",
        "HP lớp 1 bn",
        unicodedata.normalize("NFD", "học phí lớp 1 bao nhiêu ?"),
    ]},
    "tones": {"texts": ["hoà nhập", "hòa nhập", "hoa nhap"]},
    "training": {"texts": ["Dạ cho em hỏi đk tuyển sinh lớp 6 ntn ạ?"], "training": True},
    "both_forms": {"texts": ["Trường ko nghỉ", "truong nghi"], "mode": "accented_and_folded"},
    "emoji": {"texts": ["👍"]},
    "bad_mode": {"texts": ["x"], "mode": "stemmed"},
}


@pytest.fixture(scope="module")
def probe() -> dict[str, dict]:
    requests = [{"mode": "folded", "training": False, **case} for case in _CASES.values()]
    completed = subprocess.run(
        [str(RASA_PYTHON), "-c", _PROBE],
        input=json.dumps(requests),
        capture_output=True, text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT)}, timeout=300,
        check=True,
    )
    answers = json.loads(completed.stdout.strip().splitlines()[-1])
    return dict(zip(_CASES, answers, strict=True))


def test_spellings_of_one_question_give_the_same_tokens(probe: dict[str, dict]) -> None:
    expected = ["hoc", "phi", "lop", "1", "bao", "nhieu"]
    assert probe["spellings"]["tokens"] == [expected] * len(_CASES["spellings"]["texts"])


def test_tone_placement_variants_meet(probe: dict[str, dict]) -> None:
    result = probe["tones"]
    assert result["tokens"][0] == result["tokens"][1] == result["tokens"][2] == ["hoa", "nhap"]


def test_message_text_is_left_as_typed(probe: dict[str, dict]) -> None:
    result = probe["training"]
    assert result["texts"] == _CASES["training"]["texts"]
    assert result["tokens"][0] == [
        "da", "cho", "em", "hoi", "dang", "ky", "tuyen", "sinh", "lop", "6", "nhu", "the", "nao", "a"
    ]


def test_accented_and_folded_mode_keeps_both_forms(probe: dict[str, dict]) -> None:
    result = probe["both_forms"]
    assert result["tokens"][0] == ["trường", "không", "nghỉ", "truong", "khong", "nghi"]
    assert result["tokens"][1] == ["truong", "nghi"]


def test_emoji_only_message_keeps_whitespace_tokens(probe: dict[str, dict]) -> None:
    assert probe["emoji"]["tokens"] == [["👍"]]


def test_unknown_mode_is_refused_at_start_up(probe: dict[str, dict]) -> None:
    assert "stemmed" in probe["bad_mode"]["error"]
