"""Announcements written in the browser: created, answered while valid, gone when expired, edited, retired."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from kb_helpers import ask, audit_actions, doc_ids_in_table

from retrieval.kb_store import document_history, get_document
from retrieval.types import SearchContext
from storage.db import session_scope

QUESTION = "lịch nghỉ tết nguyên đán năm 2026 của học sinh"
BODY = ("Học sinh toàn xã được nghỉ Tết Nguyên đán Bính Ngọ từ ngày 14/02/2026 đến hết ngày 22/02/2026.\n"
        "Học sinh đi học trở lại vào thứ Hai ngày 23/02/2026.")


def _form(**changes: str) -> dict[str, str]:
    form = {"title": "Lịch nghỉ Tết Nguyên đán 2026", "body": BODY, "valid_from": "2026-01-15",
            "valid_until": "2026-02-23", "school": "", "grade": "", "link": "https://example.edu.vn/tet-2026"}
    return {**form, **changes}


@pytest.mark.slow
async def test_an_announcement_is_answered_while_valid_and_not_after(client_staff) -> None:
    response = await client_staff.post_form("/admin/announcements/new", _form())
    assert response.status_code == 303 and response.headers["location"] == "/admin/announcements"
    page = await client_staff.get("/admin/announcements")
    [doc_id] = doc_ids_in_table(page.text, "announcements")
    assert doc_id == "thong-bao-lich-nghi-tet-nguyen-dan-2026"
    assert "Đã thêm “Lịch nghỉ Tết Nguyên đán 2026”" in page.text and "Đã cập nhật chỉ mục" in page.text

    during = ask(QUESTION, SearchContext(today=dt.date(2026, 2, 1)))
    assert during.answered and during.sources[0].doc_id == doc_id, during
    assert "đến hết ngày 22/02/2026" in during.answer and "https://example.edu.vn/tet-2026" in during.answer
    after = ask(QUESTION, SearchContext(today=dt.date(2026, 2, 24)))  # the day after valid_until
    assert all(source.doc_id != doc_id for source in after.sources), after
    before = ask(QUESTION, SearchContext(today=dt.date(2026, 1, 10)))  # before valid_from
    assert all(source.doc_id != doc_id for source in before.sources), before

    with session_scope() as session:
        stored = get_document(session=session, doc_id=doc_id)
    assert stored.meta.kind == "announcement" and stored.meta.valid_until == dt.date(2026, 2, 23)
    assert audit_actions(doc_id) == [("canbo", "announcement.add", doc_id)]


@pytest.mark.slow
async def test_editing_keeps_history_and_retiring_removes_it(client_staff) -> None:
    await client_staff.post_form("/admin/announcements/new", _form())
    doc_id = "thong-bao-lich-nghi-tet-nguyen-dan-2026"
    edit_page = await client_staff.get(f"/admin/announcements/{doc_id}")
    assert edit_page.status_code == 200 and "Học sinh đi học trở lại vào thứ Hai" in edit_page.text
    new_body = BODY.replace("22/02/2026", "21/02/2026")
    response = await client_staff.post_form(f"/admin/announcements/{doc_id}", _form(body=new_body,
                                                                                    valid_until="2026-02-24"))
    assert response.status_code == 303
    with session_scope() as session:
        stored = get_document(session=session, doc_id=doc_id)
        history = document_history(session=session, doc_id=doc_id)
    assert stored.version == 2 and "đến hết ngày 21/02/2026" in stored.chunks[0].text
    assert [(h["version"], h["metadata"]["valid_until"]) for h in history] == [(1, "2026-02-23")]
    answer = ask(QUESTION, SearchContext(today=dt.date(2026, 2, 1)))
    assert answer.answered and "đến hết ngày 21/02/2026" in answer.answer, answer

    retired = await client_staff.post_form(f"/admin/documents/{doc_id}/retire")
    assert retired.status_code == 303 and retired.headers["location"] == "/admin/announcements"
    gone = ask(QUESTION, SearchContext(today=dt.date(2026, 2, 1)))
    assert all(source.doc_id != doc_id for source in gone.sources), gone
    assert [a for _, a, _ in audit_actions(doc_id)] == ["announcement.add", "announcement.replace",
                                                        "announcement.retire"]
    listing = await client_staff.get("/admin/announcements?state=retired")
    assert doc_ids_in_table(listing.text, "announcements") == [doc_id]


async def test_end_date_is_required_and_input_is_checked(client_staff) -> None:
    response = await client_staff.post_form("/admin/announcements/new", _form(valid_until="", link="javascript:x"))
    assert response.status_code == 400
    text = html.unescape(response.text)
    assert "Hãy nhập ngày hết hạn" in text and "phải bắt đầu bằng http:// hoặc https://" in text
    assert BODY.splitlines()[0] in text  # the typed body is kept
    backwards = await client_staff.post_form("/admin/announcements/new", _form(valid_from="2026-03-01"))
    assert backwards.status_code == 400 and "Ngày hết hiệu lực phải sau" in html.unescape(backwards.text)
    page = await client_staff.get("/admin/announcements")
    assert doc_ids_in_table(page.text, "announcements") == []


async def test_titles_are_shown_as_text(client_staff, monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_index() -> str:
        return "Đã cập nhật chỉ mục."

    monkeypatch.setattr("admin.routes.announcements.refresh_index", no_index)
    title = "Họp <script>alert(1)</script> phụ huynh"
    response = await client_staff.post_form("/admin/announcements/new", _form(title=title, valid_until="2099-01-01"))
    assert response.status_code == 303
    page = await client_staff.get("/admin/announcements")
    assert "<script>alert(1)</script>" not in page.text
    assert "Họp &lt;script&gt;alert(1)&lt;/script&gt; phụ huynh" in page.text
