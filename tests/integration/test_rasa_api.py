"""Rasa's HTTP API (`--enable-api`) as `make run` starts it: on loopback and behind a token
made at each start, which the app sends with /status and the logs never show."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from tests.integration.conftest import Bot

pytestmark = pytest.mark.integration


def test_the_rasa_api_needs_the_token_and_the_app_has_it(bot: Bot) -> None:
    token = bot.stack.rasa_token
    assert len(token) >= 32
    rasa = bot.stack.rasa_url
    assert httpx.get(f"{rasa}/status", timeout=30).status_code == 401
    parse = httpx.post(f"{rasa}/model/parse", json={"text": "học phí"}, timeout=30)
    assert parse.status_code == 401
    assert httpx.get(f"{rasa}/status", params={"token": "wrong"}, timeout=30).status_code == 401
    status = httpx.get(f"{rasa}/status", params={"token": token}, timeout=30)
    assert status.status_code == 200 and status.json()["model_file"]
    # The app's health check reaches /status with the token it was started with.
    health = httpx.get(f"{bot.stack.app_url}/health", timeout=30)
    assert health.status_code == 200 and health.json()["rasa"]["ok"] is True, health.text
    for log in ("rasa.log", "app.log"):
        assert token not in (bot.log_dir / log).read_text(encoding="utf-8", errors="replace")
