"""The knowledge-base admin in real headless Chromium against the running stack: a clerk uploads a
DOCX, checks its chunks, publishes it, a parent asks the web chat and gets it with its source,
the clerk retires it and the bot stops using it. No retraining, no restart."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from browser_fixtures import AdminAccounts, admin_login
from waiting import poll

from retrieval.answer import NO_ANSWER_TEXT

if TYPE_CHECKING:
    from conftest import Bot
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.integration, pytest.mark.browser]

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FACT = "Bảo tàng tỉnh Lạng Sơn"
DATE = "21/3/2026"
QUESTION = "Lịch tham quan bảo tàng tỉnh của học sinh khối 7 vào ngày nào ạ?"
RELOAD_WAIT_S = 20.0
BOT_REPLY_TIMEOUT_MS = 120_000


def museum_plan() -> bytes:
    """A made-up plan (python-docx) with a fact that is in no document of data/kb."""
    import docx

    document = docx.Document()
    document.add_heading("Kế hoạch tham quan bảo tàng tỉnh cho học sinh khối 7", level=1)
    document.add_paragraph("1. Lịch tham quan")
    document.add_paragraph(
        f"Học sinh khối 7 tham quan {FACT} vào sáng thứ Bảy ngày {DATE}; xe đón tại cổng trường lúc "
        "6 giờ 30 và đưa học sinh về trường trước 11 giờ 30 cùng ngày. Mỗi lớp đi cùng giáo viên chủ "
        "nhiệm và một phụ huynh trong ban đại diện cha mẹ học sinh của lớp. Tại bảo tàng, học sinh nghe "
        "thuyết minh về lịch sử địa phương theo từng nhóm, mỗi nhóm khoảng hai mươi em, rồi xem khu "
        "trưng bày hiện vật thời kỳ kháng chiến. Nhà trường đề nghị phụ huynh cho con ăn sáng ở nhà "
        "trước khi đến trường và nhắc con giữ trật tự, không chạm vào hiện vật trong suốt buổi tham quan."
    )
    document.add_paragraph("2. Chuẩn bị")
    document.add_paragraph(
        "Học sinh mang theo nước uống, mũ nón và sổ ghi chép để làm bài thu hoạch lịch sử địa phương; "
        "chuyến tham quan được miễn phí vé vào cửa. Bài thu hoạch nộp cho giáo viên môn Lịch sử trong "
        "tuần kế tiếp và được tính là một bài kiểm tra thường xuyên của học kỳ hai. Học sinh mặc đồng "
        "phục của trường, đeo thẻ học sinh và đi giày thể thao; em nào bị say xe báo trước với giáo viên "
        "chủ nhiệm để được xếp ngồi ở hàng ghế đầu."
    )
    document.add_paragraph("3. Liên hệ")
    document.add_paragraph(
        "Phụ huynh có câu hỏi về chuyến tham quan liên hệ văn phòng nhà trường trong giờ hành chính "
        "hoặc nhắn tin cho giáo viên chủ nhiệm qua nhóm lớp. Trường hợp trời mưa to hoặc có thông báo "
        "thay đổi của bảo tàng, nhà trường sẽ báo lịch mới qua giáo viên chủ nhiệm ít nhất hai ngày "
        "trước ngày đi; học sinh vắng mặt có lý do được làm bài thu hoạch thay thế theo tài liệu của "
        "giáo viên môn Lịch sử."
    )
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def ask(chat: Page, question: str) -> tuple[str, str]:
    """Type a question in the web chat; the text and the sources of the bot's first reply to it."""
    before = chat.locator(".msg--bot").count()
    chat.fill("#chat-input", question)
    chat.press("#chat-input", "Enter")
    reply = chat.locator(".msg--bot").nth(before)
    reply.wait_for(timeout=BOT_REPLY_TIMEOUT_MS)
    sources = reply.locator(".msg__sources")
    return reply.locator(".msg__text").inner_text(), sources.inner_text() if sources.count() else ""


def ask_until(chat: Page, question: str, done: Callable[[str, str], bool]) -> tuple[str, str]:
    """Ask again until `done(text, sources)` holds or RELOAD_WAIT_S passed (the action server
    reloads a new index version within seconds)."""
    return poll(lambda: ask(chat, question), lambda answer: done(*answer),
                timeout=RELOAD_WAIT_S, interval=2)


def upload_and_preview(page: Page, title: str) -> None:
    page.goto("/admin/documents/upload")
    page.set_input_files("input[name=file]", files=[{
        "name": f"ke-hoach-tham-quan-{uuid.uuid4().hex[:6]}.docx", "mimeType": DOCX_MIME, "buffer": museum_plan()}])
    page.fill("input[name=title]", title)
    page.fill("input[name=number]", "27/KH-THCS")
    page.fill("input[name=issued]", "2026-03-02")
    page.fill("input[name=school]", "THCS Tân Lập")
    with page.expect_navigation():
        page.click("#upload-form button[type=submit]")
    assert "/admin/documents/preview/" in page.url, page.inner_text("main")[:500]


def test_uploaded_docx_answers_the_web_chat_until_it_is_retired(
    bot: Bot, chromium: Browser, browser_page: Page, admin_accounts: AdminAccounts
) -> None:
    page = admin_login(browser_page, admin_accounts.staff.username, admin_accounts.staff.password)
    title = "Kế hoạch tham quan bảo tàng tỉnh"
    upload_and_preview(page, title)
    chunks = page.locator("#chunks .chunk")
    assert chunks.count() >= 1
    assert FACT in page.inner_text("#chunks") and DATE in page.inner_text("#chunks")
    sections = page.locator("#chunks .chunk .section").all_inner_texts()
    assert [section.rsplit(" › ", 1)[-1] for section in sections] == ["1. Lịch tham quan", "2. Chuẩn bị",
                                                                      "3. Liên hệ"], sections
    with page.expect_navigation():
        page.click("#publish")
    doc_id = page.url.rsplit("/", 1)[-1]
    assert re.fullmatch(r"ke-hoach-tham-quan-[0-9a-f]{6}", doc_id), page.url
    assert "Đã thêm" in page.inner_text("main") and "chỉ mục" in page.inner_text("main")

    chat_context = chromium.new_context(base_url=bot.stack.app_url, locale="vi-VN")
    try:
        chat = chat_context.new_page()
        chat.goto("/")
        text, sources = ask_until(chat, QUESTION, lambda t, s: FACT in t)
        assert FACT in text and DATE in text, (text, sources)
        assert title in sources and "27/KH-THCS" in sources, sources

        page.goto(f"/admin/documents/{doc_id}/retire")
        with page.expect_navigation():
            page.click("#confirm-retire")
        assert "Đã ngừng dùng" in page.inner_text("main")

        text, sources = ask_until(chat, QUESTION, lambda t, s: FACT not in t and title not in s)
        assert FACT not in text and title not in sources, (text, sources)
        assert text.startswith(NO_ANSWER_TEXT[:40]) or sources, (text, sources)
    finally:
        chat_context.close()
    with bot.db() as session:
        from storage.models import AuditEntry

        actions = [e.action for e in session.query(AuditEntry).filter(AuditEntry.target == doc_id)]
    assert actions == ["document.add", "document.retire"]
