"""The web-chat page in headless Chromium against the real bot (queued path): on a phone screen
the greeting shows its quick replies, a question gets its answer with the cited source, a pressed
quick reply is sent; and a school website embeds the chat with one <script> tag, while a website
that is not allowed to frame it gets nothing."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from script_modules import load_script
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from tests.integration.conftest import Bot

pytestmark = [pytest.mark.integration, pytest.mark.browser]

PHONE = {"viewport": {"width": 390, "height": 760}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
ANSWER_TIMEOUT_MS = 120_000
FEE_QUESTION = "học phí lớp 1 bao nhiêu?"


class HostSite:
    """A school website on its own loopback port whose page carries the embed <script> tag."""

    def __init__(self) -> None:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.chat_url = ""
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _page(self, request: Request) -> HTMLResponse:
        return HTMLResponse(
            '<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Trường THCS</title>'
            '</head><body><h1>Trường THCS Thử Nghiệm</h1>'
            f'<script src="{self.chat_url}/static/webchat/embed.js" defer></script></body></html>')

    def __enter__(self) -> HostSite:
        import uvicorn

        app = Starlette(routes=[Route("/", self._page)])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread.start()
        self.task = asyncio.run_coroutine_threadsafe(self.server.serve(), self.loop)
        while not self.server.started:
            threading.Event().wait(0.05)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.should_exit = True
        self.task.result(15)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def embedding(bot: Bot, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HostSite, str]]:
    """A host website, and an app (own Redis, the shared Rasa) that allows it to frame the chat."""
    services = load_script("services")
    with HostSite() as host:
        env = {**bot.stack.extra_env, "APP_WEBCHAT_FRAME_ANCESTORS": host.url}
        stack = services.Stack(tmp_path_factory.mktemp("embed-logs"), data_dir=bot.data_dir,
                               extra_env=env)
        try:
            stack.start_redis(services.free_port())
            stack.rasa_url, stack.rasa_token = bot.stack.rasa_url, bot.stack.rasa_token
            stack.action_server_url = bot.stack.action_server_url
            stack.start_app(services.free_port())
            yield host, stack.app_url
        finally:
            stack.stop_all()


def test_on_a_phone_the_chat_shows_quick_replies_answers_with_sources(
    chromium: Browser, bot: Bot
) -> None:
    context = chromium.new_context(base_url=bot.stack.app_url, locale="vi-VN", **PHONE)
    try:
        page = context.new_page()
        page.goto("/")
        first_button = page.locator(".quick-replies__button").first
        first_button.wait_for(timeout=ANSWER_TIMEOUT_MS)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        box = first_button.bounding_box()
        assert box is not None and box["height"] >= 32  # a touch target, not a text link
        page.fill("#chat-input", FEE_QUESTION)
        page.keyboard.press("Enter")
        answer = page.locator(".msg--bot", has_text="miễn học phí").last
        answer.wait_for(timeout=ANSWER_TIMEOUT_MS)
        assert "Nguồn trích dẫn" in answer.inner_text()
        assert answer.locator(".msg__sources-list li").count() >= 1
        rating = page.locator(".quick-replies__button").first
        rating.wait_for(timeout=ANSWER_TIMEOUT_MS)
        title = rating.inner_text()
        bots_before = page.locator(".msg--bot").count()
        rating.click()
        page.locator(".msg--user", has_text=title).last.wait_for(timeout=ANSWER_TIMEOUT_MS)
        page.locator(".msg--bot").nth(bots_before).wait_for(timeout=ANSWER_TIMEOUT_MS)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()


def test_a_school_website_embeds_the_chat_with_one_script_tag(
    chromium: Browser, embedding: tuple[HostSite, str]
) -> None:
    host, chat_url = embedding
    host.chat_url = chat_url
    context = chromium.new_context(locale="vi-VN")
    try:
        page = context.new_page()
        page.goto(host.url)
        page.get_by_role("button", name="Hỏi đáp").click()
        chat = page.frame_locator("#edubot-webchat-frame")
        chat.locator(".quick-replies__button").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
        chat.locator("#chat-input").fill(FEE_QUESTION)
        chat.locator("#chat-input").press("Enter")
        chat.locator(".msg--bot", has_text="miễn học phí").last.wait_for(
            timeout=ANSWER_TIMEOUT_MS)
        page.get_by_role("button", name="Đóng").click()
        assert page.locator("#edubot-webchat-frame").is_hidden()
    finally:
        context.close()


def test_a_website_that_is_not_allowed_cannot_frame_the_chat(
    chromium: Browser, bot: Bot, embedding: tuple[HostSite, str]
) -> None:
    host, _ = embedding
    host.chat_url = bot.stack.app_url  # the shared app allows no other website
    context = chromium.new_context(locale="vi-VN")
    try:
        page = context.new_page()
        page.goto(host.url)
        page.get_by_role("button", name="Hỏi đáp").click()
        page.locator("#edubot-webchat-frame").wait_for(state="visible")
        page.wait_for_timeout(3000)
        assert page.frame_locator("#edubot-webchat-frame").locator("#chat-log").count() == 0
    finally:
        context.close()
