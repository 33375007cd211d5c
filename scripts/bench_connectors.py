"""Load test of the Messenger and Zalo webhooks through the whole running bot.

Starts the real stack with `scripts/services.py` on free loopback ports (a copy of the demo
knowledge base in a temporary BOT_DATA_DIR) with Messenger and Zalo credentials (fake secrets)
whose API base URLs point at the fake Graph and Zalo servers of the connector tests
(`tests/connectors/fakes`), run on loopback in a child process so they and the load generator
do not delay each other. Simulated users then post signed webhooks with httpx at a fixed
rate, in two phases:

* ack: many webhooks per second (default 50/s for 20 s); measures how fast the app answers the
  platform (the 200 that keeps a webhook enabled), then how long the worker takes to drain the
  backlog;
* sustained: a steady rate (default 10 messages/s for 60 s); measures the end-to-end latency
  from sending the webhook to the fake Send API receiving the first and the last reply piece,
  the throughput, and messages lost (not fully answered within the deadline) or duplicated.

A reply carries no inbound message id, so replies are attributed per user in order: the worker
handles one user's messages one after another, each user's webhooks are posted one after
another, and the number of pieces the worker sent for each message is read from its per-message
state in Redis (`msgstate:<channel>:<id>`, field `sent`). Pieces received beyond that sum are
duplicates. A few webhooks are posted twice (like a platform retry) to exercise deduplication.
The per-user rate limit stays at its default: the load comes from many distinct users (each
sends a few messages a minute), so no reply may be a flood notice. Replies are checked, not just
counted: every reply to a knowledge question must contain the answer `bot ask` gives for it
(the knowledge base's own answer, computed after the run in one process), and no reply may be
the "bot down" text or the knowledge base's no-answer text.

Prints a markdown section and writes it into BENCHMARKS.md between markers.

    .venv/bin/python scripts/bench_connectors.py [--ack-rate 50 --ack-seconds 20]
        [--sustain-rate 10 --sustain-seconds 60] [--users 400] [--no-write]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import psutil
import redis.asyncio as aioredis

sys.path.insert(0, str(Path(__file__).resolve().parent))
import services  # noqa: E402  (scripts/services.py, next to this file)
from bench_stack import prepare_data_dir, write_section  # noqa: E402

ROOT = services.ROOT
sys.path.insert(0, str(ROOT / "tests" / "connectors"))
from fakes import builders  # noqa: E402  (tests/connectors/fakes: the fake platform servers)
from fakes.graph_api import FakeGraph  # noqa: E402
from fakes.loopback import LoopbackServer  # noqa: E402
from fakes.zalo_api import FakeZalo  # noqa: E402

BENCHMARKS = ROOT / "BENCHMARKS.md"
START_MARK = "<!-- bench_connectors:start -->"
END_MARK = "<!-- bench_connectors:end -->"
STATE_PREFIX = "msgstate:"  # connectors.worker.STATE_PREFIX
QUESTIONS = [
    "học phí lớp 1 bao nhiêu?", "khi nào tuyển sinh lớp 6?", "giờ học buổi sáng mấy giờ?",
    "trường có bán trú không?", "hồ sơ nhập học cần những gì?",
]
TEXTS = ["xin chào", "chào bạn", "cảm ơn", "cảm ơn nhiều", "tạm biệt", *QUESTIONS]
BOT_DOWN = "hệ thống đang gặp sự cố"  # connectors.platforms.texts.BOT_DOWN
FLOOD = "gửi nhiều tin nhắn quá nhanh"  # connectors.platforms.texts.FLOOD
NO_ANSWER = "chưa có thông tin chính thức về câu hỏi này"  # retrieval.answer.NO_ANSWER_TEXT
ACK_PATH_NOTE = (
    "What the webhook does before its 200: HMAC/SHA-256 signature check over the raw body, JSON "
    "parse, then ONE Redis round trip per message (a Lua script doing dedup `SET NX`, the reply-"
    "window mark and the `XADD` atomically; it used to be four sequential calls); no SQL, no Rasa, no"
    " outbound call. The remaining tail of the ack phase comes from CPU contention on the 2 cores "
    "while the worker drains the backlog (Rasa and the action server saturate the CPUs at ≈ 27 "
    "messages/s); the sustained phase, with no backlog, stays under 10 ms. The fake platforms run in "
    "a child process so their work does not inflate the measured ack times; turn records are written "
    "by one thread."
)
ASK_SCRIPT = """
import json, sys
from retrieval.types import SearchContext
from retrieval.service import get_knowledge_base
kb = get_knowledge_base()
print(json.dumps({q: kb.answer(q, SearchContext()).to_json() for q in json.load(sys.stdin)},
                 ensure_ascii=False))
