"""The feedback loop in real headless Chromium against the running stack: a parent sends a góp ý
through the web-chat dialogue and gets a reference code; a staff member finds that ticket in the
admin inbox by its code, sees the category the bot guessed, and replies; the reply appears in the
parent's still-open chat page (pushed through the queue to the browser session) and the ticket
is marked answered."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from actions.ticket_categories import FALLBACK, categorise, category_label
from storage.models import AuditEntry, Ticket

if TYPE_CHECKING:
    from browser_fixtures import AdminAccounts
    from conftest import Bot
    from playwright.sync_api import Browser, Locator, Page

pytestmark = [pytest.mark.integration, pytest.mark.browser]

BOT_TURN_MS = 120_000  # Rasa and the action server share two cores with the other tests
PUSH_MS = 30_000  # the page's long-poll picks a pushed reply up within a second or two
REFERENCE_RE = re.compile(r"\bGY-[A-Z0-9]{6}\b")
FEEDBACK = ("Nhà vệ sinh của Trường Tiểu học Kim Liên bị hỏng vòi nước cả tuần nay, "
            "đề nghị nhà trường sửa sớm.")
CONTACT = "0912 345 678"
REPLY = "Chào anh/chị, nhà trường đã cho thợ sửa vòi nước nhà vệ sinh sáng nay. Cảm ơn anh/chị đã phản ánh."


@pytest.fixture
def chat_page(chromium: Browser, bot: Bot) -> Iterator[Page]:
    """The parent's browser: its own context (cookies), on the web-chat page `/`."""
    context = chromium.new_context(base_url=bot.stack.app_url, locale="vi-VN")
    context.set_default_timeout(BOT_TURN_MS)
    page = context.new_page()
    try:
        page.goto("/")
        yield page
    finally:
        context.close()


def bot_message(page: Page, text: str) -> Locator:
    return page.locator(".msg--bot .msg__text", has_text=text)


def say(page: Page, text: str, *, then_bot_says: str) -> str:
    """Type `text` in the chat box, press Enter and wait for the bot's message containing
    `then_bot_says`; its full text."""
    from playwright.sync_api import expect

    expect(page.locator("#chat-send")).to_be_enabled(timeout=BOT_TURN_MS)  # previous turn finished
    page.fill("#chat-input", text)
    page.press("#chat-input", "Enter")
    expect(page.locator(".msg--user .msg__text", has_text=text)).to_have_count(1)
    reply = bot_message(page, then_bot_says)
    expect(reply).to_have_count(1, timeout=BOT_TURN_MS)
    return reply.inner_text()


def send_feedback(page: Page) -> str:
    """The feedback form through the dialogue; the reference code the bot gives."""
    from playwright.sync_api import expect

    expect(page.locator(".msg--bot").first).to_be_visible(timeout=BOT_TURN_MS)  # the greeting
    say(page, "tôi muốn góp ý", then_bot_says="muốn góp ý hoặc phản ánh điều gì")
    say(page, FEEDBACK, then_bot_says="để lại số điện thoại")
    received = say(page, CONTACT, then_bot_says="đã ghi nhận góp ý")
    match = REFERENCE_RE.search(received)
    assert match, received
    return match.group(0)


def test_staff_reply_to_web_feedback_reaches_the_open_chat_page(
    bot: Bot, chat_page: Page, staff_page: Page, admin_accounts: AdminAccounts
) -> None:
    from playwright.sync_api import expect

    reference = send_feedback(chat_page)
    with bot.db() as session:
        stored = session.scalars(select(Ticket).where(Ticket.reference == reference)).one()
        assert (stored.kind, stored.channel, stored.status) == ("feedback", "web", "new")
        assert stored.message == FEEDBACK and stored.recipient
        category = stored.category
    assert category == categorise(FEEDBACK) and category != FALLBACK  # the categoriser ran in the action

    # Staff find it in the inbox by its code (lower case, as typed from a phone call).
    staff_page.goto("/admin/tickets")
    staff_page.fill("#ticket-filters input[name=q]", reference.lower())
    with staff_page.expect_navigation():
        staff_page.click("#ticket-filters button[type=submit]")
    rows = staff_page.locator("#tickets tbody tr")
    expect(rows).to_have_count(1)
    row = staff_page.locator(f"#tickets tr[data-reference='{reference}']")
    expect(row.locator("td.category")).to_have_text(category_label(category))
    expect(row.locator(".badge")).to_have_text("Mới")
    staff_page.select_option("#ticket-filters select[name=category]", category)
    with staff_page.expect_navigation():
        staff_page.click("#ticket-filters button[type=submit]")
    expect(staff_page.locator(f"#tickets tr[data-reference='{reference}']")).to_have_count(1)
    with staff_page.expect_navigation():
        staff_page.click(f"#tickets a.ref:has-text('{reference}')")

    # The ticket page: the parent's words, then the reply.
    assert FEEDBACK in staff_page.inner_text("#ticket-message")
    expect(staff_page.locator("#ticket-category")).to_have_text(category_label(category))
    staff_page.fill("#reply-form textarea[name=text]", REPLY)
    with staff_page.expect_navigation():
        staff_page.click("#reply-form button[type=submit]")
    assert "Đã gửi câu trả lời tới phụ huynh qua trò chuyện trên trang web" in staff_page.inner_text("main")
    expect(staff_page.locator("#ticket-status")).to_have_text("Đã trả lời")
    expect(staff_page.locator("#reply-delivery")).to_contain_text("đã gửi tới phụ huynh")

    # The parent's page, still open, shows the staff reply without reloading.
    expect(bot_message(chat_page, REPLY)).to_have_count(1, timeout=PUSH_MS)

    with bot.db() as session:
        stored = session.scalars(select(Ticket).where(Ticket.reference == reference)).one()
        assert (stored.status, stored.reply_delivery, stored.reply) == ("answered", "sent", REPLY)
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "ticket.reply",
                                                         AuditEntry.target == reference)).one()
        assert entry.actor == admin_accounts.staff.username and entry.detail["delivery"] == "sent"

    staff_page.goto("/admin/tickets?status=answered")
    expect(staff_page.locator(f"#tickets tr[data-reference='{reference}'] .badge")).to_have_text("Đã trả lời")
