"""The unanswered-question pages over HTTP, in-process: the grouped queue and its filters, the
group page, answering (with sending to the askers), attaching, dismissing, access and CSRF.

Grouping uses a keyword encoder instead of the e5 model (the real model is measured in
test_clustering.py and test_review.py), and `refresh_index` is replaced by a recorder that
checks the change was committed before the index is refreshed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from admin_client import AdminClient, RecordingPush
from fastapi import FastAPI
from sqlalchemy import select

import admin.indexing
import admin.routes.unanswered as routes
from admin.clustering import QuestionVectors
from retrieval import kb_store
from retrieval.answer import TENTATIVE_TEXT
from retrieval.errors import EmbeddingModelUnavailable
from retrieval.types import DocumentMeta
from storage.db import session_scope
from storage.models import AuditEntry, Question
from storage.repositories import record_question

TOPICS = {"học phí": 0, "hoc phi": 0, "tiền học": 0, "tết": 1, "tet": 1, "đồng phục": 2}


class KeywordEncoder:
    """A vector per topic keyword (other texts get their own direction)."""

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        rows = []
        for text in texts:
            vector = np.zeros(16, dtype=np.float32)
            topic = next((index for word, index in TOPICS.items() if word in text.lower()), None)
            vector[topic if topic is not None else 4 + hash(text) % 12] = 1.0
            rows.append(vector)
        return np.stack(rows)


@dataclass
class RefreshRecorder:
    """Stands in for `admin.indexing.refresh_index`; notes what was committed when it ran."""

    committed: list[dict[str, Any]] = field(default_factory=list)

    async def __call__(self) -> str:
        with session_scope() as session:
            self.committed.append({
                "faqs": [d.meta.id for d in kb_store.list_documents(session=session) if d.meta.kind == "faq"],
                "statuses": sorted({q.review_status for q in session.scalars(select(Question))}),
            })
        return "Đã cập nhật chỉ mục (phiên bản 9)."


@pytest.fixture(autouse=True)
def fake_grouping(monkeypatch: pytest.MonkeyPatch) -> None:
    vectors = QuestionVectors(KeywordEncoder())
    monkeypatch.setattr(routes, "question_vectors", lambda: vectors)
    monkeypatch.setattr(routes, "current_restorer", lambda: None)


@pytest.fixture()
def refresh(monkeypatch: pytest.MonkeyPatch) -> RefreshRecorder:
    recorder = RefreshRecorder()
    monkeypatch.setattr(admin.indexing, "refresh_index", recorder)
    return recorder


NOW = dt.datetime(2026, 11, 20, 8, 0)


def ask(text: str, *, channel: str = "web", recipient: str = "r1", answered: bool = False, confidence: float = 0.1,
        rating: str | None = None, school: str | None = None, at: dt.datetime = NOW, status: str = "open") -> int:
    with session_scope() as session:
        row = record_question(session, channel=channel, user_hash=f"h-{recipient}", text=text, answered=answered,
                              confidence=confidence, answer="Trả lời cũ" if answered else "", school=school,
                              recipient=recipient)
        row.created_at, row.rating, row.review_status = at, rating, status
        return row.id


def question(question_id: int) -> Question:
    with session_scope() as session:
        row = session.get(Question, question_id)
        assert row is not None
        return row


def groups_in(html: str) -> list[str]:
    return re.findall(r'data-ids="([\d,]+)"', html)


async def follow(client: AdminClient, response: Any) -> str:
    assert response.status_code == 303, response.text[:300]
    page = await client.get(response.headers["location"])
    assert page.status_code == 200
    return str(page.text)


async def test_the_queue_needs_a_login(client_anon: AdminClient) -> None:
    response = await client_anon.get("/admin/unanswered")
    assert response.status_code == 303 and response.headers["location"].startswith("/admin/login")


async def test_queue_groups_questions_by_meaning_biggest_group_first(client_staff: AdminClient) -> None:
    fee = [ask("hoc phi bao nhieu", channel="zalo", at=NOW - dt.timedelta(days=2)),
           ask("học phí năm nay?", at=NOW - dt.timedelta(days=1)),
           ask("tiền học kỳ này bao nhiêu", channel="messenger", answered=True, confidence=0.55, at=NOW)]
    tet = [ask("lịch nghỉ tết", at=NOW + dt.timedelta(hours=1))]
    bad = ask("đồng phục mua ở đâu", answered=True, confidence=0.9, rating="bad")
    ask("giờ vào lớp", answered=True, confidence=0.9)  # answered well: not in the queue
    ask("câu đã bỏ qua", status="dismissed")
    ask("học phí đã trả lời tốt", answered=True, confidence=0.95, rating="good", status="ok")

    page = await client_staff.get("/admin/unanswered")
    assert page.status_code == 200
    assert groups_in(page.text) == [",".join(map(str, fee)), str(tet[0]), str(bad)]
    first = page.text.split('class="card unanswered-group"')[1]
    assert "3 lần hỏi" in first and "Messenger, Web, Zalo" in first
    assert "hoc phi bao nhieu" in first and "tiền học kỳ này bao nhiêu" in first
    assert "Trả lời cũ" in first and "Độ tin cậy thấp (0.55)" in first
    assert "chưa hữu ích" in page.text
    assert "giờ vào lớp" not in page.text and "câu đã bỏ qua" not in page.text


async def test_queue_filters_by_channel_school_and_dates(client_staff: AdminClient) -> None:
    zalo = ask("hoc phi bao nhieu", channel="zalo", school="Tiểu học Hòa An", at=NOW - dt.timedelta(days=3))
    web = ask("học phí năm nay?", channel="web", school="THCS Hòa An", at=NOW)
    assert groups_in((await client_staff.get("/admin/unanswered?channel=zalo")).text) == [str(zalo)]
    by_school = await client_staff.get("/admin/unanswered", params={"school": "THCS Hòa An"})
    assert groups_in(by_school.text) == [str(web)]
    recent = await client_staff.get("/admin/unanswered?date_from=2026-11-19&date_to=2026-11-20")
    assert groups_in(recent.text) == [str(web)]
    older = await client_staff.get("/admin/unanswered?date_to=2026-11-18")
    assert groups_in(older.text) == [str(zalo)]


async def test_queue_filters_by_reason(client_staff: AdminClient) -> None:
    unanswered = ask("hoc phi bao nhieu", at=NOW - dt.timedelta(days=1))
    rated_bad = ask("đồng phục", answered=True, confidence=0.9, rating="bad", at=NOW - dt.timedelta(days=2))
    with session_scope() as session:
        caveat = record_question(session, channel="web", user_hash="h", text="sdt nhà xe", answered=True,
                                 confidence=0.9, recipient="r", tentative=True).id
    page = await client_staff.get("/admin/unanswered?reason=unsure")
    assert groups_in(page.text) == [str(caveat)]
    assert '<option value="unsure" selected>' in page.text and "Bỏ lọc" in page.text
    assert groups_in((await client_staff.get("/admin/unanswered?reason=unanswered")).text) == [str(unanswered)]
    assert groups_in((await client_staff.get("/admin/unanswered?reason=rated_bad")).text) == [str(rated_bad)]
    # an unknown reason is ignored: the whole queue
    everything = await client_staff.get("/admin/unanswered?reason=%3Cx%3E")
    assert sorted(groups_in(everything.text)) == sorted(map(str, [unanswered, rated_bad, caveat]))


async def test_a_tentative_answer_is_shown_to_staff_without_the_parents_caveat(
        client_staff: AdminClient) -> None:
    quote = "Hai chiều: 220.000 đồng/tháng; một chiều: 130.000 đồng/tháng."
    with session_scope() as session:
        caveat = record_question(session, channel="web", user_hash="h", text="sdt nhà xe",
                                 answered=True, confidence=0.9, recipient="r", tentative=True,
                                 answer=f"{TENTATIVE_TEXT}\n\n{quote}").id
    listing = (await client_staff.get("/admin/unanswered")).text
    card = listing.split(f'data-ids="{caveat}"')[1]
    assert f"Bot đã trả lời (lần gần nhất): {quote}" in card
    assert "em chưa chắc" not in card and "kèm lưu ý chưa chắc" in card  # the reason says it
    group = (await client_staff.get(f"/admin/unanswered/group?ids={caveat}")).text
    assert quote in group and "em chưa chắc" not in group


async def test_only_the_most_recent_questions_are_grouped(
    client_staff: AdminClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes, "MAX_GROUPED", 2)
    ask("hoc phi bao nhieu", at=NOW - dt.timedelta(days=1))
    recent = [ask("lịch nghỉ tết"), ask("đồng phục")]
    page = await client_staff.get("/admin/unanswered")
    assert sorted(groups_in(page.text)) == sorted(map(str, recent))
    assert "Chỉ gộp 2 câu hỏi gần nhất" in page.text


async def test_question_text_is_shown_escaped(client_staff: AdminClient) -> None:
    ask("<script>alert(1)</script> học phí")
    page = await client_staff.get("/admin/unanswered")
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


async def test_without_the_embedding_model_each_question_is_its_own_group(
    client_staff: AdminClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable() -> QuestionVectors:
        raise EmbeddingModelUnavailable("không có mô hình")

    monkeypatch.setattr(routes, "question_vectors", unavailable)
    ids = [ask("hoc phi bao nhieu"), ask("học phí năm nay?", at=NOW + dt.timedelta(minutes=1))]
    page = await client_staff.get("/admin/unanswered")
    assert groups_in(page.text) == [str(ids[1]), str(ids[0])]
    assert "Chưa gộp được câu hỏi theo nghĩa" in page.text


async def test_group_page_prefills_the_variants_and_lists_active_documents(client_staff: AdminClient) -> None:
    ids = [ask("hoc phi bao nhieu"), ask("học phí năm nay?"), ask("học phí năm nay?")]
    with session_scope() as session:
        kb_store.upsert_faq(session=session, faq_id="faq-co", questions=["Câu có sẵn?"], answer="Trả lời có sẵn.")
    page = await client_staff.get(f"/admin/unanswered/group?ids={','.join(map(str, ids))}")
    assert page.status_code == 200
    variants = re.search(r'<textarea name="variants"[^>]*>(.*?)</textarea>', page.text, re.S)
    assert variants and sorted(variants.group(1).splitlines()) == ["hoc phi bao nhieu", "học phí năm nay?"]
    assert '<option value="faq-co">Hỏi đáp: Câu có sẵn?</option>' in page.text
    assert 'name="csrf_token"' in page.text


async def test_answering_a_group_creates_a_live_faq_and_reports_delivery(
    client_staff: AdminClient, admin_app: FastAPI, push: RecordingPush, refresh: RefreshRecorder
) -> None:
    push.statuses = {"zalo": "undelivered"}
    ids = [ask("hoc phi bao nhieu", channel="zalo", recipient="z1"), ask("học phí năm nay?", recipient="w1"),
           ask("học phí bao nhiêu tiền", recipient="w1")]
    response = await client_staff.post_form("/admin/unanswered/answer", {
        "question_ids": ",".join(map(str, ids)), "answer": "Học sinh trường công được miễn học phí.",
        "variants": "học phí năm nay?\nhoc phi bao nhieu\n\n", "source_title": "Nghị quyết miễn học phí",
        "source_number": "12/NQ-HĐND", "source_url": "https://example.vn/nq12", "send": "1",
    })
    page = await follow(client_staff, response)
    rows = [question(i) for i in ids]
    faq_id = rows[0].resolution_doc_id
    assert faq_id and re.fullmatch(r"faq-hoc-phi-nam-nay-[0-9a-f]{6}", faq_id)
    assert refresh.committed == [{"faqs": [faq_id], "statuses": ["answered"]}]
    assert {r.review_status for r in rows} == {"answered"} and {r.reviewed_by for r in rows} == {"canbo"}
    assert all(r.reviewed_at is not None for r in rows)
    with session_scope() as session:
        faq = kb_store.get_document(session=session, doc_id=faq_id)
    assert faq.questions == ["học phí năm nay?", "hoc phi bao nhieu"] and faq.meta.number == "12/NQ-HĐND"
    assert faq.chunks[0].text == ("Học sinh trường công được miễn học phí.\n\n"
                                  "Nguồn: Nghị quyết miễn học phí, số 12/NQ-HĐND\nhttps://example.vn/nq12")
    # One message per asker: w1 asked twice.
    assert [(s["channel"], s["recipient"]) for s in push.sent] == [("zalo", "z1"), ("web", "w1")]
    assert "Học sinh trường công được miễn học phí." in push.sent[1]["text"]
    assert [r.answer_delivery for r in rows] == ["undelivered", "sent", "sent"]
    assert "Đã gửi câu trả lời cho 1 người hỏi, không gửi được cho 1 người" in page
    assert "ngoài thời hạn trả lời của nền tảng" in page.lower()
    assert f"Đã tạo mục hỏi đáp “học phí năm nay?” (mã {faq_id}) cho 3 câu hỏi. Đã cập nhật chỉ mục" in page
    with session_scope() as session:
        actions = [(a.action, a.actor) for a in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert ("unanswered.answer", "canbo") in actions and ("unanswered.send", "canbo") in actions
    assert groups_in(page) == []


async def test_without_the_checkbox_nothing_is_sent(
    client_staff: AdminClient, push: RecordingPush, refresh: RefreshRecorder
) -> None:
    qid = ask("học phí?")
    response = await client_staff.post_form("/admin/unanswered/answer", {
        "question_ids": str(qid), "answer": "Miễn học phí.", "variants": "học phí?"})
    await follow(client_staff, response)
    assert push.sent == [] and question(qid).answer_delivery == "" and question(qid).review_status == "answered"


async def test_without_a_push_service_every_asker_is_reported_unreached(
    client_staff: AdminClient, admin_app: FastAPI, refresh: RefreshRecorder
) -> None:
    del admin_app.state.push
    qid = ask("học phí?", channel="zalo")
    response = await client_staff.post_form("/admin/unanswered/answer", {
        "question_ids": str(qid), "answer": "Miễn học phí.", "variants": "học phí?", "send": "1"})
    page = await follow(client_staff, response)
    assert question(qid).answer_delivery == "undelivered"
    assert "không gửi được cho 1 người (Kênh chưa được cấu hình)" in page


async def test_an_empty_answer_changes_nothing(client_staff: AdminClient, refresh: RefreshRecorder) -> None:
    qid = ask("học phí?")
    response = await client_staff.post_form("/admin/unanswered/answer", {
        "question_ids": str(qid), "answer": "  ", "variants": "học phí?"})
    assert response.headers["location"] == f"/admin/unanswered/group?ids={qid}"
    page = await follow(client_staff, response)
    assert "Bạn cần nhập câu trả lời." in page
    assert question(qid).review_status == "open" and refresh.committed == []


async def test_a_group_already_handled_cannot_be_answered_twice(
    client_staff: AdminClient, refresh: RefreshRecorder
) -> None:
    qid = ask("học phí?", status="dismissed")
    response = await client_staff.post_form("/admin/unanswered/answer", {
        "question_ids": str(qid), "answer": "Miễn.", "variants": "học phí?"})
    assert response.headers["location"] == "/admin/unanswered"
    assert "đã được xử lý" in await follow(client_staff, response)
    opened = await client_staff.get(f"/admin/unanswered/group?ids={qid}")
    assert opened.status_code == 303 and opened.headers["location"] == "/admin/unanswered"


async def test_attaching_to_an_faq_adds_the_variants(client_staff: AdminClient, refresh: RefreshRecorder) -> None:
    with session_scope() as session:
        kb_store.upsert_faq(session=session, faq_id="faq-hoc-phi", questions=["Học phí bao nhiêu?"],
                            answer="Miễn học phí.\n\nNguồn: Nghị quyết 12", number="12/NQ")
    ids = [ask("hoc phi nam nay"), ask("Học phí bao nhiêu?")]
    response = await client_staff.post_form("/admin/unanswered/attach", {
        "question_ids": ",".join(map(str, ids)), "doc_id": "faq-hoc-phi"})
    page = await follow(client_staff, response)
    assert "Đã gắn 2 câu hỏi vào “Học phí bao nhiêu?” (mã faq-hoc-phi)." in page
    with session_scope() as session:
        faq = kb_store.get_document(session=session, doc_id="faq-hoc-phi")
    assert faq.questions == ["Học phí bao nhiêu?", "hoc phi nam nay"] and faq.meta.number == "12/NQ"
    assert faq.chunks[0].text == "Miễn học phí.\n\nNguồn: Nghị quyết 12"
    assert {question(i).review_status for i in ids} == {"attached"}
    assert {question(i).resolution_doc_id for i in ids} == {"faq-hoc-phi"}
    assert len(refresh.committed) == 1


async def test_attaching_to_a_document_keeps_the_document(client_staff: AdminClient, refresh: RefreshRecorder) -> None:
    with session_scope() as session:
        kb_store.add_or_replace_document(session=session, meta=DocumentMeta(id="tb-tet", title="Nghỉ Tết",
                                         kind="announcement"), chunks=[], content_hash="x")
    qid = ask("lịch nghỉ tết")
    response = await client_staff.post_form("/admin/unanswered/attach", {"question_ids": str(qid), "doc_id": "tb-tet"})
    await follow(client_staff, response)
    with session_scope() as session:
        document = kb_store.get_document(session=session, doc_id="tb-tet")
    assert document.version == 1 and question(qid).review_status == "attached"


async def test_attaching_to_an_unknown_document_is_refused(client_staff: AdminClient, refresh: RefreshRecorder) -> None:
    qid = ask("lịch nghỉ tết")
    response = await client_staff.post_form("/admin/unanswered/attach",
                                            {"question_ids": str(qid), "doc_id": "khong-co"})
    assert "Không tìm thấy tài liệu" in await follow(client_staff, response)
    assert question(qid).review_status == "open"


async def test_dismissing_needs_a_reason(client_staff: AdminClient) -> None:
    qid = ask("giá vàng hôm nay")
    refused = await client_staff.post_form("/admin/unanswered/dismiss", {"question_ids": str(qid), "reason": ""})
    assert "Bạn cần ghi lý do" in await follow(client_staff, refused)
    assert question(qid).review_status == "open"
    response = await client_staff.post_form("/admin/unanswered/dismiss", {
        "question_ids": str(qid), "reason": "Không liên quan đến trường"})
    assert "Đã bỏ qua 1 câu hỏi." in await follow(client_staff, response)
    row = question(qid)
    assert row.review_status == "dismissed" and row.review_note == "Không liên quan đến trường"
    with session_scope() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "unanswered.dismiss")).one()
    assert entry.detail == {"questions": [qid], "reason": "Không liên quan đến trường"}


async def test_a_post_without_csrf_token_is_rejected(client_admin: AdminClient) -> None:
    qid = ask("giá vàng hôm nay")
    response = await client_admin.post("/admin/unanswered/dismiss", data={"question_ids": str(qid), "reason": "x"})
    assert response.status_code == 403
    assert question(qid).review_status == "open"
