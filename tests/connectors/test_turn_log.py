"""TurnLog: what a web-chat turn leaves in the conversation log, and that a failed write never
costs the resident the answer."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from connectors.messages import IncomingMessage, OutgoingMessage, QuickReply
from connectors.turn_log import TurnLog
from storage.db import reset_caches, session_scope
from storage.models import Turn
from storage.privacy import hash_user_id

MESSAGE = IncomingMessage(
    channel="web", user_id="session-abc", message_id="m-1", text="con tôi 0912 345 678 học lớp 1"
)
REPLIES = [
    OutgoingMessage(
        text="Được miễn học phí.",
        meta={"answered": True, "confidence": 0.8, "sources": [{"doc_id": "faq-1"}],
              "school": "Trường Tiểu học Hòa An"},
    ),
    OutgoingMessage(
        text="Có hữu ích không?", quick_replies=[QuickReply("👍", "/rate_answer_good")]
    ),
]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STORAGE_HASH_SALT", "salt-for-this-test")
    reset_caches()
    yield tmp_path
    reset_caches()


async def test_a_turn_is_stored_with_a_hashed_sender_and_redacted_text(data_dir: Path) -> None:
    log = TurnLog.from_storage()
    assert log.enabled
    await log.record(MESSAGE, REPLIES, latency_ms=123.456)

    with session_scope() as session:
        turns = session.scalars(select(Turn)).all()
        assert len(turns) == 1
        turn = turns[0]
        assert turn.user_hash == hash_user_id("session-abc", "salt-for-this-test")
        assert turn.text == "con tôi [số điện thoại] học lớp 1"
        assert turn.reply == "Được miễn học phí.\n\nCó hữu ích không?"
        assert (turn.channel, turn.message_id) == ("web", "m-1")
        assert (turn.answered, turn.confidence, turn.latency_ms) == (True, 0.8, 123.5)
        assert turn.sources == [{"doc_id": "faq-1"}]
        assert turn.school == "Trường Tiểu học Hòa An"  # staff filter the log by school
    assert (data_dir / "bot.sqlite3").exists()


async def test_a_button_turn_without_an_answer_records_its_payload_and_no_meta() -> None:
    rows: list[dict[str, object]] = []
    log = TurnLog(lambda **fields: rows.append(fields), salt="s")
    pressed = IncomingMessage("web", "u", "m-2", text="👍 Hữu ích", payload="/rate_answer_good")
    await log.record(pressed, [OutgoingMessage(text="Cảm ơn!")], latency_ms=5)
    assert rows[0]["text"] == "/rate_answer_good"
    assert (rows[0]["answered"], rows[0]["confidence"], rows[0]["sources"]) == (None, None, [])
    assert rows[0]["school"] is None


async def test_a_failed_write_is_logged_and_swallowed(caplog: pytest.LogCaptureFixture) -> None:
    def broken(**fields: object) -> None:
        raise OperationalError("INSERT INTO turns", {}, Exception("database is locked"))

    with caplog.at_level(logging.WARNING, logger="connectors.turn_log"):
        await TurnLog(broken, salt="s").record(MESSAGE, REPLIES, latency_ms=1)
    assert "could not record message m-1" in caplog.text
    assert "0912" not in caplog.text


async def test_a_disabled_log_writes_nothing() -> None:
    log = TurnLog(None, salt="s")
    assert not log.enabled
    await log.record(MESSAGE, REPLIES, latency_ms=1)