"""
ACCESS_TOKEN, REFRESH_TOKEN = "BENCH-AT-0", "BENCH-RT-0"


Arrival = tuple[float, str, str, str]  # (monotonic, channel, user, text)


# ---- fake platforms ------------------------------------------------------------------------
class TimedGraph(FakeGraph):
    """The fake Graph API, also noting when each send arrived and for whom."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[Arrival] = []

    async def _send(self, request: Any) -> Any:
        arrived = time.monotonic()
        response = await super()._send(request)
        body = self.requests[-1]["json"]
        self.arrivals.append((arrived, "messenger", body["recipient"]["id"],
                              (body.get("message") or {}).get("text", "")))
        return response


class TimedZalo(FakeZalo):
    """The fake Zalo Open API, also noting when each send arrived and for whom."""

    def __init__(self) -> None:
        super().__init__(access_token=ACCESS_TOKEN, refresh_token=REFRESH_TOKEN)
        self.arrivals: list[Arrival] = []

    async def _send(self, request: Any) -> Any:
        arrived = time.monotonic()
        response = await super()._send(request)
        body = self.sends[-1]["json"]
        self.arrivals.append((arrived, "zalo", body["recipient"]["user_id"],
                              (body.get("message") or {}).get("text", "")))
        return response


class FakePlatforms:
    """Both fakes on loopback ports, served by a child process with its own event loop.

    A process, not a thread: in a thread the fakes' work would hold the load generator's GIL
    and show up as webhook ack latency that the app never caused. Arrival times use the
    system-wide monotonic clock, so they compare with the parent's; the parent asks for them
    over a pipe."""

    def __init__(self) -> None:
        self.graph, self.zalo = TimedGraph(), TimedZalo()
        self.graph_server = LoopbackServer(self.graph.app)  # sockets bound here, inherited
        self.zalo_server = LoopbackServer(self.zalo.app)
        self._conn, child = multiprocessing.Pipe()
        self._process = multiprocessing.get_context("fork").Process(
            target=self._serve, args=(child,), name="fake-platforms", daemon=True)

    def _serve(self, conn: Connection) -> None:
        async def serve() -> None:
            loop = asyncio.get_running_loop()
            await self.graph_server.start()
            await self.zalo_server.start()
            conn.send("ready")
            try:
                while (request := await loop.run_in_executor(None, conn.recv)) != "stop":
                    if request == "arrivals":
                        conn.send(sorted(list(self.graph.arrivals) + list(self.zalo.arrivals)))
            finally:
                await self.graph_server.stop()
                await self.zalo_server.stop()

        try:
            asyncio.run(serve())
        except BaseException as error:  # reported to the parent by __enter__
            conn.send(f"error: {error!r}")

    def __enter__(self) -> FakePlatforms:
        self._process.start()
        ready = self._conn.recv() if self._conn.poll(30) else "no answer within 30 s"
        if ready != "ready":
            raise SystemExit(f"fake platform servers did not start: {ready}")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._process.is_alive():
            self._conn.send("stop")
            self._process.join(15)
        if self._process.is_alive():
            self._process.kill()

    def arrivals(self) -> list[Arrival]:
        self._conn.send("arrivals")
        arrivals: list[Arrival] = self._conn.recv()
        return arrivals


def platform_env(graph_url: str, zalo_url: str) -> dict[str, str]:
    return {
        "MESSENGER_APP_SECRET": builders.APP_SECRET,
        "MESSENGER_VERIFY_TOKEN": builders.VERIFY_TOKEN,
        "MESSENGER_PAGE_ACCESS_TOKEN": builders.PAGE_TOKEN,
        "MESSENGER_GRAPH_BASE_URL": graph_url,
        "ZALO_APP_ID": builders.ZALO_APP_ID,
        "ZALO_OA_SECRET_KEY": builders.ZALO_SECRET,
        "ZALO_APP_SECRET": "bench-zalo-app-secret",
        "ZALO_ACCESS_TOKEN": ACCESS_TOKEN,
        "ZALO_REFRESH_TOKEN": REFRESH_TOKEN,
        "ZALO_API_BASE_URL": zalo_url,
        "ZALO_OAUTH_BASE_URL": zalo_url,
    }


