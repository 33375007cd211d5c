"""Checks on the retrieval development data: the demo knowledge base and the question set.

`data/kb/` (the built-in demo knowledge base) and `tests/retrieval/dev_questions.jsonl` are
hand-written data that the evaluator and the demo rely on.  A typo in a front-matter date, an
`expected_doc` that names no document, or a question labelled with an expired announcement
would silently distort every retrieval score, so these tests hold the data to its rules.

Shared documents (`../shared/kb-sources` next to the repository) are checked only when present.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from retrieval.normalize import fold, folded_tokens, load_abbreviations, normalize
from retrieval.types import DOCUMENT_KINDS

REPO_ROOT = Path(__file__).resolve().parents[2]
KB_DIR = REPO_ROOT / "data" / "kb"
QUESTIONS_FILE = Path(__file__).with_name("dev_questions.jsonl")
SHARED_DIR = REPO_ROOT.parent / "shared" / "kb-sources"

# The date the demo knowledge base is written for (see docs/demo-kb.md).
DEMO_TODAY = dt.date(2026, 11, 28)

MIN_QUESTIONS = 150
MIN_UNANSWERABLE = 20
COMMON_KEYS = ("id", "title", "issuer", "issued", "kind", "source")
DATE_KEYS = ("issued", "valid_from", "valid_until")
FRONT_MATTER_RE = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.DOTALL)
WORD_RE = re.compile(r"\w+", re.UNICODE)


def split_front_matter(path: Path) -> tuple[dict[str, Any], str]:
    """Front matter (as a mapping) and body of one Markdown file."""
    match = FRONT_MATTER_RE.match(path.read_text(encoding="utf-8"))
    assert match, f"{path}: no YAML front matter between '---' lines"
    meta = yaml.safe_load(match.group(1))
    assert isinstance(meta, dict), f"{path}: front matter is not a mapping"
    return meta, match.group(2)


def as_date(value: Any) -> dt.date:
    """A front-matter date, written either as a YAML date or as an ISO string."""
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def kb_files() -> list[Path]:
    return sorted(KB_DIR.rglob("*.md"))


def kb_documents() -> dict[str, dict[str, Any]]:
    return {meta["id"]: meta for meta, _ in (split_front_matter(p) for p in kb_files())}


def load_questions() -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(QUESTIONS_FILE.read_text(encoding="utf-8").splitlines(), 1):
        assert line.strip(), f"line {number}: empty line"
        rows.append(json.loads(line))
    return rows


def is_plain_typing(question: str, abbreviations: dict[str, str]) -> bool:
    """True for text typed without diacritics or with an abbreviation/teencode word."""
    if fold(question) == normalize(question):
        return True
    return any(word in abbreviations for word in WORD_RE.findall(normalize(question)))


# --------------------------------------------------------------------------- demo KB


def test_demo_kb_has_enough_documents_of_each_kind() -> None:
    kinds = collections.Counter(meta["kind"] for meta in kb_documents().values())
    assert sum(kinds.values()) >= 25
    assert kinds["document"] >= 2 and kinds["announcement"] >= 10 and kinds["faq"] >= 10


@pytest.mark.parametrize("path", kb_files(), ids=lambda p: p.stem)
def test_demo_kb_front_matter(path: Path) -> None:
    meta, body = split_front_matter(path)
    missing = [key for key in COMMON_KEYS if not meta.get(key)]
    assert not missing, f"missing keys {missing}"
    assert meta["id"] == path.stem, "file name must be the document id"
    assert meta["kind"] in DOCUMENT_KINDS
    assert str(meta["source"]).startswith("https://")
    for key in DATE_KEYS:
        if key in meta:
            as_date(meta[key])  # raises on an invalid date
    if meta["kind"] in ("document", "announcement"):
        assert meta.get("number"), "documents and announcements carry a số hiệu"
    if meta["kind"] == "announcement":
        assert meta.get("valid_from") and meta.get("valid_until")
    if meta.get("valid_from") and meta.get("valid_until"):
        assert as_date(meta["valid_from"]) <= as_date(meta["valid_until"])
        assert as_date(meta["issued"]) <= as_date(meta["valid_until"])
    if meta["kind"] == "faq":
        questions = meta.get("questions")
        assert isinstance(questions, list) and 3 <= len(questions) <= 6
        assert all(isinstance(q, str) and q.strip() for q in questions)
    words = len(body.split())
    assert 40 <= words <= 900, f"body has {words} words"
    assert fold(body) != normalize(body), "text a parent reads must carry diacritics"


def test_demo_kb_ids_are_unique() -> None:
    ids = [split_front_matter(path)[0]["id"] for path in kb_files()]
    duplicates = [key for key, count in collections.Counter(ids).items() if count > 1]
    assert not duplicates


def test_demo_kb_has_expired_and_future_announcements() -> None:
    windows = [
        (as_date(meta["valid_from"]), as_date(meta["valid_until"]))
        for meta in kb_documents().values()
        if meta["kind"] == "announcement"
    ]
    expired = [w for w in windows if w[1] < DEMO_TODAY]
    future = [w for w in windows if w[0] > DEMO_TODAY]
    current = [w for w in windows if w[0] <= DEMO_TODAY <= w[1]]
    assert len(expired) >= 2 and len(future) >= 1 and len(current) >= 10


# --------------------------------------------------------------------- question set


def test_question_lines_have_the_expected_fields() -> None:
    for row in load_questions():
        assert isinstance(row["question"], str) and row["question"].strip()
        assert row["expected_doc"] is None or isinstance(row["expected_doc"], str)
        assert row["accents"] in ("yes", "no")
        assert row["source"] in ("demo", "shared")


def test_question_set_size_and_balance() -> None:
    rows = load_questions()
    assert len(rows) >= MIN_QUESTIONS
    assert sum(row["expected_doc"] is None for row in rows) >= MIN_UNANSWERABLE
    demo_share = sum(row["source"] == "demo" for row in rows) / len(rows)
    assert 0.5 <= demo_share <= 0.7


def test_questions_are_unique() -> None:
    folded = [fold(row["question"]) for row in load_questions()]
    duplicates = [q for q, count in collections.Counter(folded).items() if count > 1]
    assert not duplicates


def test_at_least_a_third_typed_without_diacritics_or_abbreviated() -> None:
    abbreviations = load_abbreviations()
    rows = load_questions()
    plain = sum(is_plain_typing(row["question"], abbreviations) for row in rows)
    assert plain * 3 >= len(rows)


def test_accents_field_matches_the_text() -> None:
    for row in load_questions():
        has_accents = fold(row["question"]) != normalize(row["question"])
        assert row["accents"] == ("yes" if has_accents else "no"), row["question"]


def test_accent_pairs_ask_the_same_thing() -> None:
    pairs: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for row in load_questions():
        if "pair" in row:
            pairs[row["pair"]].append(row)
    assert len(pairs) >= 10
    for key, members in pairs.items():
        assert len(members) == 2, key
        assert {m["accents"] for m in members} == {"yes", "no"}, key
        assert members[0]["expected_doc"] == members[1]["expected_doc"], key
        assert folded_tokens(members[0]["question"]) == folded_tokens(members[1]["question"]), key


def test_demo_expected_docs_exist_and_are_in_force() -> None:
    documents = kb_documents()
    for row in load_questions():
        doc = row["expected_doc"]
        if row["source"] != "demo" or doc is None:
            continue
        assert doc in documents, f"{doc!r} is not an id in data/kb"
        meta = documents[doc]
        if meta.get("valid_from"):
            assert as_date(meta["valid_from"]) <= DEMO_TODAY, f"{doc} is not yet valid"
        if meta.get("valid_until"):
            assert DEMO_TODAY <= as_date(meta["valid_until"]), f"{doc} has expired"


def test_questions_about_out_of_date_announcements_expect_no_answer() -> None:
    rows = [row for row in load_questions() if row.get("validity")]
    assert {row["validity"] for row in rows} == {"expired", "not_yet_valid"}
    assert all(row["expected_doc"] is None for row in rows)


def test_shared_expected_docs_exist() -> None:
    if not SHARED_DIR.is_dir():
        pytest.skip(f"{SHARED_DIR} is not present")
    shared_ids = set()
    for path in SHARED_DIR.rglob("*.md"):
        meta, _ = split_front_matter(path)
        shared_ids.add(meta.get("id") or path.stem)
    demo_ids = set(kb_documents())
    for row in load_questions():
        doc = row["expected_doc"]
        if row["source"] == "shared" and doc is not None:
            assert doc in shared_ids, f"{doc!r} is not a document in {SHARED_DIR}"
            assert doc not in demo_ids
