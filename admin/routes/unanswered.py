"""Câu hỏi chưa trả lời: the review queue grouped by meaning, and answering, attaching or
dismissing a group (see `admin.review`).

Writes run in their own transaction (`session_scope`), committed before the search index is
refreshed, because `refresh_index` reads the knowledge base from SQL in another thread.  Then
the answer may be sent to the askers (`admin.answer_delivery`).  Grouping embeds questions, so
it runs in a worker thread; if the embedding model is unavailable each question is its own group.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from admin import indexing
from admin.answer_delivery import deliver_answer, store_deliveries
from admin.clustering import current_restorer, question_vectors
from admin.deps import CurrentUser, SessionDep, protected_router
from admin.review import (
    REASONS,
    QuestionGroup,
    QueuedQuestion,
    QueueFilters,
    ReviewError,
    answer_group,
    attach_group,
    build_groups,
    dismiss_group,
    load_queue,
    low_confidence_bar,
    open_questions,
    queue_schools,
    queued_questions,
    single_group,
)
from admin.templating import flash, render
from retrieval import kb_store
from retrieval.errors import RetrievalError
from retrieval.settings import get_retrieval_settings
from storage.db import session_scope

logger = logging.getLogger(__name__)

router = protected_router(tags=["admin"])

LIST_URL = "/admin/unanswered"
CHANNELS = {"web": "Web", "zalo": "Zalo", "messenger": "Messenger"}
MAX_GROUPED = 2000  # questions grouped on one page load (the most recent ones)
KIND_LABELS = {"faq": "Hỏi đáp", "announcement": "Thông báo", "document": "Văn bản"}


def _low_confidence() -> float:
    return low_confidence_bar(get_retrieval_settings())


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


def _ids(raw: str) -> list[int]:
    return sorted({int(part) for part in raw.replace(" ", "").split(",") if part.isdigit()})


def _group_url(ids: list[int]) -> str:
    return f"{LIST_URL}/group?ids={','.join(str(i) for i in ids)}"


def _group_sync(questions: list[QueuedQuestion], threshold: float) -> tuple[list[QuestionGroup], str]:
    try:
        groups = build_groups(questions, vectors=question_vectors(), threshold=threshold,
                              restorer=current_restorer())
        return groups, ""
    except RetrievalError as error:
        logger.warning("unanswered questions not grouped: %s", error)
        alone = [QuestionGroup([q], q.text) for q in questions]
        alone.sort(key=lambda g: g.last_seen, reverse=True)
        return alone, f"Chưa gộp được câu hỏi theo nghĩa (mỗi câu một nhóm): {error}"


@router.get(LIST_URL, include_in_schema=False)
async def queue_page(request: Request, user: CurrentUser, db: SessionDep, school: str = "", channel: str = "",
                     date_from: str = "", date_to: str = "", reason: str = "") -> Response:
    filters = QueueFilters(school=school.strip(), channel=channel.strip() if channel in CHANNELS else "",
                           date_from=_date(date_from), date_to=_date(date_to),
                           reason=reason if reason in REASONS else "")
    low = _low_confidence()
    questions = load_queue(db, filters, low_confidence=low, limit=MAX_GROUPED)
    schools = queue_schools(db, low_confidence=low)
    threshold = request.app.state.admin_settings.cluster_threshold
    groups, warning = await asyncio.to_thread(_group_sync, questions, threshold)
    return render(request, "unanswered.html", {
        "title": "Câu hỏi chưa trả lời", "groups": groups, "filters": filters, "schools": schools,
        "channels": CHANNELS, "reasons": REASONS, "question_count": len(questions), "warning": warning,
        "low_confidence": low,
        "capped": len(questions) >= MAX_GROUPED,
    })


@router.get(LIST_URL + "/group", include_in_schema=False)
async def group_page(request: Request, user: CurrentUser, db: SessionDep, ids: str = "") -> Response:
    questions = queued_questions(db, _ids(ids))
    if not questions:
        flash(request, "Nhóm câu hỏi này đã được xử lý (hoặc không còn tồn tại).", "error")
        return RedirectResponse(LIST_URL, status_code=303)
    try:
        group = await asyncio.to_thread(single_group, questions, vectors=question_vectors(),
                                        restorer=current_restorer())
    except RetrievalError:
        group = QuestionGroup(list(questions), questions[-1].text)
    documents = kb_store.list_documents(session=db, include_retired=False)
    documents.sort(key=lambda d: (d.meta.kind != "faq", d.meta.kind, d.meta.title.casefold()))
    return render(request, "unanswered_group.html", {
        "title": "Xử lý nhóm câu hỏi", "group": group, "documents": documents, "kinds": KIND_LABELS,
        "channels": CHANNELS, "low_confidence": _low_confidence(),
    })


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


async def _form(request: Request) -> tuple[FormData, list[int]]:
    form = await request.form()
    return form, _ids(_field(form, "question_ids"))


def _back(ids: list[int], error: ReviewError, request: Request) -> Response:
    flash(request, str(error), "error")
    with session_scope() as session:
        still_open = bool(open_questions(session, ids))
    return RedirectResponse(_group_url(ids) if still_open else LIST_URL, status_code=303)


@router.post(LIST_URL + "/answer", include_in_schema=False)
async def answer(request: Request, user: CurrentUser) -> Response:
    form, ids = await _form(request)
    variants = _field(form, "variants").splitlines()
    try:
        with session_scope() as session:
            resolution = answer_group(
                session, question_ids=ids, answer=_field(form, "answer"), variants=variants, actor=user.username,
                source_title=_field(form, "source_title"), source_number=_field(form, "source_number"),
                source_url=_field(form, "source_url"),
            )
    except (ReviewError, ValueError) as error:
        return _back(ids, ReviewError(str(error)), request)
    note = await indexing.refresh_index()
    flash(request, f"Đã tạo mục hỏi đáp “{resolution.title}” (mã {resolution.doc_id}) cho "
          f"{len(resolution.question_ids)} câu hỏi. {note}", "error" if indexing.refresh_failed(note) else "ok")
    if _field(form, "send") and resolution.targets:
        report = await deliver_answer(getattr(request.app.state, "push", None), resolution.targets,
                                      resolution.faq_text)
        with session_scope() as session:
            store_deliveries(session, report, actor=user.username, doc_id=resolution.doc_id)
        flash(request, report.message(), "error" if report.not_sent else "ok")
    return RedirectResponse(LIST_URL, status_code=303)


@router.post(LIST_URL + "/attach", include_in_schema=False)
async def attach(request: Request, user: CurrentUser) -> Response:
    form, ids = await _form(request)
    try:
        with session_scope() as session:
            resolution = attach_group(session, question_ids=ids, doc_id=_field(form, "doc_id"), actor=user.username)
    except ReviewError as error:
        return _back(ids, error, request)
    note = await indexing.refresh_index()
    flash(request, f"Đã gắn {len(resolution.question_ids)} câu hỏi vào “{resolution.title}” "
          f"(mã {resolution.doc_id}). {note}", "error" if indexing.refresh_failed(note) else "ok")
    return RedirectResponse(LIST_URL, status_code=303)


@router.post(LIST_URL + "/dismiss", include_in_schema=False)
async def dismiss(request: Request, user: CurrentUser) -> Response:
    form, ids = await _form(request)
    try:
        with session_scope() as session:
            dismissed = dismiss_group(session, question_ids=ids, reason=_field(form, "reason"), actor=user.username)
    except ReviewError as error:
        return _back(ids, error, request)
    flash(request, f"Đã bỏ qua {len(dismissed)} câu hỏi.")
    return RedirectResponse(LIST_URL, status_code=303)

