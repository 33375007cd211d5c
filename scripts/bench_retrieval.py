"""Benchmark the answer path and print a markdown section for BENCHMARKS.md.

    .venv/bin/python scripts/bench_retrieval.py [--sizes 1000 10000 100000] [--queries 200]

Measured in one process on this machine:

1. warm query latency (p50/p95) of `KnowledgeBase.answer` — question embedding with the real
   e5-small model, dense and BM25 search, fusion, filters, confidence and answer extraction —
   over synthetic knowledge bases of 1k, 10k and 100k chunks.  At those sizes vectors are
   random unit vectors (search cost does not depend on their values) and text is sampled from
   the syllables of the demo knowledge base; the index is written and loaded like a real one;
2. ingestion throughput of the demo knowledge base (`data/kb`: parse, chunk, SQL, embed, index);
3. how long a new document takes to become answerable in a running process (ingest one file,
   `sync_index`, the running `KnowledgeBase` reloads within `reload_interval_seconds`);
4. process memory (RSS) after each step.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 28)
PAGE_CHARS = 2000  # about one typed A4 page of a Vietnamese official document


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def percentiles(values: list[float]) -> tuple[float, float]:
    return float(np.percentile(values, 50)), float(np.percentile(values, 95))


def use_data_dir(path: Path) -> None:
    os.environ["BOT_DATA_DIR"] = str(path)
    from retrieval.settings import get_retrieval_settings
    from storage.db import reset_caches

    reset_caches()
    get_retrieval_settings.cache_clear()


def vocabulary() -> list[str]:
    """Syllables of the demo knowledge base, most frequent first (Zipf-like sampling)."""
    from collections import Counter

    from retrieval.normalize import tokens

    counts: Counter[str] = Counter()
    for path in (ROOT / "data" / "kb").rglob("*.md"):
        counts.update(tokens(path.read_text(encoding="utf-8")))
    return [word for word, _ in counts.most_common()]


def synthetic_snapshot(size: int, words: list[str], dimension: int, model_id: str,
                       directory: Path) -> float:
    """Write a synthetic index version of `size` chunks; returns build seconds."""
    from retrieval.bm25 import BM25Index
    from retrieval.dense import DenseIndex
    from retrieval.index import ChunkRecord, DocumentRecord, IndexSnapshot, write_version

    rng = np.random.default_rng(7)
    started = time.perf_counter()
    weights = 1 / np.arange(1, len(words) + 1)
    weights /= weights.sum()
    lengths = rng.integers(60, 160, size)
    token_ids = rng.choice(len(words), size=int(lengths.sum()), p=weights)
    chunks, offset = {}, 0
    documents = {}
    for chunk_id in range(1, size + 1):
        length = int(lengths[chunk_id - 1])
        chunk_tokens = [words[i] for i in token_ids[offset: offset + length]]
        offset += length
        doc_id = f"doc-{chunk_id // 10}"
        documents.setdefault(doc_id, DocumentRecord(id=doc_id, title=f"Văn bản {doc_id}",
                                                    number=f"{chunk_id}/TB", issued="2026-09-01"))
        text = " ".join(chunk_tokens).capitalize() + "."
        chunks[chunk_id] = ChunkRecord(chunk_id, doc_id, f"Mục {chunk_id % 7}", text,
                                       chunk_tokens, "synthetic")
    vectors = rng.standard_normal((size, dimension)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    dense = DenseIndex(dimension)
    dense.add(np.arange(1, size + 1), vectors)
    bm25 = BM25Index()
    bm25.build(list(chunks), [c.tokens for c in chunks.values()])
    write_version(directory, IndexSnapshot(1, model_id, dense, bm25, chunks, documents))
    return time.perf_counter() - started


def bench_latency(sizes: list[int], queries: int) -> list[str]:
    from retrieval.embeddings import get_embedder
    from retrieval.index import index_dir
    from retrieval.service import KnowledgeBase
    from retrieval.settings import get_retrieval_settings
    from retrieval.types import SearchContext

    words = vocabulary()
    embedder = get_embedder().load()
    rng = random.Random(11)
    lines = ["| chunks | build + write (s) | load (s) | answer p50 (ms) | answer p95 (ms) | "
             "question embedding p50 (ms) | RSS after (MB) |", "|---|---|---|---|---|---|---|"]
    for size in sizes:
        folder = Path(tempfile.mkdtemp(prefix=f"bench-{size}-"))
        use_data_dir(folder)
        settings = get_retrieval_settings()
        build = synthetic_snapshot(size, words, embedder.dimension, embedder.model_id,
                                   index_dir(settings))
        started = time.perf_counter()
        knowledge_base = KnowledgeBase(settings, embedder=embedder).load()
        load = time.perf_counter() - started
        questions = [" ".join(rng.sample(words[:400], rng.randint(3, 9))) for _ in range(queries)]
        context = SearchContext(today=TODAY)
        for question in questions[:5]:
            knowledge_base.answer(question, context)  # warm-up
        timings, embedding = [], []
        for question in questions:
            started = time.perf_counter()
            embedder.encode_queries([question])
            embedding.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            knowledge_base.answer(question, context)
            timings.append((time.perf_counter() - started) * 1000)
        p50, p95 = percentiles(timings)
        lines.append(f"| {size:,} | {build:.1f} | {load:.1f} | {p50:.1f} | {p95:.1f} | "
                     f"{percentiles(embedding)[0]:.1f} | {rss_mb():.0f} |")
        del knowledge_base
        shutil.rmtree(folder, ignore_errors=True)
        print(lines[-1], file=sys.stderr)
    return lines


NEW_DOCUMENT = """---
id: "tb-bench-hoat-dong-trai-nghiem"
title: "Thông báo hoạt động trải nghiệm vườn thú cho học sinh khối 3"
number: "99/TB-BENCH"
issuer: "Trường Tiểu học Hòa An"
issued: "2026-11-20"
kind: "announcement"
---
Nhà trường tổ chức cho học sinh khối 3 tham quan trải nghiệm vườn thú Hòa An vào sáng thứ Bảy
ngày 05/12/2026. Học sinh tập trung tại sân trường lúc 6 giờ 30. Chi phí xe đưa đón do
ban đại diện cha mẹ học sinh hỗ trợ, học sinh mang theo nước uống và mũ nón.
"""


def bench_ingestion() -> list[str]:
    from retrieval.embeddings import get_embedder
    from retrieval.index import sync_index
    from retrieval.ingest import ingest_paths
    from retrieval.service import KnowledgeBase
    from retrieval.settings import get_retrieval_settings
    from retrieval.types import SearchContext

    folder = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    use_data_dir(folder)
    embedder = get_embedder().load()
    started = time.perf_counter()
    report = ingest_paths([ROOT / "data" / "kb"], progress=False, sync=False)
    stored = time.perf_counter() - started
    stats = sync_index()
    total = time.perf_counter() - started
    files = report.count("ok")
    chunks = sum(f.chunks for f in report.files)
    pages = sum(len(path.read_text(encoding="utf-8"))
                for path in (ROOT / "data" / "kb").rglob("*.md")) / PAGE_CHARS
    lines = [
        f"- Ingestion of the demo knowledge base (`data/kb`, {files} files, {chunks} chunks, "
        f"{pages:.0f} pages of {PAGE_CHARS:,} characters): {total:.1f} s in all "
        f"({pages / total:.1f} pages/s, {files / total:.1f} files/s, {chunks / total:.1f} "
        f"chunks/s); parse + chunk + SQL {stored:.1f} s, embedding + indexes {stats.seconds:.1f} s.",
    ]
    settings = get_retrieval_settings()
    knowledge_base = KnowledgeBase(settings, embedder=embedder).load()
    question = "Học sinh khối 3 đi tham quan vườn thú ngày nào?"
    context = SearchContext(today=TODAY)
    before = knowledge_base.answer(question, context)
    new_file = folder / "tb-bench.md"
    new_file.write_text(NEW_DOCUMENT, encoding="utf-8")
    started = time.perf_counter()
    ingest_paths([new_file], progress=False)  # stores and syncs, like `bot kb add`
    synced = time.perf_counter() - started
    visible = None
    while time.perf_counter() - started < 30:
        answer = knowledge_base.answer(question, context)
        if answer.sources and answer.sources[0].doc_id == "tb-bench-hoat-dong-trai-nghiem":
            visible = time.perf_counter() - started
            break
        time.sleep(0.05)
    lines.append(
        f"- One new document answerable in a running process: "
        f"{'not within 30 s' if visible is None else f'{visible:.2f} s'} after `bot kb add` "
        f"started (store + incremental index {synced:.2f} s, reload interval "
        f"{settings.reload_interval_seconds:g} s; before: answered={before.answered})."
    )
    lines.append(f"- RSS with the model and the demo knowledge base loaded: {rss_mb():.0f} MB.")
    shutil.rmtree(folder, ignore_errors=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    cpus = len(os.sched_getaffinity(0))
    print("## Retrieval (answer path)\n")
    print(f"Machine: {platform.processor() or platform.machine()}, {cpus} CPU cores, "
          f"Python {platform.python_version()}; e5-small on CPU; run "
          f"{dt.datetime.now().strftime('%Y-%m-%d')} with `scripts/bench_retrieval.py`.\n")
    print(f"Warm `KnowledgeBase.answer` latency, {args.queries} questions per size "
          "(synthetic chunks, random unit vectors, real query embedding):\n")
    print("\n".join(bench_latency(args.sizes, args.queries)))
    print()
    print("\n".join(bench_ingestion()))


if __name__ == "__main__":
    main()