# ---- load ----------------------------------------------------------------------------------
@dataclass
class Sent:
    """One inbound message as posted (the first post; retries do not move `at`)."""

    phase: str
    channel: str
    user: str
    mid: str
    text: str
    at: float = 0.0
    ack_ms: float | None = None
    status: int | None = None
    expected: int | None = None  # pieces the worker sent for it (from Redis)
    delivery: str = ""  # the worker's outcome: sent, failed, rate_limited, bot_down …
    first_reply: float | None = None
    last_reply: float | None = None
    replies: list[str] = field(default_factory=list)  # the texts of its reply pieces


@dataclass
class Phase:
    name: str
    rate: float
    seconds: float
    messages: list[Sent] = field(default_factory=list)
    ack_ms: list[float] = field(default_factory=list)  # every POST, retries included
    ack_errors: int = 0
    redeliveries: int = 0
    send_span_s: float = 0.0
    drained_s: float | None = None  # from the first send until every message was answered


class Load:
    """Simulated users posting signed webhooks at a fixed rate (one user's posts in order)."""

    def __init__(self, app_url: str, users: int, retry_fraction: float, seed: int = 7) -> None:
        self.app_url = app_url
        self.users = [("messenger" if i % 2 == 0 else "zalo", f"bench-{i:04d}")
                      for i in range(users)]
        self.retry_fraction = retry_fraction
        self.random = random.Random(seed)
        self.locks = {user: asyncio.Lock() for _, user in self.users}
        self.counter = itertools.count(1)
        self.all: list[Sent] = []

    def request(self, sent: Sent) -> tuple[str, bytes, dict[str, str]]:
        stamp = int(time.time() * 1000)
        if sent.channel == "messenger":
            body = builders.messenger_body([builders.text_event(sent.user, sent.mid, sent.text,
                                                                timestamp=stamp)])
            return "/webhooks/messenger", body, builders.messenger_headers(body)
        body = builders.zalo_body(user=sent.user, mid=sent.mid, text=sent.text, timestamp=stamp)
        return "/webhooks/zalo", body, builders.zalo_headers(body)

    async def post(self, client: httpx.AsyncClient, sent: Sent, phase: Phase | None) -> None:
        async with self.locks[sent.user]:
            path, body, headers = self.request(sent)
            repeat = phase is not None and self.random.random() < self.retry_fraction
            for attempt in range(2 if repeat else 1):
                started = time.monotonic()
                if attempt == 0:
                    sent.at = started
                try:
                    response = await client.post(path, content=body, headers=headers)
                    status = response.status_code
                except httpx.HTTPError:
                    status = 0
                elapsed = (time.monotonic() - started) * 1000
                if attempt == 0:
                    sent.status, sent.ack_ms = status, elapsed
                if phase is not None:
                    phase.ack_ms.append(elapsed)
                    phase.ack_errors += status != 200
                    phase.redeliveries += attempt
                await asyncio.sleep(0)

    def message(self, phase: str, user_index: int) -> Sent:
        channel, user = self.users[user_index % len(self.users)]
        number = next(self.counter)
        prefix = "m" if channel == "messenger" else "z"
        sent = Sent(phase, channel, user, f"{prefix}.bench.{number}",
                    TEXTS[(number * 7 + user_index) % len(TEXTS)])
        self.all.append(sent)
        return sent

    async def run_phase(self, client: httpx.AsyncClient, phase: Phase) -> None:
        """Post rate×seconds messages, the i-th at start + i/rate (bounded, no catch-up burst
        beyond what is already late)."""
        total = int(round(phase.rate * phase.seconds))
        order = list(range(len(self.users)))
        self.random.shuffle(order)
        tasks = []
        start = time.monotonic()
        for i in range(total):
            delay = start + i / phase.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            sent = self.message(phase.name, order[i % len(order)])
            phase.messages.append(sent)
            tasks.append(asyncio.create_task(self.post(client, sent, phase)))
        await asyncio.gather(*tasks)
        phase.send_span_s = time.monotonic() - start


# ---- attribution ---------------------------------------------------------------------------
async def read_expected(redis: aioredis.Redis, messages: list[Sent]) -> int:
    """Fill `expected` (pieces sent) for each message the worker finished; return how many
    are not finished yet."""
    unfinished = 0
    for sent in messages:
        if sent.expected is not None:
            continue
        state = await redis.hgetall(f"{STATE_PREFIX}{sent.channel}:{sent.mid}")
        state = {k.decode(): v.decode() for k, v in state.items()}
        if state.get("done"):
            sent.expected = int(state.get("sent", 0))
            sent.delivery = state.get("delivery", "")
        else:
            unfinished += 1
    return unfinished


