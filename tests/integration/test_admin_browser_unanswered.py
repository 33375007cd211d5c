"""Answering an unanswered group in real headless Chromium against the running stack: a parent
asks the web chat about something the knowledge base does not know and gets the honest
no-answer; staff find the question under "Câu hỏi chưa trả lời" and answer it, sending the
answer to the asker; the open chat receives it, and the same question asked again in the web
chat gets the staff answer (within ~20 s, no restart)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from browser_fixtures import NAVIGATION_TIMEOUT_MS
from sqlalchemy import select
from waiting import poll

from storage.models import Question

if TYPE_CHECKING:
    from conftest import Bot
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.integration, pytest.mark.browser]

# A made-up drawing contest: nothing in data/kb mentions it.
QUESTION = "Cuộc thi vẽ tranh Sao Biển Xanh của xã nộp bài ở đâu ạ?"
NO_ANSWER = "chưa có thông tin chính thức"
STAFF_ANSWER = ("Tranh dự thi Sao Biển Xanh nộp tại văn phòng UBND xã Hòa An trước ngày 20/12, "
                "khổ A3, ghi rõ họ tên và trường ở mặt sau.")
TURN_TIMEOUT_MS = 120_000
LIVE_WITHIN_S = 20.0


@pytest.fixture
def chat_page(chromium: Browser, bot: Bot) -> Iterator[Page]:
    """The parent's browser: its own context (cookies), on the web chat page."""
    context = chromium.new_context(base_url=bot.stack.app_url, locale="vi-VN")
    context.set_default_timeout(NAVIGATION_TIMEOUT_MS)
    page = context.new_page()
    page.goto("/")
    try:
        yield page
    finally:
        context.close()


def ask(page: Page, text: str) -> list[str]:
    """Send `text` in the web chat; the bot's messages that arrived for it."""
    from playwright.sync_api import expect

    bot_texts = page.locator(".msg--bot .msg__text")
    before = bot_texts.count()
    page.fill("#chat-input", text)
    page.click("#chat-send")
    bot_texts.nth(before).wait_for(timeout=TURN_TIMEOUT_MS)
    expect(page.locator("#chat-send")).to_be_enabled(timeout=TURN_TIMEOUT_MS)
    return bot_texts.all_text_contents()[before:]


def test_answering_an_unanswered_group_makes_the_bot_answer_it(bot: Bot, chat_page: Page, staff_page: Page) -> None:
    first = ask(chat_page, QUESTION)
    assert any(NO_ANSWER in text for text in first), first
    with bot.db() as session:
        stored = session.scalars(select(Question).where(Question.text == QUESTION).order_by(Question.id)).all()
        assert stored and not stored[-1].answered and stored[-1].review_status == "open"

    # The first visit loads the embedding model in the app process: allow it the turn timeout.
    with staff_page.expect_navigation(timeout=TURN_TIMEOUT_MS):
        staff_page.click("nav a[href='/admin/unanswered']")
    group = staff_page.locator("section.unanswered-group", has_text=QUESTION)
    assert group.count() == 1, staff_page.inner_text("main")[:2000]
    assert "Bot đã trả lời" in group.inner_text() and "Web" in group.inner_text()
    with staff_page.expect_navigation():
        group.locator("a", has_text="Xử lý nhóm này").click()
    assert QUESTION in staff_page.locator("textarea[name=variants]").input_value()
    staff_page.fill("textarea[name=answer]", STAFF_ANSWER)
    staff_page.check("input[name=send]")
    with staff_page.expect_navigation(timeout=TURN_TIMEOUT_MS):
        staff_page.click("#answer-form button[type=submit]")
    flashes = staff_page.locator(".flash").all_inner_texts()
    created = [text for text in flashes if "Đã tạo mục hỏi đáp" in text]
    assert created and "(mã faq-" in created[0] and "Đã cập nhật chỉ mục" in created[0], flashes
    assert any("Đã gửi câu trả lời cho 1 người hỏi" in text for text in flashes), flashes
    assert staff_page.locator("section.unanswered-group", has_text=QUESTION).count() == 0

    # The parent's open chat receives the staff answer (web chat push), then asks again.
    pushed = chat_page.locator(".msg--bot .msg__text", has_text=STAFF_ANSWER)
    pushed.first.wait_for(timeout=LIVE_WITHIN_S * 1000)
    assert QUESTION in pushed.first.inner_text()

    replies = poll(lambda: ask(chat_page, QUESTION),
                   lambda texts: any(STAFF_ANSWER in text for text in texts),
                   timeout=LIVE_WITHIN_S, interval=1.0)
    assert any(STAFF_ANSWER in text for text in replies), replies
    with bot.db() as session:
        answered = session.scalars(select(Question).where(Question.text == QUESTION).order_by(Question.id)).all()
        faq_ids = {q.resolution_doc_id for q in answered if q.review_status == "answered"}
        assert len(faq_ids) == 1 and next(iter(faq_ids)).startswith("faq-"), faq_ids
        assert answered[-1].answered and answered[-1].doc_ids[0] in faq_ids
        assert answered[0].answer_delivery == "sent"
