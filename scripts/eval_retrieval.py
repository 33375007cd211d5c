"""Compare BM25-only, dense-only and hybrid retrieval on the dev set (and ALQAC 2023 if present).

    .venv/bin/python scripts/eval_retrieval.py            # dev set, markdown tables
    .venv/bin/python scripts/eval_retrieval.py --alqac    # also ALQAC 2023 (third party)
    .venv/bin/python scripts/eval_retrieval.py --validity open  # announcements never expire

The dev knowledge base is `data/kb` plus `../shared/kb-sources` (when present), ingested with
the real pipeline into `var/eval/dev` (kept between runs, so only changed files are embedded
again).  Questions: `tests/retrieval/dev_questions.jsonl`, asked on DEMO_TODAY (the date the
demo knowledge base is written for).

Ranking metrics (hit@k, MRR) use the documents of the ranked list whatever the confidence;
answer metrics are those of `bot eval` (an abstention has no sources).  The answer/abstain
model is fitted by `scripts/fit_answerability.py` on separate training questions; this script
only reports it.  ALQAC is a third-party benchmark and stays untouched by tuning.

Validity: a question whose `expected_doc` is not in force on DEMO_TODAY under the validity
policy in use (`RETRIEVAL_ANNOUNCEMENT_VALIDITY`, or `--validity`) expects the bot to abstain,
like the rows marked `validity` in the file; the script says how many questions that concerns.
With `--validity open` (announcements without `valid_until` never expire) the labels are those
of the file, i.e. what `bot eval` measures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DEV_QUESTIONS = ROOT / "tests" / "retrieval" / "dev_questions.jsonl"
DEMO_TODAY = dt.date(2026, 11, 28)
MODES = ("bm25", "dense", "rrf", "mix")


def prepare(data_dir: Path, sources: list[Path]) -> None:
    """Ingest `sources` into the knowledge base at `data_dir` (unchanged files are skipped)."""
    os.environ["BOT_DATA_DIR"] = str(data_dir)
    from retrieval.settings import get_retrieval_settings
    from storage.db import reset_caches

    reset_caches()
    get_retrieval_settings.cache_clear()
    from retrieval.index import sync_index
    from retrieval.ingest import ingest_paths

    started = time.perf_counter()
    report = ingest_paths([p for p in sources if p.exists()], progress=False, sync=False)
    errors = [f for f in report.files if f.status == "error"]
    for failed in errors:
        print(f"  ingestion error: {failed.message}", file=sys.stderr)
    stats = sync_index()
    print(f"  {data_dir.name}: {stats.documents} documents, {stats.chunks} chunks "
          f"({stats.added} embedded now, {time.perf_counter() - started:.0f} s)", file=sys.stderr)


def read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def ranking_metrics(ranked: list[list[str]], relevant: list[set[str] | None]
                    ) -> dict[str, float]:
    """hit@k and MRR over questions with relevant documents (rank of the first relevant)."""
    ranks = []
    for docs, wanted in zip(ranked, relevant, strict=True):
        if wanted:
            ranks.append(next((i + 1 for i, d in enumerate(docs) if d in wanted), 0))
    n = len(ranks) or 1
    return {
        "hit@1": sum(0 < r <= 1 for r in ranks) / n,
        "hit@3": sum(0 < r <= 3 for r in ranks) / n,
        "hit@5": sum(0 < r <= 5 for r in ranks) / n,
        "mrr": sum(1 / r for r in ranks if r) / n,
    }


def current_settings(**overrides: Any) -> Any:
    from retrieval.settings import get_retrieval_settings

    return get_retrieval_settings().model_copy(update=overrides)


def policy_labels(questions: list[dict[str, Any]], today: dt.date, **overrides: Any
                  ) -> tuple[list[dict[str, Any]], int]:
    """Questions with `expected_doc` set to None when that document is out of force on `today`
    under the validity policy of the settings; and how many were changed."""
    from retrieval.index import index_dir, load_snapshot
    from retrieval.searcher import in_force

    settings = current_settings(**overrides)
    snapshot = load_snapshot(index_dir(settings))
    documents = snapshot.documents if snapshot else {}
    labelled, changed = [], 0
    for question in questions:
        document = documents.get(question["expected_doc"] or "")
        if document is not None and not in_force(document, today, settings):
            question = {**question, "expected_doc": None, "validity": "expired"}
            changed += 1
        labelled.append(question)
    return labelled, changed


def run_mode(mode: str, questions: list[dict[str, Any]], today: dt.date,
             **overrides: Any) -> tuple[list[Any], list[list[str]]]:
    from retrieval.service import KnowledgeBase
    from retrieval.types import SearchContext

    settings = current_settings(fusion=mode, **overrides)
    knowledge_base = KnowledgeBase(settings).load()
    results = [knowledge_base.search(q["question"], SearchContext(today=today))
               for q in questions]
    ranked = [[hit.document.id for hit in r.best_per_document()] for r in results]
    return results, ranked


def table(rows: list[tuple[str, dict[str, float]]], title: str) -> str:
    keys = list(rows[0][1])
    lines = [f"#### {title}", "", "| variant | " + " | ".join(keys) + " |",
             "|---|" + "---|" * len(keys)]
    for name, values in rows:
        lines.append(f"| {name} | " + " | ".join(f"{values[k]:.3f}" for k in keys) + " |")
    return "\n".join(lines) + "\n"


def _bm25(settings: Any) -> Any:
    """The BM25 index answers quote from (loaded once per index folder: the sweep asks often)."""
    from retrieval.index import index_dir

    return _bm25_at(index_dir(settings))


@functools.lru_cache(maxsize=2)
def _bm25_at(folder: Path) -> Any:
    from retrieval.index import load_snapshot

    snapshot = load_snapshot(folder)
    return snapshot.bm25 if snapshot else None


def answer_metrics(results: list[Any], questions: list[dict[str, Any]], threshold: float
                   ) -> dict[str, float]:
    """`bot eval` metrics from search results at a given threshold (no re-search): the answers
    are composed as the bot composes them, so the quoted chunk's document leads the sources."""
    from bot.cli.ask import metrics
    from retrieval.answer import compose

    settings = current_settings(confidence_threshold=threshold)
    bm25 = _bm25(settings)
    triples = [(question["expected_doc"], compose(result, bm25, settings), 0.0)
               for result, question in zip(results, questions, strict=True)]
    values = metrics(triples)
    return {k: v for k, v in values.items() if not k.startswith(("n", "latency"))}