def attribute(messages: list[Sent], arrivals: list[Arrival]) -> int:
    """Assign reply arrivals to messages per user in order; return the duplicate count.

    Messages whose `expected` is still unknown stop the attribution for that user (their
    replies, if any, stay unassigned and are not counted as duplicates).
    """
    by_user: dict[tuple[str, str], list[tuple[float, str]]] = {}
    for at, channel, user, text in arrivals:
        by_user.setdefault((channel, user), []).append((at, text))
    per_user: dict[tuple[str, str], list[Sent]] = {}
    for sent in sorted(messages, key=lambda s: s.at):
        per_user.setdefault((sent.channel, sent.user), []).append(sent)
    duplicates = 0
    for key, sents in per_user.items():
        times = by_user.get(key, [])
        cursor, complete = 0, True
        for sent in sents:
            if sent.expected is None:
                complete = False
                break
            mine = times[cursor: cursor + sent.expected]
            cursor += sent.expected
            sent.replies = [text for _, text in mine]
            sent.first_reply = mine[0][0] if mine else None
            sent.last_reply = mine[-1][0] if len(mine) == sent.expected and mine else None
        if complete:
            duplicates += max(0, len(times) - cursor)
    return duplicates


async def wait_answered(redis: aioredis.Redis, platforms: FakePlatforms, load: Load,
                        messages: list[Sent], deadline: float) -> float | None:
    """Wait until every message is finished and all its pieces arrived, or until `deadline`
    (monotonic); the time all were answered, or None when the deadline passed first."""
    while True:
        unfinished = await read_expected(redis, messages)
        if unfinished == 0:
            attribute(load.all, platforms.arrivals())
            if all(s.expected == 0 or s.last_reply is not None for s in messages):
                return max((s.last_reply or s.at for s in messages), default=time.monotonic())
        if time.monotonic() >= deadline:
            return None
        await asyncio.sleep(0.25)


# ---- reply check ---------------------------------------------------------------------------
def reference_answers(data_dir: Path) -> dict[str, dict[str, Any]]:
    """`bot ask --json` for every question of the load, in one process on the run's data."""
    env = {**os.environ, "BOT_DATA_DIR": str(data_dir)}
    done = subprocess.run([str(services.APP_PYTHON), "-c", ASK_SCRIPT], cwd=ROOT, env=env,
                          input=json.dumps(QUESTIONS), capture_output=True, text=True,
                          timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"bot ask failed: {done.stderr[-2000:]}")
    answers: dict[str, dict[str, Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    return answers


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


@dataclass
class ReplyCheck:
    questions: int = 0  # question messages with complete replies
    matching: int = 0  # ... whose replies contain the knowledge base's answer
    bad: dict[str, int] = field(default_factory=dict)  # bot_down / flood / no_answer → count


def check_replies(messages: list[Sent], answers: dict[str, dict[str, Any]]) -> ReplyCheck:
    """Compare what each finished message received with what it should have received."""
    check = ReplyCheck()
    for sent in messages:
        if not sent.replies or sent.last_reply is None:
            continue
        joined = _plain(" ".join(sent.replies))
        for name, marker in (("bot down", BOT_DOWN), ("flood notice", FLOOD),
                             ("no answer", NO_ANSWER)):
            if marker in joined:
                check.bad[name] = check.bad.get(name, 0) + 1
        if sent.text in answers:
            check.questions += 1
            expected = _plain(answers[sent.text]["answer"])[:120]
            check.matching += expected in joined
    return check


# ---- report --------------------------------------------------------------------------------
def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def ms(value: float) -> str:
    return "–" if value != value else f"{value:,.0f} ms"


def deliveries(messages: list[Sent]) -> str:
    counts: dict[str, int] = {}
    for sent in messages:
        name = sent.delivery or "unfinished"
        counts[name] = counts.get(name, 0) + 1
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))


@dataclass
class Outcome:
    answered: int
    lost: int
    no_reply: int  # finished with zero pieces sent (e.g. empty reply)
    first_ms: list[float]
    last_ms: list[float]


def outcome(phase: Phase, deadline_s: float) -> Outcome:
    answered = lost = no_reply = 0
    first, last = [], []
    for sent in phase.messages:
        if sent.expected == 0:
            no_reply += 1
            continue
        if sent.last_reply is not None and sent.last_reply - sent.at <= deadline_s:
            answered += 1
            first.append((sent.first_reply - sent.at) * 1000)  # type: ignore[operator]
            last.append((sent.last_reply - sent.at) * 1000)
        else:
            lost += 1
    return Outcome(answered, lost, no_reply, first, last)


