"""The action server as started by `make run`: one process, on loopback, one model in memory."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import psutil
import pytest
from waiting import wait_until

if TYPE_CHECKING:
    from tests.integration.conftest import Bot, Browser

pytestmark = pytest.mark.integration


def test_the_action_server_is_one_process_on_loopback_with_one_model(
        bot: Bot, browser: Callable[[], Browser]) -> None:
    process = psutil.Process(bot.stack.pids()["action_server"])
    # rasa-sdk's own `run` serves from a worker process beside the primary one, so a model the
    # warm-up loads in the primary never answers and the worker loads a second copy at the
    # first question; `python -m actions` serves alone.
    assert process.children(recursive=True) == []
    listening = [c.laddr for c in process.net_connections(kind="tcp")
                 if c.status == psutil.CONN_LISTEN]
    assert listening and {address.ip for address in listening} == {"127.0.0.1"}
    log = bot.log_dir / "action_server.log"
    wait_until(lambda: "embedding model loaded" in log.read_text(encoding="utf-8"), timeout=120,
               what="the warm-up loads the embedding model")
    replies = browser().say("Học phí năm nay bao nhiêu?")
    assert any("Nguồn:" in (reply.get("text") or "") for reply in replies), replies
    assert log.read_text(encoding="utf-8").count("embedding model loaded") == 1
