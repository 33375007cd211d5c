"""`bot ask` and `bot eval` over a tiny knowledge base (fake embedder, real SQL and indexes)."""

from __future__ import annotations

import datetime as dt
import json
import zlib
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from bot.cli import ask as ask_cli
from retrieval import normalize
from retrieval.index import sync_index
from retrieval.service import KnowledgeBase
from retrieval.settings import RetrievalSettings
from retrieval.types import Answer, Source
from storage.db import reset_caches, session_scope
from storage.kb_models import Chunk, Document


class BagOfWordsEmbedder:
    """Deterministic stand-in for the e5 embedder: hashed folded words, L2-normalised."""

    model_id = "test-bow-32"
    dimension = 32

    def load(self) -> BagOfWordsEmbedder:
        return self

    def _encode(self, texts: list[str]) -> np.ndarray:
        matrix = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in normalize.folded_tokens(text):
                matrix[row, zlib.crc32(word.encode()) % self.dimension] += 1.0
            matrix[row] /= max(float(np.linalg.norm(matrix[row])), 1e-9)
        return matrix

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self._encode(texts)


@pytest.fixture()
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path))
    reset_caches()
    with session_scope(f"sqlite:///{tmp_path / 'bot.sqlite3'}") as session:
        session.add(Document(id="hoc-phi", title="Quyết định miễn học phí", number="12/QĐ-UBND",
                             issued=dt.date(2025, 8, 1)))
        session.add(Chunk(doc_id="hoc-phi", ordinal=0, section="Điều 1",
                          text="Học phí lớp 1 được miễn hoàn toàn. Quyết định có hiệu lực ngay.",
                          search_text="Quyết định miễn học phí Điều 1 Học phí lớp 1 được miễn."))
        session.add(Document(id="dong-phuc", title="Quy định đồng phục"))
        session.add(Chunk(doc_id="dong-phuc", ordinal=0, text="Học sinh mặc áo trắng quần xanh.",
                          search_text="Quy định đồng phục học sinh mặc áo trắng quần xanh."))
    settings = RetrievalSettings(data_dir=tmp_path, dense_low=0.0, dense_high=1.0)
    sync_index(settings, embedder=BagOfWordsEmbedder())
    knowledge_base = KnowledgeBase(settings, embedder=BagOfWordsEmbedder()).load()
    monkeypatch.setattr(ask_cli, "_knowledge_base", lambda: knowledge_base)
    application = typer.Typer()
    application.command("ask")(ask_cli.ask)
    application.command("eval")(ask_cli.evaluate)
    yield application
    reset_caches()


def test_ask_json_prints_the_contract_shape(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["ask", "hoc phi lop 1 bn", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == {"answered", "answer", "confidence", "sources"}
    assert payload["answered"] is True
    assert "Học phí lớp 1 được miễn hoàn toàn." in payload["answer"]
    assert payload["sources"][0] == {"doc_id": "hoc-phi", "title": "Quyết định miễn học phí",
                                     "number": "12/QĐ-UBND", "section": "Điều 1",
                                     "score": payload["sources"][0]["score"]}


def test_ask_unknown_topic_abstains_with_empty_sources(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["ask", "giá vàng sjc hôm nay", "--json"])
    payload = json.loads(result.stdout)
    assert payload["answered"] is False and payload["sources"] == []
    assert "chưa có thông tin" in payload["answer"]


def test_ask_readable_output_and_bad_date(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["ask", "Học phí lớp 1 bao nhiêu?"])
    assert result.exit_code == 0
    assert "Nguồn: Quyết định miễn học phí, số 12/QĐ-UBND, ngày 01/08/2025, Điều 1" in result.stdout
    assert "Độ tin cậy" in result.stdout
    bad = CliRunner().invoke(app, ["ask", "học phí", "--today", "31/12/2025"])
    assert bad.exit_code == 2


def test_eval_prints_one_json_object_with_every_metric(app: typer.Typer, tmp_path: Path) -> None:
    questions = tmp_path / "dev.jsonl"
    questions.write_text("\n".join(json.dumps(item, ensure_ascii=False) for item in [
        {"question": "học phí lớp 1 có được miễn không", "expected_doc": "hoc-phi"},
        {"question": "dong phuc hs mac gi", "expected_doc": "dong-phuc", "note": "ignored"},
        {"question": "giá vàng sjc hôm nay", "expected_doc": None},
    ]) + "\n\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", str(questions)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == {"n", "hit_at_1", "hit_at_3", "hit_at_5", "mrr", "abstain_precision",
                            "abstain_recall", "answer_rate", "latency_ms_p50", "latency_ms_p95"}
    assert payload["n"] == 3
    assert payload["hit_at_1"] == 1.0 and payload["mrr"] == 1.0
    assert payload["abstain_recall"] == 1.0 and payload["abstain_precision"] == 1.0
    assert payload["answer_rate"] == pytest.approx(2 / 3, abs=1e-3)


def test_eval_rejects_a_malformed_file(app: typer.Typer, tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "no question key"}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", str(broken)])
    assert result.exit_code == 2
    good = tmp_path / "good.jsonl"
    good.write_text('{"question": "học phí", "expected_doc": null}\n', encoding="utf-8")
    assert CliRunner().invoke(app, ["eval", str(good), "--today", "28-11-2026"]).exit_code == 2


def answer(answered: bool, *doc_ids: str) -> Answer:
    return Answer(answered, "x", 0.9 if answered else 0.1,
                  [Source(doc_id=d, title=d, number=None, section=None, score=1.0)
                   for d in doc_ids])


def test_metrics_counts_ranks_abstentions_and_misses() -> None:
    result = ask_cli.metrics([
        ("a", answer(True, "a", "b"), 0.010),
        ("b", answer(True, "a", "c", "b"), 0.020),
        ("c", answer(False), 0.030),  # answerable but declined: a miss
        (None, answer(False), 0.040),  # correct abstention
        (None, answer(True, "a"), 0.050),  # should have declined
    ])
    assert result["n"] == 5
    assert result["hit_at_1"] == pytest.approx(1 / 3, abs=1e-4)
    assert result["hit_at_3"] == pytest.approx(2 / 3, abs=1e-4)
    assert result["mrr"] == pytest.approx((1 + 1 / 3) / 3, abs=1e-4)
    assert result["abstain_precision"] == 0.5 and result["abstain_recall"] == 0.5
    assert result["answer_rate"] == 0.6
    assert result["latency_ms_p50"] == pytest.approx(30.0)


def test_metrics_of_nothing() -> None:
    result = ask_cli.metrics([])
    assert result["n"] == 0 and result["hit_at_5"] == 0.0 and result["abstain_recall"] == 1.0
