"""The feedback inbox pages in-process: /admin/tickets and /admin/tickets/{reference}, through a
logged-in client (fixtures in tests/admin/conftest.py) with a recording fake push service."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from fastapi import FastAPI
from markupsafe import escape
from sqlalchemy import select

from actions.ticket_categories import CATEGORY_LABELS
from storage.db import session_scope
from storage.models import AuditEntry, Ticket
from storage.repositories import create_ticket

pytestmark = pytest.mark.asyncio(loop_scope="function")

SCRIPT = "<script>alert('xss')</script>"


def _ticket(kind: str = "feedback", *, message: str = "Căng tin bán đồ ăn quá hạn", channel: str = "zalo",
            recipient: str = "zalo-user-7", contact: str = "", school: str = "", hours_ago: float = 0,
            status: str = "new", assignee: str = "", category: str | None = None) -> str:
    with session_scope() as session:
        ticket = create_ticket(session, kind=kind, channel=channel, user_hash="a" * 16, recipient=recipient,
                               message=message, contact=contact, school=school)
        ticket.created_at = dt.datetime(2026, 11, 28, 8, 0) - dt.timedelta(hours=hours_ago)
        ticket.status = status
        ticket.assignee = assignee
        if category is not None:
            ticket.category = category
        return ticket.reference


def _stored(reference: str) -> Ticket:
    with session_scope() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert ticket is not None
        session.expunge(ticket)
        return ticket


def _audit(action: str) -> list[AuditEntry]:
    with session_scope() as session:
        entries = list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))
        session.expunge_all()
        return entries


async def _post_and_follow(client: httpx.AsyncClient, url: str, data: dict[str, str]) -> httpx.Response:
    response = await client.post_form(url, data)  # type: ignore[attr-defined]
    assert response.status_code == 303, response.text[:300]
    location = response.headers["location"]
    return await client.get(location)


# Inbox --------------------------------------------------------------------------------------------

async def test_inbox_puts_open_misinformation_reports_first(client_staff: httpx.AsyncClient) -> None:
    old = _ticket(hours_ago=30)
    report = _ticket("misinformation", message="Tin đồn nghỉ học cả tuần", hours_ago=48, status="in_progress")
    recent = _ticket("human", hours_ago=1)
    done = _ticket(hours_ago=0, status="closed")

    page = await client_staff.get("/admin/tickets")

    assert page.status_code == 200
    positions = [page.text.index(f'data-reference="{ref}"') for ref in (report, recent, old, done)]
    assert positions == sorted(positions)
    assert "Khẩn" in page.text and "Báo tin sai" in page.text
    assert 'data-status="new">Mới<span class="count">2</span>' in page.text
    assert 'data-status="closed">Đã đóng<span class="count">1</span>' in page.text


async def test_inbox_filters_by_kind_status_and_search(client_staff: httpx.AsyncClient) -> None:
    feedback = _ticket(message="Phòng học bị dột")
    report = _ticket("misinformation", message="Thông báo giả về học phí", school="THCS Kim Liên")

    by_kind = await client_staff.get("/admin/tickets", params={"kind": "misinformation"})
    by_code = await client_staff.get("/admin/tickets", params={"q": feedback.lower()})
    by_text = await client_staff.get("/admin/tickets", params={"q": "học phí", "status": "new"})
    by_school = await client_staff.get("/admin/tickets", params={"school": "THCS Kim Liên"})
    closed = await client_staff.get("/admin/tickets", params={"status": "closed"})

    assert report in by_kind.text and feedback not in by_kind.text
    assert feedback in by_code.text and report not in by_code.text
    assert report in by_text.text and feedback not in by_text.text
    assert report in by_school.text and feedback not in by_school.text
    assert "Không có phiếu nào khớp bộ lọc" in closed.text


async def test_mine_shows_the_tickets_assigned_to_me(client_staff: httpx.AsyncClient) -> None:
    mine = _ticket(assignee="canbo")
    other = _ticket(assignee="quantri")
    page = await client_staff.get("/admin/tickets", params={"assignee": "mine"})
    assert mine in page.text and other not in page.text


async def test_inbox_needs_login(client_anon: httpx.AsyncClient) -> None:
    response = await client_anon.get("/admin/tickets")
    assert response.status_code == 303 and response.headers["location"].startswith("/admin/login")


async def test_ticket_text_is_escaped_everywhere(client_staff: httpx.AsyncClient) -> None:
    reference = _ticket(message=f"Phản ánh {SCRIPT}", contact=f"Zalo {SCRIPT}")

    inbox = await client_staff.get("/admin/tickets")
    detail = await client_staff.get(f"/admin/tickets/{reference}")
    await _post_and_follow(client_staff, f"/admin/tickets/{reference}/notes", {"text": f"ghi chú {SCRIPT}"})
    after_note = await client_staff.get(f"/admin/tickets/{reference}")

    escaped = str(escape(SCRIPT))  # &lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;
    for page in (inbox, detail, after_note):
        assert SCRIPT not in page.text and "<script>" not in page.text
    assert detail.text.count(escaped) == 2
    assert after_note.text.count(escaped) == 3


async def test_unknown_reference_is_a_404_page(client_staff: httpx.AsyncClient) -> None:
    response = await client_staff.get("/admin/tickets/GY-ZZZZZZ")
    assert response.status_code == 404 and "Không tìm thấy phiếu" in response.text


# Changes ------------------------------------------------------------------------------------------

async def test_status_change_redirects_shows_and_audits(client_staff: httpx.AsyncClient) -> None:
    reference = _ticket()

    page = await _post_and_follow(client_staff, f"/admin/tickets/{reference}/status", {"status": "closed"})

    assert "Đã chuyển phiếu sang «Đã đóng»" in page.text
    assert 'id="ticket-status">Đã đóng' in page.text
    assert _stored(reference).status == "closed"
    [entry] = _audit("ticket.status")
    assert (entry.actor, entry.target, entry.detail) == ("canbo", reference, {"from": "new", "to": "closed"})
    assert "Trạng thái: Mới → Đã đóng" in page.text


async def test_invalid_status_changes_nothing(client_staff: httpx.AsyncClient) -> None:
    reference = _ticket()
    page = await _post_and_follow(client_staff, f"/admin/tickets/{reference}/status", {"status": "deleted"})
    assert "Trạng thái không hợp lệ" in page.text
    assert _stored(reference).status == "new" and _audit("ticket.status") == []


async def test_post_without_csrf_token_is_refused(client_staff: httpx.AsyncClient) -> None:
    reference = _ticket()
    response = await client_staff.post(f"/admin/tickets/{reference}/status", data={"status": "closed"})
    assert response.status_code == 403
    assert _stored(reference).status == "new"


async def test_assign_and_take(client_admin: httpx.AsyncClient, client_staff: httpx.AsyncClient) -> None:
    reference = _ticket()
    page = await client_admin.get(f"/admin/tickets/{reference}")
    assert '<option value="canbo">Trần Cán Bộ (canbo)</option>' in page.text

    await _post_and_follow(client_admin, f"/admin/tickets/{reference}/assign", {"assignee": "canbo"})
    assert _stored(reference).assignee == "canbo"
    refused = await _post_and_follow(client_admin, f"/admin/tickets/{reference}/assign", {"assignee": "ai-do"})
    assert "không tồn tại" in refused.text and _stored(reference).assignee == "canbo"

    taken = await _post_and_follow(client_admin, f"/admin/tickets/{reference}/take", {})
    stored = _stored(reference)
    assert (stored.assignee, stored.status) == ("quantri", "in_progress")
    assert "Bạn đã nhận xử lý phiếu này" in taken.text
    assert [e.detail["to"] for e in _audit("ticket.assign")] == ["canbo", "quantri"]


async def test_category_is_chosen_from_the_fixed_list(client_staff: httpx.AsyncClient) -> None:
    reference = _ticket(category="")
    detail = await client_staff.get(f"/admin/tickets/{reference}")
    for key, label in CATEGORY_LABELS.items():
        assert f'<option value="{key}">{label}</option>' in detail.text
    assert '<option value="" selected disabled>— Chọn phân loại —</option>' in detail.text
    assert 'id="ticket-category">Chưa phân loại<' in detail.text

    page = await _post_and_follow(client_staff, f"/admin/tickets/{reference}/category", {"category": "co_so_vat_chat"})

    assert _stored(reference).category == "co_so_vat_chat"
    assert "Đã chuyển phiếu sang phân loại «Cơ sở vật chất»" in page.text
    assert 'id="ticket-category">Cơ sở vật chất<' in page.text
    assert '<option value="co_so_vat_chat" selected>Cơ sở vật chất</option>' in page.text
    assert "Phân loại: Chưa phân loại → Cơ sở vật chất" in page.text
    refused = await _post_and_follow(client_staff, f"/admin/tickets/{reference}/category", {"category": "Bể bơi"})
    assert "Phân loại không có trong danh sách" in refused.text
    assert _stored(reference).category == "co_so_vat_chat" and len(_audit("ticket.category")) == 1


async def test_an_older_category_is_shown_as_it_is(client_staff: httpx.AsyncClient) -> None:
    reference = _ticket(category="Xe đưa đón")
    detail = await client_staff.get(f"/admin/tickets/{reference}")
    assert '<option value="Xe đưa đón" selected>Xe đưa đón (phân loại cũ, ngoài danh sách)</option>' in detail.text
    assert 'id="ticket-category">Xe đưa đón<' in detail.text
    unchanged = await _post_and_follow(client_staff, f"/admin/tickets/{reference}/category", {"category": "Xe đưa đón"})
    assert "Phân loại không có trong danh sách" not in unchanged.text
    assert _stored(reference).category == "Xe đưa đón" and _audit("ticket.category") == []


async def test_inbox_shows_category_labels_and_filters_by_category(client_staff: httpx.AsyncClient) -> None:
    fee = _ticket(message="Thu tiền quỹ lớp", category="hoc_phi")
    meal = _ticket(message="Cơm bán trú nguội", category="ban_tru")
    legacy = _ticket(message="Xe đến muộn", category="Xe đưa đón")
    blank = _ticket(message="Không rõ", category="")

    inbox = await client_staff.get("/admin/tickets")
    by_key = await client_staff.get("/admin/tickets", params={"category": "hoc_phi"})
    by_legacy = await client_staff.get("/admin/tickets", params={"category": "Xe đưa đón"})
    by_none = await client_staff.get("/admin/tickets", params={"category": "none"})

    assert '<td class="category" data-category="hoc_phi">Học phí – khoản thu</td>' in inbox.text
    assert '<td class="category" data-category="ban_tru">Bán trú – bữa ăn</td>' in inbox.text
    assert '<td class="category" data-category="Xe đưa đón">Xe đưa đón</td>' in inbox.text
    assert '<td class="category" data-category="">Chưa phân loại</td>' in inbox.text
    assert '<option value="Xe đưa đón">Xe đưa đón</option>' in inbox.text  # legacy values can be filtered
    assert '<option value="hoc_phi" selected>Học phí – khoản thu</option>' in by_key.text
    assert fee in by_key.text and all(ref not in by_key.text for ref in (meal, legacy, blank))
    assert legacy in by_legacy.text and fee not in by_legacy.text
    assert blank in by_none.text and all(ref not in by_none.text for ref in (fee, meal, legacy))


async def test_notes_are_appended_with_author(client_staff: httpx.AsyncClient,
                                              client_admin: httpx.AsyncClient) -> None:
    reference = _ticket()
    await _post_and_follow(client_staff, f"/admin/tickets/{reference}/notes", {"text": "Đã gọi điện cho nhà trường"})
    page = await _post_and_follow(client_admin, f"/admin/tickets/{reference}/notes",
                                  {"text": "Chờ hiệu trưởng xác nhận"})

    first, second = page.text.index("Đã gọi điện cho nhà trường"), page.text.index("Chờ hiệu trưởng xác nhận")
    assert first < second
    assert "· canbo" in page.text and "· quantri" in page.text
    assert [e.actor for e in _audit("ticket.note")] == ["canbo", "quantri"]
    empty = await _post_and_follow(client_staff, f"/admin/tickets/{reference}/notes", {"text": "  "})
    assert "Chưa nhập ghi chú" in empty.text


# Replies ------------------------------------------------------------------------------------------

async def test_reply_is_sent_on_the_parents_channel(client_staff: httpx.AsyncClient, push: object) -> None:
    reference = _ticket("human", channel="messenger", recipient="psid-99", status="in_progress")

    page = await _post_and_follow(client_staff, f"/admin/tickets/{reference}/reply",
                                  {"text": "Chào anh, cán bộ sẽ gọi lại trong chiều nay."})

    assert push.sent == [{"channel": "messenger", "recipient": "psid-99",  # type: ignore[attr-defined]
                          "text": "Chào anh, cán bộ sẽ gọi lại trong chiều nay."}]
    stored = _stored(reference)
    assert (stored.status, stored.reply_delivery) == ("answered", "sent")
    assert stored.reply == "Chào anh, cán bộ sẽ gọi lại trong chiều nay." and stored.replied_at is not None
    assert "Đã gửi câu trả lời tới phụ huynh qua Messenger" in page.text
    assert [e.detail["delivery"] for e in _audit("ticket.reply")] == ["sent"]


async def test_undelivered_reply_is_shown_and_status_kept(client_staff: httpx.AsyncClient, push: object) -> None:
    push.status = "undelivered"  # type: ignore[attr-defined]
    reference = _ticket(channel="zalo", status="in_progress", contact="[số điện thoại]")

    page = await _post_and_follow(client_staff, f"/admin/tickets/{reference}/reply", {"text": "Trả lời muộn"})

    assert len(push.sent) == 1  # type: ignore[attr-defined]
    stored = _stored(reference)
    assert (stored.status, stored.reply_delivery) == ("in_progress", "undelivered")
    assert "Không gửi được: đã ngoài thời hạn trả lời của Zalo" in page.text
    assert "hãy liên hệ qua số điện thoại" in page.text.lower()
    assert 'id="reply-delivery"' in page.text  # stays on the page after the flash is gone
    again = await client_staff.get(f"/admin/tickets/{reference}")
    assert "Không gửi được" in again.text and "Trả lời muộn" in again.text


async def test_without_push_service_every_reply_is_no_channel(client_staff: httpx.AsyncClient,
                                                              admin_app: FastAPI) -> None:
    del admin_app.state.push
    reference = _ticket(channel="web")
    detail = await client_staff.get(f"/admin/tickets/{reference}")
    assert "chưa kết nối dịch vụ gửi tin" in detail.text

    page = await _post_and_follow(client_staff, f"/admin/tickets/{reference}/reply", {"text": "Đã xử lý xong"})

    assert "Không gửi được: kênh trò chuyện trên trang web chưa được kết nối" in page.text
    assert _stored(reference).status == "new"
