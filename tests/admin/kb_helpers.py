"""Steps shared by the knowledge-base admin tests: upload, publish, read what was stored."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import select

from retrieval.embeddings import get_embedder
from retrieval.service import KnowledgeBase
from retrieval.types import Answer, SearchContext
from storage.db import session_scope
from storage.models import AuditEntry

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def upload(client: Any, name: str, data: bytes, fields: dict[str, str] | None = None,
                 mime: str = DOCX_MIME) -> httpx.Response:
    """POST the upload form (multipart, with the session's CSRF token)."""
    token = await client.csrf_token()
    return await client.post(
        "/admin/documents/upload",
        data={**(fields or {}), "csrf_token": token},
        files={"file": (name, data, mime)},
    )


def preview_token(response: httpx.Response) -> str:
    """The staging token of the preview an upload redirected to."""
    assert response.status_code == 303, (response.status_code, response.text[:2000])
    match = re.fullmatch(r"/admin/documents/preview/([\w-]+)", response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


def audit_actions(target: str | None = None) -> list[tuple[str, str, str]]:
    """(actor, action, target) of every audit entry, oldest first."""
    with session_scope() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if target is not None:
            query = query.where(AuditEntry.target == target)
        return [(e.actor, e.action, e.target) for e in session.scalars(query)]


def ask(question: str, context: SearchContext | None = None) -> Answer:
    """What the bot answers now, from the index under the test's BOT_DATA_DIR (real embedder)."""
    return KnowledgeBase(embedder=get_embedder()).load().answer(question, context)


def doc_ids_in_table(html: str, table_id: str) -> list[str]:
    """The data-doc-id of the rows of one table of a page, in order."""
    match = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert match, f"no table {table_id}"
    return re.findall(r'data-doc-id="([^"]+)"', match.group(0))


def eventually(question: str, check: Callable[[Answer], bool], timeout: float = 8.0) -> Answer:
    """The running knowledge base's answer once `check` holds (it reloads a new index version
    within `reload_interval_seconds`); the last answer if it never does."""
    from retrieval.service import get_knowledge_base

    deadline = time.monotonic() + timeout
    while True:
        answer = get_knowledge_base().answer(question)
        if check(answer) or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)
