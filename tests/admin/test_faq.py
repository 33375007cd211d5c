"""FAQ entries in the admin web: created with variants, preferred in answers, edited, retired."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest
from kb_helpers import audit_actions, doc_ids_in_table, eventually

from admin.indexing import refresh_index
from retrieval.kb_store import add_or_replace_document, document_history, get_document
from retrieval.service import get_knowledge_base
from retrieval.types import ChunkDraft, DocumentMeta
from storage.db import session_scope

ANSWER = ("Phụ huynh nộp hồ sơ xin miễn giảm học phí tại văn phòng trường trước ngày 30/9, "
          "gồm đơn theo mẫu và giấy xác nhận hộ nghèo.")


@pytest.fixture()
def knowledge_base(data_dir) -> Iterator[None]:
    """`get_knowledge_base()` built afresh for this test's BOT_DATA_DIR."""
    get_knowledge_base.cache_clear()
    yield
    get_knowledge_base.cache_clear()


def _form(**changes: str) -> dict[str, str]:
    form = {"questions": "Nộp hồ sơ miễn giảm học phí ở đâu?\nhồ sơ miễn học phí nộp ở đâu\nxin giam hoc phi nop o dau",
            "answer": ANSWER, "title": "Hướng dẫn miễn giảm học phí", "number": "45/HD-THCS",
            "link": "https://example.edu.vn/mien-giam", "school": "", "grade": ""}
    return {**form, **changes}


def _add_related_document() -> None:
    """A document passage about the same topic, so the FAQ has to win against it."""
    meta = DocumentMeta(id="quy-dinh-hoc-phi", title="Quy định về học phí năm học 2025-2026")
    text = ("Học sinh thuộc hộ nghèo được miễn học phí. Hồ sơ miễn giảm học phí gồm đơn đề nghị và giấy "
            "xác nhận của Ủy ban nhân dân xã; nhà trường tổng hợp hồ sơ và gửi phòng giáo dục.")
    with session_scope() as session:
        add_or_replace_document(session=session, meta=meta, chunks=[ChunkDraft(0, text, "Điều 3")],
                                content_hash="hp")


@pytest.mark.slow
async def test_a_new_faq_is_what_the_bot_answers(client_staff, knowledge_base: None) -> None:
    _add_related_document()
    await refresh_index()
    response = await client_staff.post_form("/admin/faq/new", _form())
    assert response.status_code == 303 and response.headers["location"] == "/admin/faq"
    page = await client_staff.get("/admin/faq")
    [faq_id] = doc_ids_in_table(page.text, "faq")
    assert faq_id == "hoi-dap-nop-ho-so-mien-giam-hoc-phi-o-dau"
    assert "Đã thêm “Hướng dẫn miễn giảm học phí”" in page.text

    answer = get_knowledge_base().answer("cho em hỏi hồ sơ miễn giảm học phí nộp ở đâu ạ")
    assert answer.answered, answer
    assert answer.sources[0].doc_id == faq_id
    assert ANSWER in answer.answer and "Hướng dẫn miễn giảm học phí, số 45/HD-THCS" in answer.answer
    assert audit_actions(faq_id) == [("canbo", "faq.add", faq_id)]


@pytest.mark.slow
async def test_editing_changes_the_answer_and_keeps_history(client_staff, knowledge_base: None) -> None:
    await client_staff.post_form("/admin/faq/new", _form())
    faq_id = "hoi-dap-nop-ho-so-mien-giam-hoc-phi-o-dau"
    edit_page = await client_staff.get(f"/admin/faq/{faq_id}")
    assert "xin giam hoc phi nop o dau" in edit_page.text and ANSWER in edit_page.text
    new_answer = ANSWER.replace("trước ngày 30/9", "trước ngày 15/10")
    response = await client_staff.post_form(f"/admin/faq/{faq_id}", _form(answer=new_answer))
    assert response.status_code == 303
    question = "hồ sơ miễn giảm học phí nộp ở đâu"
    answer = eventually(question, lambda a: "trước ngày 15/10" in a.answer)
    assert answer.answered and "trước ngày 15/10" in answer.answer, answer
    with session_scope() as session:
        assert get_document(session=session, doc_id=faq_id).version == 2
        assert [h["reason"] for h in document_history(session=session, doc_id=faq_id)] == ["replaced"]

    await client_staff.post_form(f"/admin/documents/{faq_id}/retire")
    after = eventually(question, lambda a: all(source.doc_id != faq_id for source in a.sources))
    assert all(source.doc_id != faq_id for source in after.sources)
    assert [a for _, a, _ in audit_actions(faq_id)] == ["faq.add", "faq.replace", "faq.retire"]
    retired = await client_staff.get("/admin/faq?state=retired")
    assert doc_ids_in_table(retired.text, "faq") == [faq_id]


async def test_faq_needs_a_question_and_an_answer(client_staff) -> None:
    response = await client_staff.post_form("/admin/faq/new", _form(questions=" \n ", answer=""))
    assert response.status_code == 400
    text = html.unescape(response.text)
    assert "Hãy nhập ít nhất một cách hỏi" in text and "Hãy nhập câu trả lời." in text
    assert doc_ids_in_table((await client_staff.get("/admin/faq")).text, "faq") == []


async def test_faq_search_ignores_diacritics(client_staff, monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_index() -> str:
        return "Đã cập nhật chỉ mục."

    monkeypatch.setattr("admin.routes.faq.refresh_index", no_index)
    await client_staff.post_form("/admin/faq/new", _form())
    await client_staff.post_form("/admin/faq/new", _form(questions="Đồng phục mùa đông thế nào?", title="",
                                                         number="", link="", answer="Áo khoác xanh."))
    page = await client_staff.get("/admin/faq?q=dong+phuc")
    assert doc_ids_in_table(page.text, "faq") == ["hoi-dap-dong-phuc-mua-dong-the-nao"]
    assert "Áo khoác xanh." in page.text