def report(ack: Phase, sustain: Phase, duplicates: int, args: argparse.Namespace,
           startup_s: float, pieces_per_message: float, check: ReplyCheck) -> str:
    a, s = outcome(ack, args.ack_deadline), outcome(sustain, args.deadline)
    sustain_answered_span = (max((m.last_reply or 0) for m in sustain.messages)
                             - min(m.at for m in sustain.messages)) if s.answered else 0
    throughput = s.answered / sustain_answered_span if sustain_answered_span else 0
    drained = (f"{ack.drained_s:.0f} s after the first webhook "
               f"(≈ {len(ack.messages) / ack.drained_s:.1f} messages/s through the worker)"
               if ack.drained_s else f"not within {args.ack_deadline:.0f} s")
    lines = [
        START_MARK,
        "## Messenger and Zalo webhooks under load",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, "
        f"{psutil.cpu_count()} CPUs, Python {platform.python_version()}: the whole stack "
        f"(Redis, action server, Rasa, app with its inbound worker; demo knowledge base; "
        f"start-up {startup_s:.0f} s) with fake Graph/Zalo Send APIs on loopback; "
        f"{args.users} simulated users (half Messenger, half Zalo) post signed webhooks "
        f"with short texts (greetings, thanks, a few questions); {args.retry_fraction:.0%} of "
        f"the webhooks are posted twice like a platform retry. The per-user rate limit stays at "
        f"its default (20 messages/min): each user sends a few a minute. One message gives "
        f"{pieces_per_message:.1f} reply pieces on average. Machine shared with other jobs "
        f"during the run (load average {os.getloadavg()[0]:.1f} at the end).",
        "",
        "| phase | webhooks | rate achieved | ack p50 | ack p99 | ack max | non-200 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for phase in (ack, sustain):
        rate = len(phase.messages) / phase.send_span_s if phase.send_span_s else 0
        lines.append(
            f"| {phase.name} ({phase.rate:g}/s for {phase.seconds:g} s) | "
            f"{len(phase.ack_ms)} | {rate:.1f}/s | {ms(percentile(phase.ack_ms, 50))} | "
            f"{ms(percentile(phase.ack_ms, 99))} | {ms(max(phase.ack_ms, default=float('nan')))}"
            f" | {phase.ack_errors} |")
    lines += [
        "",
        f"Backlog of the ack phase ({len(ack.messages)} messages) answered: {drained}; "
        f"lost (not fully answered within {args.ack_deadline:.0f} s): {a.lost}.",
        "",
        "| sustained phase | messages | reply p50 (first piece) | reply p95 (first piece) | "
        "reply p95 (last piece) | throughput | lost | duplicated pieces |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| {sustain.rate:g}/s for {sustain.seconds:g} s | {len(sustain.messages)} | "
        f"{ms(percentile(s.first_ms, 50))} | {ms(percentile(s.first_ms, 95))} | "
        f"{ms(percentile(s.last_ms, 95))} | {throughput:.1f} messages/s | {s.lost} | "
        f"{duplicates} |",
        "",
        f"Reply latency: from posting the webhook to the fake Send API receiving the reply. "
        f"Lost: no complete reply within {args.deadline:.0f} s. Duplicated: pieces received "
        f"beyond what the worker sent, over both phases (replies are attributed per user in "
        f"order, with each message's piece count read from the worker's state in Redis). "
        f"Messages answered with no reply at all: {a.no_reply + s.no_reply}. Worker outcomes "
        f"over both phases: {deliveries(ack.messages + sustain.messages)}.",
        "",
        f"Replies checked: {check.matching} of {check.questions} answered knowledge questions "
        f"contain the answer `bot ask` gives for the same question; replies that are a bot-down "
        f"text, a flood notice or the no-answer text: "
        f"{', '.join(f'{k} {v}' for k, v in sorted(check.bad.items())) or 'none'}.",
        "",
        ACK_PATH_NOTE,
        "",
        "Reproduce: `make bench` or `.venv/bin/python scripts/bench_connectors.py "
        f"--ack-rate {args.ack_rate:g} --ack-seconds {args.ack_seconds:g} "
        f"--sustain-rate {args.sustain_rate:g} --sustain-seconds {args.sustain_seconds:g} "
        f"--users {args.users}`.",
        END_MARK,
    ]
    return "\n".join(lines)


# ---- main ----------------------------------------------------------------------------------
async def drive(app_url: str, redis_url: str, platforms: FakePlatforms,
                args: argparse.Namespace) -> tuple[Phase, Phase, int, float]:
    load = Load(app_url, args.users, args.retry_fraction)
    redis = aioredis.from_url(redis_url)
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    try:
        async with httpx.AsyncClient(base_url=app_url, timeout=30, limits=limits) as client:
            # Warm-up (not measured): one question per channel loads the action server's models.
            warm = [load.message("warm-up", 0), load.message("warm-up", 1)]
            warm[0].text = warm[1].text = "học phí lớp 1 bao nhiêu?"
            for sent in warm:
                await load.post(client, sent, None)
            if await wait_answered(redis, platforms, load, warm, time.monotonic() + 300) is None:
                raise SystemExit("warm-up: the bot did not answer a webhook within 300 s "
                                 "(see the app and rasa logs)")
            ack = Phase("ack", args.ack_rate, args.ack_seconds)
            await load.run_phase(client, ack)
            first = min(m.at for m in ack.messages)
            done = await wait_answered(redis, platforms, load, ack.messages,
                                       first + args.ack_deadline)
            ack.drained_s = None if done is None else done - first
            sustain = Phase("sustained", args.sustain_rate, args.sustain_seconds)
            await load.run_phase(client, sustain)
            await wait_answered(redis, platforms, load, sustain.messages,
                                time.monotonic() + args.deadline)
            await asyncio.sleep(1.0)  # late duplicates, if any
            await read_expected(redis, load.all)
            duplicates = attribute(load.all, platforms.arrivals())
            finished = [m.expected for m in load.all if m.expected]
            pieces = sum(finished) / len(finished) if finished else 0.0
            return ack, sustain, duplicates, pieces
    finally:
        await redis.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ack-rate", type=float, default=50, help="webhooks/s, ack phase")
    parser.add_argument("--ack-seconds", type=float, default=20)
    parser.add_argument("--ack-deadline", type=float, default=300,
                        help="seconds after the ack phase's first webhook to answer its backlog")
    parser.add_argument("--sustain-rate", type=float, default=10, help="messages/s, sustained")
    parser.add_argument("--sustain-seconds", type=float, default=60)
    parser.add_argument("--deadline", type=float, default=60,
                        help="a sustained-phase message not fully answered this long is lost")
    parser.add_argument("--users", type=int, default=400)
    parser.add_argument("--retry-fraction", type=float, default=0.05,
                        help="share of webhooks posted twice (platform retry)")
    parser.add_argument("--model", help="Rasa model; default: the newest in models/")
    parser.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md")
    args = parser.parse_args(argv)
    if args.users < 2 or min(args.ack_rate, args.ack_seconds, args.sustain_rate,
                             args.sustain_seconds) <= 0:
        parser.error("rates and durations must be positive and --users at least 2")

    with services.stop_on_signals(), \
            tempfile.TemporaryDirectory(prefix="bench-connectors-") as tmp, \
            FakePlatforms() as platforms:
        data_dir, log_dir = Path(tmp) / "data", Path(tmp) / "logs"
        prepare_data_dir(data_dir)
        env = platform_env(platforms.graph_server.url, platforms.zalo_server.url)
        started = time.perf_counter()
        with services.Stack(log_dir, data_dir=data_dir, extra_env=env) as stack:
            try:
                stack.start_all(redis_port=services.free_port(),
                                action_port=services.free_port(),
                                rasa_port=services.free_port(), app_port=services.free_port(),
                                model=Path(args.model) if args.model else None)
            except services.ServiceError as error:
                print(f"ERROR: {error}", file=sys.stderr)
                return 1
            startup_s = time.perf_counter() - started
            try:
                ack, sustain, duplicates, pieces = asyncio.run(
                    drive(stack.app_url, stack.redis_url, platforms, args))
            except (SystemExit, KeyboardInterrupt) as error:
                print(f"ERROR: {error}; app log: {services.log_tail(log_dir / 'app.log')}",
                      file=sys.stderr)
                return 1
        check = check_replies(ack.messages + sustain.messages, reference_answers(data_dir))
    section = report(ack, sustain, duplicates, args, startup_s, pieces, check)
    print(section)
    if not args.no_write:
        write_section(section)
        print(f"\n(written to {BENCHMARKS})")
    if check.bad:
        print(f"ERROR: replies that are not answers: {check.bad}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
