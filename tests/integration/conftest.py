"""The real bot for the integration tests, started once per session on free loopback ports.

A temporary BOT_DATA_DIR receives the demo knowledge base (`bot kb add data/kb`), then
`scripts/services.py` starts Redis, the action server (sharing that BOT_DATA_DIR), the Rasa server
with the newest trained model, and the app. Tests talk to the app's web-chat endpoint like a
browser (`Browser`: cookies kept per instance) and read what the bot stored through `storage`.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from browser_fixtures import (  # noqa: F401  (Playwright fixtures of the admin-web browser tests)
    admin_accounts,
    admin_page,
    browser_page,
    chromium,
    staff_page,
)
from script_modules import load_script
from sqlalchemy.orm import Session

from storage.db import session_scope
from storage.privacy import hash_user_id

ROOT = Path(__file__).resolve().parents[2]
BOT_CLI = ROOT / ".venv" / "bin" / "bot"
HASH_SALT = "integration-test-salt"
TURN_TIMEOUT_S = 120.0


def load_services() -> ModuleType:
    """scripts/services.py (not a package) loaded by path, once."""
    return load_script("services")


class Bot:
    """The running stack and where its data lives."""

    def __init__(self, stack: Any, data_dir: Path, log_dir: Path) -> None:
        self.stack = stack
        self.data_dir = data_dir
        self.log_dir = log_dir

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'bot.sqlite3'}"

    @contextmanager
    def db(self) -> Iterator[Session]:
        with session_scope(self.database_url) as session:
            yield session

    def restart_rasa(self) -> None:
        self.stack.restart("rasa")


class Browser:
    """One resident's browser: its own cookie jar, so its own web-chat session."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.http = httpx.Client(base_url=bot.stack.app_url, timeout=TURN_TIMEOUT_S)
        page = self.http.get("/")
        assert page.status_code == 200, page.text[:300]

    @property
    def session_id(self) -> str:
        cookie = self.http.cookies.get("edubot_chat")
        assert cookie, "the page did not issue a session cookie"
        return cookie.split(".")[0]

    @property
    def user_hash(self) -> str:
        return hash_user_id(self.session_id, HASH_SALT)

    def _post(self, body: dict[str, str]) -> list[dict[str, Any]]:
        """Post like the page (with its own message id); when the bot is still working the
        answer is `pending` and the rest comes by long-polling /api/chat/replies."""
        message_id = uuid.uuid4().hex
        response = self.http.post("/api/chat", json={**body, "id": message_id})
        assert response.status_code == 200, (response.status_code, response.text[:500])
        data = response.json()
        messages: list[dict[str, Any]] = data["messages"]
        cursor, pending = data.get("cursor", ""), data.get("pending", False)
        deadline = time.monotonic() + TURN_TIMEOUT_S
        while pending:
            assert time.monotonic() < deadline, f"no complete reply within {TURN_TIMEOUT_S} s"
            poll = self.http.get("/api/chat/replies", params={"after": cursor})
            assert poll.status_code == 200, (poll.status_code, poll.text[:500])
            late = poll.json()
            messages += late["messages"]
            cursor, pending = late["cursor"], message_id not in late["done"]
        return messages

    def say(self, text: str) -> list[dict[str, Any]]:
        return self._post({"text": text})

    def press(self, payload: str) -> list[dict[str, Any]]:
        return self._post({"payload": payload})

    def tracker(self) -> dict[str, Any]:
        """Rasa's tracker of this conversation (slots, active form) through Rasa's HTTP API."""
        url = f"{self.bot.stack.rasa_url}/conversations/web:{self.session_id}/tracker"
        response = httpx.get(url, params={"token": self.bot.stack.rasa_token}, timeout=30)
        response.raise_for_status()
        tracker: dict[str, Any] = response.json()
        return tracker

    def close(self) -> None:
        self.http.close()


@pytest.fixture(scope="session")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    services = load_services()
    try:
        model = services.newest_model()
    except services.ServiceError as error:
        pytest.fail(f"{error}\nThe integration tests need a trained model: run `make model`.")
    data_dir = tmp_path_factory.mktemp("bot-data")
    log_dir = tmp_path_factory.mktemp("service-logs")
    env = {"BOT_DATA_DIR": str(data_dir), "STORAGE_HASH_SALT": HASH_SALT,
           "APP_RASA_TIMEOUT_SECONDS": str(TURN_TIMEOUT_S), "APP_ENV": "dev"}
    ingest = subprocess.run(
        [str(BOT_CLI), "kb", "add", str(ROOT / "data" / "kb")], cwd=ROOT, capture_output=True,
        text=True, env={**os.environ, **env}, timeout=900,
    )
    if ingest.returncode != 0:
        pytest.fail(f"`bot kb add data/kb` failed ({ingest.returncode}):\n"
                    f"{ingest.stdout[-2000:]}\n{ingest.stderr[-3000:]}")
    stack = services.Stack(log_dir, data_dir=data_dir, extra_env=env)
    try:
        stack.start_all(redis_port=services.free_port(), action_port=services.free_port(),
                        rasa_port=services.free_port(), app_port=services.free_port(), model=model)
    except services.ServiceError as error:
        stack.stop_all()
        pytest.fail(f"could not start the bot (logs in {log_dir}):\n{error}")
    try:
        yield Bot(stack, data_dir, log_dir)
    finally:
        stack.stop_all()


@pytest.fixture
def browser(bot: Bot) -> Iterator[Callable[[], Browser]]:
    """A factory of browsers (fresh sessions), closed after the test."""
    opened: list[Browser] = []

    def open_browser() -> Browser:
        opened.append(Browser(bot))
        return opened[-1]

    yield open_browser
    for item in opened:
        item.close()
