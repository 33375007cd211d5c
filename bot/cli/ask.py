"""`bot ask` and `bot eval`: ask the knowledge base directly, and measure it on a question file.

Both go straight through `retrieval.service.KnowledgeBase` (not through Rasa), so they show
what the answer path does on its own.

`bot eval FILE.jsonl` reads one `{"question": ..., "expected_doc": ... | null}` per line
(`null`: the bot should abstain) and prints one JSON object:

- hit_at_1/3/5, mrr: over answerable questions; a hit means `expected_doc` is among the first k
  `sources` of the answer.  An abstention has no sources, so it counts as a miss: these numbers
  measure what a parent actually gets, not what the ranking would have offered;
- abstain_precision: of the questions the bot declined, the share that had no answer
  (1.0 when it never declined and none was unanswerable, 0.0 when it never declined otherwise);
- abstain_recall: of the unanswerable questions, the share the bot declined (1.0 if none);
- answer_rate: share of all questions answered;
- latency_ms_p50/p95: time of `KnowledgeBase.answer` per question, model and index already warm.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import typer

from retrieval.errors import RetrievalError
from retrieval.types import Answer, SearchContext


def _knowledge_base():  # type: ignore[no-untyped-def]
    from retrieval.service import get_knowledge_base

    return get_knowledge_base()


def ask(
    question: str = typer.Argument(..., help="Câu hỏi, ví dụ: \"Học phí lớp 1 bao nhiêu?\""),
    json_: bool = typer.Option(False, "--json", help="In kết quả dạng JSON."),
    school: str | None = typer.Option(None, "--school", help="Trường của người hỏi."),
    grade: str | None = typer.Option(None, "--grade", help="Khối lớp của người hỏi."),
    today: str | None = typer.Option(None, "--today",
                                     help="Ngày hỏi (YYYY-MM-DD), mặc định hôm nay."),
) -> None:
    """Hỏi kho tri thức một câu và in câu trả lời kèm nguồn."""
    try:
        context = SearchContext(school=school, grade=grade,
                                today=dt.date.fromisoformat(today) if today else None)
    except ValueError as error:
        typer.echo(f"Lỗi: ngày không hợp lệ {today!r}, cần dạng YYYY-MM-DD.", err=True)
        raise typer.Exit(code=2) from error
    try:
        answer = _knowledge_base().answer(question, context)
    except RetrievalError as error:
        typer.echo(f"Lỗi: {error}", err=True)
        raise typer.Exit(code=1) from error
    if json_:
        typer.echo(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        typer.echo(readable(answer))


def readable(answer: Answer) -> str:
    """The answer as a person reads it, with confidence and the other sources."""
    lines = [answer.answer, "", f"(Độ tin cậy: {answer.confidence:.2f})"]
    if len(answer.sources) > 1:
        lines.append("Tài liệu liên quan khác:")
        lines.extend(f"  - {source.title}" + (f" ({source.number})" if source.number else "")
                     for source in answer.sources[1:])
    return "\n".join(lines)


def read_questions(path: Path) -> list[dict[str, Any]]:
    """The questions of an evaluation file (JSON lines; blank lines skipped)."""
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            question = item["question"]
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path}:{number}: cần một đối tượng JSON có \"question\"") from error
        items.append({"question": str(question), "expected_doc": item.get("expected_doc")})
    return items


def metrics(results: Iterable[tuple[str | None, Answer, float]]) -> dict[str, Any]:
    """Evaluation metrics from (expected_doc, answer, seconds) triples (see module docstring)."""
    rows = list(results)
    answerable = [(expected, answer) for expected, answer, _ in rows if expected is not None]
    ranks = []
    for expected, answer in answerable:
        doc_ids = [source.doc_id for source in answer.sources]
        ranks.append(doc_ids.index(expected) + 1 if expected in doc_ids else 0)
    unanswerable = [answer for expected, answer, _ in rows if expected is None]
    abstained = [expected for expected, answer, _ in rows if not answer.answered]
    correct_abstentions = sum(1 for expected in abstained if expected is None)
    latencies = [seconds * 1000 for _, _, seconds in rows]

    def hit(k: int) -> float:
        return sum(1 for rank in ranks if 0 < rank <= k) / len(ranks) if ranks else 0.0

    if abstained:
        precision = correct_abstentions / len(abstained)
    else:
        precision = 1.0 if not unanswerable else 0.0
    return {
        "n": len(rows),
        "hit_at_1": round(hit(1), 4),
        "hit_at_3": round(hit(3), 4),
        "hit_at_5": round(hit(5), 4),
        "mrr": round(sum(1 / rank for rank in ranks if rank) / len(ranks), 4) if ranks else 0.0,
        "abstain_precision": round(precision, 4),
        "abstain_recall": round(
            sum(1 for answer in unanswerable if not answer.answered) / len(unanswerable), 4
        ) if unanswerable else 1.0,
        "answer_rate": round(sum(1 for _, a, _ in rows if a.answered) / len(rows), 4)
        if rows else 0.0,
        "latency_ms_p50": round(float(np.percentile(latencies, 50)), 2) if latencies else 0.0,
        "latency_ms_p95": round(float(np.percentile(latencies, 95)), 2) if latencies else 0.0,
    }


def evaluate(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                help="Tệp JSONL: mỗi dòng {\"question\", \"expected_doc\"}."),
    today: str | None = typer.Option(None, "--today",
                                     help="Ngày hỏi (YYYY-MM-DD), mặc định hôm nay."),
) -> None:
    """Đánh giá kho tri thức trên một tệp câu hỏi và in các chỉ số dạng JSON."""
    try:
        context = SearchContext(today=dt.date.fromisoformat(today) if today else None)
        items = read_questions(file)
        knowledge_base = _knowledge_base()
        knowledge_base.answer("học phí")  # warm-up: first-call costs are not latency
        results = []
        for item in items:
            started = time.perf_counter()
            answer = knowledge_base.answer(item["question"], context)
            results.append((item["expected_doc"], answer, time.perf_counter() - started))
    except ValueError as error:
        typer.echo(f"Lỗi: {error}", err=True)
        raise typer.Exit(code=2) from error
    except RetrievalError as error:
        typer.echo(f"Lỗi: {error}", err=True)
        raise typer.Exit(code=1) from error
    typer.echo(json.dumps(metrics(results), ensure_ascii=False))
