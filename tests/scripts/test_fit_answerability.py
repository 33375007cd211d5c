"""The feedback loop end to end: parents' rated and staff-dismissed questions are exported with
`bot review export-labels`, `scripts/fit_answerability.py --kb current` fits the answer/abstain
model on the commune's own knowledge base (real embedding model), and the bot loads the result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from retrieval.answerability import FEATURES, load_model
from storage.db import reset_caches, session_scope
from storage.repositories import rate_question, record_question

ROOT = Path(__file__).resolve().parents[2]
FAQ_DIR = ROOT / "data" / "kb" / "hoi-dap"
OFF_TOPIC = [
    "giá vàng hôm nay bao nhiêu", "mai trời có mưa không", "tỷ số trận bóng tối qua",
    "cách nấu phở bò", "vé máy bay đi Hà Nội", "mua xe máy trả góp", "lãi suất ngân hàng",
    "giá xăng tuần này", "phim chiếu rạp cuối tuần", "cách trồng hoa hồng",
    "thủ tục đăng ký kết hôn", "làm hộ chiếu ở đâu", "giá lúa hôm nay", "cước điện thoại tháng này",
    "lịch cúp điện khu phố", "cách chữa đau lưng",
]


def bot(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ROOT / ".venv" / "bin" / "bot"), *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=900, check=False)


def faq_questions() -> list[tuple[str, str]]:
    import yaml

    pairs = []
    for path in sorted(FAQ_DIR.glob("*.md")):
        front = yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1])
        pairs += [(question, front["id"]) for question in front.get("questions", [])]
    return pairs


@pytest.mark.slow
def test_reviewed_questions_refit_the_model_on_the_communes_own_base(data_dir: Path) -> None:
    env = {**os.environ, "BOT_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    added = bot("kb", "add", str(FAQ_DIR), env=env)
    assert added.returncode == 0, added.stderr
    answerable = faq_questions()
    assert len(answerable) >= 30
    reset_caches()
    with session_scope() as session:
        for text, doc_id in answerable:
            row = record_question(session, channel="web", user_hash="h", text=text, answered=True,
                                  confidence=0.9, doc_ids=[doc_id])
            session.flush()
            rate_question(session, question_id=row.id, rating="good")
        for text in OFF_TOPIC:
            row = record_question(session, channel="web", user_hash="h", text=text, answered=False,
                                  confidence=0.1)
            row.review_status, row.review_note = "dismissed", "không liên quan"
    labels = data_dir / "labels.jsonl"
    exported = bot("review", "export-labels", str(labels), env=env)
    assert exported.returncode == 0, exported.stderr
    assert f"{len(answerable)} có tài liệu trả lời, {len(OFF_TOPIC)} kho tri thức" in exported.stdout

    output = data_dir / "answerability.json"
    fitted = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "fit_answerability.py"), "--kb", "current",
         "--questions", str(labels), "--output", str(output)],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    assert fitted.returncode == 0, fitted.stderr
    data = json.loads(output.read_text(encoding="utf-8"))
    assert data["fitted"]["kb"] == "current" and data["fitted"]["questions"] == "labels.jsonl"
    assert data["fitted"]["n"] == len(answerable) + len(OFF_TOPIC)
    assert data["fitted"]["cv_5x5"]["auc"] > 0.9  # FAQ variants against off-topic questions
    model = load_model(output)
    assert set(model.weights) == set(FEATURES) and 0.0 < model.threshold < 1.0

    asked = bot("ask", "giá vàng hôm nay bao nhiêu", "--json", env={
        **env, "RETRIEVAL_ANSWERABILITY_MODEL": str(output)})
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["answered"] is False


def test_too_few_labelled_questions_is_refused_with_the_counts(data_dir: Path) -> None:
    labels = data_dir / "few.jsonl"
    labels.write_text("".join(json.dumps({"question": f"câu {i}", "expected_doc": "faq"}) + "\n"
                              for i in range(5)), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "fit_answerability.py"), "--kb", "current",
         "--questions", str(labels), "--dry-run"],
        env={**os.environ, "BOT_DATA_DIR": str(data_dir)}, cwd=ROOT, capture_output=True,
        text=True, timeout=300, check=False)
    assert result.returncode == 1
    assert "Chưa đủ câu hỏi để huấn luyện" in result.stderr and "có 5 và 0" in result.stderr