def caveat_metrics(results: list[Any], questions: list[dict[str, Any]], settings: Any
                   ) -> dict[str, float]:
    """How many answers the bot gives, and the share it gives with the caveat (tentative), for
    questions the knowledge base answers and for those it does not."""
    from retrieval.answer import compose

    bm25 = _bm25(settings)
    values = {}
    for label, answerable in (("answerable", True), ("unanswerable", False)):
        answers = [compose(result, bm25, settings)
                   for result, question in zip(results, questions, strict=True)
                   if (question["expected_doc"] is not None) == answerable]
        given = [answer for answer in answers if answer.answered]
        values[f"{label} answered"] = float(len(given))
        values[f"{label} tentative share"] = (
            sum(answer.tentative for answer in given) / len(given) if given else 0.0)
    return values


def threshold_sweep(results: list[Any], questions: list[dict[str, Any]]) -> str:
    rows = []
    for threshold in (0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7):
        rows.append((f"threshold {threshold}", answer_metrics(results, questions, threshold)))
    return table(rows, "Answers (bot eval metrics) by confidence threshold, hybrid")


def evaluate_dev(args: argparse.Namespace) -> None:
    prepare(ROOT / "var" / "eval" / "dev", [ROOT / "data" / "kb", SHARED / "kb-sources"])
    overrides = {"announcement_validity": args.validity} if args.validity else {}
    questions, changed = policy_labels(read(Path(args.questions)), DEMO_TODAY, **overrides)
    policy = current_settings(**overrides).announcement_validity
    expected = [{q["expected_doc"]} if q["expected_doc"] else None for q in questions]
    accented = [i for i, q in enumerate(questions) if q.get("accents") != "no"]
    plain = [i for i, q in enumerate(questions) if q.get("accents") == "no"]
    rows, by_accent = [], []
    results_by_mode = {}
    for mode in MODES:
        started = time.perf_counter()
        results, ranked = run_mode(mode, questions, DEMO_TODAY, **overrides)
        elapsed = (time.perf_counter() - started) / len(questions) * 1000
        results_by_mode[mode] = results
        rows.append((mode, {**ranking_metrics(ranked, expected), "ms/question": elapsed}))
        for label, subset in (("with diacritics", accented), ("without diacritics", plain)):
            by_accent.append((f"{mode}, {label} ({len(subset)})", ranking_metrics(
                [ranked[i] for i in subset], [expected[i] for i in subset])))
    answerable = sum(e is not None for e in expected)
    print(f"### Dev set: {len(questions)} questions ({answerable} answerable), "
          f"asked on {DEMO_TODAY.isoformat()}, announcement validity '{policy}' "
          f"({changed} questions expect abstention because their document expired)\n")
    print(table(rows, "Ranking (documents, whatever the confidence)"))
    print(table(by_accent, "Ranking by how the question was typed"))
    threshold = current_settings().confidence_threshold
    hybrid = results_by_mode["mix"]
    answers = [(f"hybrid, threshold {threshold}", answer_metrics(hybrid, questions, threshold))]
    for label, subset in (("with diacritics", accented), ("without diacritics", plain)):
        answers.append((f"{label} ({len(subset)})", answer_metrics(
            [hybrid[i] for i in subset], [questions[i] for i in subset], threshold)))
    print(table(answers, "Answers (bot eval metrics)"))
    settings = current_settings(**overrides)
    print(table([(f"hybrid, caveat below {settings.tentative_below}", caveat_metrics(
        hybrid, questions, settings))], "Answers given with the caveat"))
    if args.sweep:
        print(threshold_sweep(hybrid, questions))
    if args.show_misses:
        for result, question in zip(hybrid, questions, strict=True):
            docs = [h.document.id for h in result.best_per_document()][:3]
            wrong = question["expected_doc"] is not None and docs[:1] != [question["expected_doc"]]
            answered = result.confidence >= threshold
            if wrong or (question["expected_doc"] is None and answered) or (
                    question["expected_doc"] is not None and not answered):
                print(f"- {question['question']!r} expected={question['expected_doc']} "
                      f"got={docs} conf={result.confidence:.2f} "
                      f"{ {k: round(v, 2) for k, v in result.features.items()} }")


def evaluate_alqac() -> None:
    folder = SHARED / "eval-third-party" / "alqac2023"
    if not folder.is_dir():
        print("(ALQAC 2023 not present: skipped)")
        return
    prepare(ROOT / "var" / "eval" / "alqac2023", [folder / "kb"])
    questions = read(folder / "questions.jsonl")
    rows = []
    for mode in MODES:
        _, ranked = run_mode(mode, questions, DEMO_TODAY)
        # Any relevant article counts (the benchmark's own definition).
        relevant = [set(q.get("expected_docs") or [q["expected_doc"]]) for q in questions]
        rows.append((mode, ranking_metrics(ranked, relevant)))
    print(f"### ALQAC 2023 (third party, not tuned on): {len(questions)} questions\n")
    print(table(rows, "Ranking (articles)"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", default=str(DEV_QUESTIONS))
    parser.add_argument("--alqac", action="store_true", help="also evaluate ALQAC 2023")
    parser.add_argument("--validity", choices=("school_year", "open"),
                        help="announcement validity policy (default: the setting)")
    parser.add_argument("--sweep", action="store_true", help="answer metrics by threshold")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    evaluate_dev(args)
    if args.alqac:
        evaluate_alqac()


if __name__ == "__main__":
    main()
