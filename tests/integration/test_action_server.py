"""The action server as started by `make run`: one process, on loopback, one model in memory."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
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


def test_the_action_server_runs_actions_only_for_the_caller_with_its_token(
        bot: Bot, browser: Callable[[], Browser]) -> None:
    base = bot.stack.action_server_url
    call = {"next_action": "action_answer_question", "sender_id": "intruder", "version": "3.6.21",
            "tracker": {"sender_id": "intruder", "slots": {}, "latest_message": {
                "text": "Học phí năm nay bao nhiêu?", "intent": {"name": "ask_question"}},
                "events": [], "paused": False, "followup_action": None, "active_loop": {},
                "latest_action_name": "action_listen"}, "domain": {}}
    refused = {"error": "missing or wrong action server token"}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": bot.stack.action_token}):
        response = httpx.post(f"{base}/webhook", json=call, headers=headers, timeout=30)
        assert (response.status_code, response.json()) == (401, refused), headers
        listed = httpx.get(f"{base}/actions", headers=headers, timeout=10)
        assert listed.status_code == 401
    assert httpx.get(f"{base}/health", timeout=10).status_code == 200
    # Rasa, which endpoints.yml gives the token, still runs them: the question gets its answer
    replies = browser().say("Học phí năm nay bao nhiêu?")
    assert any("Nguồn:" in (reply.get("text") or "") for reply in replies), replies
    allowed = httpx.get(f"{base}/actions", timeout=10,
                        headers={"Authorization": f"Bearer {bot.stack.action_token}"})
    assert allowed.status_code == 200
    assert "action_answer_question" in {action["name"] for action in allowed.json()}
    for log in ("action_server.log", "rasa.log"):
        assert bot.stack.action_token not in (bot.log_dir / log).read_text(encoding="utf-8")
