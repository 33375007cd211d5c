"""Benchmark of the whole running bot: memory of each service and chat round-trip latency.

Starts the real stack with `scripts/services.py` on free loopback ports (a copy of the demo
knowledge base in a temporary BOT_DATA_DIR), measures the resident memory (RSS, children included)
of Redis, the action server, Rasa and the app when idle and again after N chat turns sent through
the app's web-chat endpoint, and the round-trip latency of those turns (p50/p95). Prints a
markdown section and writes it into BENCHMARKS.md between markers. Target: whole stack ≤ 3 GB.

    .venv/bin/python scripts/bench_stack.py [--turns 200] [--no-write]
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import services  # noqa: E402  (scripts/services.py, next to this file)

ROOT = services.ROOT
BENCHMARKS = ROOT / "BENCHMARKS.md"
START_MARK = "<!-- bench_stack:start -->"
END_MARK = "<!-- bench_stack:end -->"
TARGET_BYTES = 3 * 1024**3
FEEDBACK = "Buổi sáng cổng trường rất đông, đề nghị nhà trường bố trí người hướng dẫn xe vào."


@dataclass
class Turn:
    kind: str  # question, smalltalk, button, form
    body: dict[str, str]


@dataclass
class Results:
    idle_rss: dict[str, int] = field(default_factory=dict)
    warm_rss: dict[str, int] = field(default_factory=dict)
    busy_rss: dict[str, int] = field(default_factory=dict)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0
    startup_seconds: float = 0.0
    first_answer_ms: float = 0.0


def rss_of(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    try:
        process = psutil.Process(pid)
        total = process.memory_info().rss
        for child in process.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total
    except psutil.NoSuchProcess:
        return 0


def faq_questions(kb_dir: Path) -> list[str]:
    """The question variants written in the demo FAQ entries' front matter."""
    questions: list[str] = []
    for path in sorted(kb_dir.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        if not text.startswith("---"):
            continue
        front = yaml.safe_load(text.split("---", 2)[1]) or {}
        questions.extend(q for q in front.get("questions", []) if isinstance(q, str))
    if not questions:
        raise SystemExit(f"no FAQ questions found under {kb_dir}")
    return questions


def conversation_script(questions: list[str], turns: int) -> list[list[Turn]]:
    """Sessions of 10 turns each, mixing questions, small talk, ratings and a feedback form."""
    from retrieval.normalize import fold

    asked = itertools.cycle(questions)
    sessions: list[list[Turn]] = []
    total = 0
    while total < turns:
        session = [
            Turn("smalltalk", {"text": "xin chào"}),
            Turn("question", {"text": next(asked)}),
            Turn("button", {"payload": "/rate_answer_good"}),
            Turn("question", {"text": next(asked)}),
            Turn("question", {"text": fold(next(asked))}),  # typed without diacritics
            Turn("question", {"text": next(asked)}),
            Turn("button", {"payload": "/give_feedback"}),
            Turn("form", {"text": FEEDBACK}),
            Turn("button", {"payload": "/skip"}),
            Turn("smalltalk", {"text": "cảm ơn"}),
        ][: turns - total]
        sessions.append(session)
        total += len(session)
    return sessions


def prepare_data_dir(target: Path) -> None:
    """A copy of the already loaded demo knowledge base, or a fresh `bot kb add data/kb`."""
    from storage.settings import get_storage_settings

    source = get_storage_settings().data_dir
    if (source / "bot.sqlite3").exists():
        shutil.copytree(source, target, dirs_exist_ok=True)
        return
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "bot"), "kb", "add", str(ROOT / "data" / "kb")],
        cwd=ROOT, env={**os.environ, "BOT_DATA_DIR": str(target)}, capture_output=True, text=True,
    )
    if done.returncode != 0:
        raise SystemExit(
            f"`bot kb add data/kb` failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        )


def warm_up(app_url: str) -> float:
    """One question, so the action server loads its models; returns its latency in ms."""
    with httpx.Client(base_url=app_url, timeout=300) as client:
        client.get("/")
        started = time.perf_counter()
        response = client.post("/api/chat", json={"text": "học phí lớp 1 bao nhiêu?"})
        response.raise_for_status()
        return (time.perf_counter() - started) * 1000


def chat(app_url: str, sessions: list[list[Turn]], results: Results) -> None:
    for session in sessions:
        with httpx.Client(base_url=app_url, timeout=120) as client:
            client.get("/")
            for turn in session:
                started = time.perf_counter()
                response = client.post("/api/chat", json=turn.body)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    results.errors += 1
                    continue
                results.latencies.setdefault(turn.kind, []).append(elapsed)


def percentile(values: list[float], p: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def mib(value: int) -> str:
    return f"{value / 1024**2:,.0f} MiB"


def report(results: Results, turns: int) -> str:
    names = ["redis", "action_server", "rasa", "app"]
    idle_total, busy_total = sum(results.idle_rss.values()), sum(results.busy_rss.values())
    warm_total = sum(results.warm_rss.values())
    lines = [
        START_MARK,
        "## Whole stack: memory and chat latency",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, "
        f"{psutil.cpu_count()} CPUs, {psutil.virtual_memory().total / 1024**3:.0f} GB RAM, "
        f"Python {platform.python_version()}; {turns} chat turns through the app's web chat "
        f"(one turn at a time), demo knowledge base. Stack start-up: "
        f"{results.startup_seconds:.0f} s.",
        "",
        "| process | RSS just started | RSS warm (after a first answer) | RSS after the turns |",
        "|---|---:|---:|---:|",
    ]
    for name in names:
        lines.append(f"| {name} | {mib(results.idle_rss.get(name, 0))} | "
                     f"{mib(results.warm_rss.get(name, 0))} | "
                     f"{mib(results.busy_rss.get(name, 0))} |")
    verdict = "within" if busy_total <= TARGET_BYTES else "OVER"
    lines += [
        f"| **total** | **{mib(idle_total)}** | **{mib(warm_total)}** | **{mib(busy_total)}** |",
        "",
        f"Target ≤ 3 GB for the whole stack: {verdict} the target. The action server loads the "
        f"embedding model in the background while it starts; the first answer, which waits "
        f"for that if it is not done yet, took {results.first_answer_ms:,.0f} ms and is not in "
        f"the latencies below.",
        "",
        "| turns | count | p50 | p95 |",
        "|---|---:|---:|---:|",
    ]
    every = [v for values in results.latencies.values() for v in values]
    for kind in ["question", "smalltalk", "button", "form"]:
        values = results.latencies.get(kind, [])
        if values:
            lines.append(f"| {kind} | {len(values)} | {percentile(values, 50):.0f} ms | "
                         f"{percentile(values, 95):.0f} ms |")
    if every:
        lines.append(f"| **all** | {len(every)} | {percentile(every, 50):.0f} ms | "
                     f"{percentile(every, 95):.0f} ms |")
    lines += [
        "",
        f"Failed turns: {results.errors}. Reproduce: `make bench` or "
        f"`.venv/bin/python scripts/bench_stack.py --turns {turns}`.",
        END_MARK,
    ]
    return "\n".join(lines)


def write_section(section: str, path: Path = BENCHMARKS) -> None:
    """Replace the section between its markers in BENCHMARKS.md, or append it.

    The section's first and last lines are its markers (`<!-- name:start -->` … `<!-- name:end -->`).
    """
    lines = section.strip("\n").splitlines()
    start, end = lines[0], lines[-1]
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        tail = rest.split(end, 1)[1]
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--model", help="Rasa model; default: the newest in models/")
    parser.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md")
    args = parser.parse_args(argv)

    results = Results()
    sessions = conversation_script(faq_questions(ROOT / "data" / "kb"), args.turns)
    with tempfile.TemporaryDirectory(prefix="bench-stack-") as tmp:
        data_dir, log_dir = Path(tmp) / "data", Path(tmp) / "logs"
        prepare_data_dir(data_dir)
        started = time.perf_counter()
        with services.Stack(log_dir, data_dir=data_dir) as stack:
            try:
                stack.start_all(redis_port=services.free_port(),
                                action_port=services.free_port(),
                                rasa_port=services.free_port(), app_port=services.free_port(),
                                model=Path(args.model) if args.model else None)
            except services.ServiceError as error:
                print(f"ERROR: {error}", file=sys.stderr)
                return 1
            results.startup_seconds = time.perf_counter() - started
            time.sleep(2)
            results.idle_rss = {name: rss_of(pid) for name, pid in stack.pids().items()}
            results.first_answer_ms = warm_up(stack.app_url)
            results.warm_rss = {name: rss_of(pid) for name, pid in stack.pids().items()}
            chat(stack.app_url, sessions, results)
            results.busy_rss = {name: rss_of(pid) for name, pid in stack.pids().items()}
    section = report(results, args.turns)
    print(section)
    if not args.no_write:
        write_section(section)
        print(f"\n(written to {BENCHMARKS})")
    return 0 if results.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
