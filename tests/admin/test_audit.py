"""The audit log: `admin.audit.record` and the /admin/audit page (newest first, filters, pages)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from admin_client import AdminClient

from admin import audit
from admin.routes.audit_log import PAGE_SIZE
from storage.db import session_scope
from storage.models import AuditEntry


def _seed(count: int, *, actor: str = "quantri", action: str = "document.retire") -> None:
    start = dt.datetime(2026, 1, 1, 8, 0)
    with session_scope() as session:
        for index in range(count):
            entry = audit.record(session, actor=actor, action=action, target=f"doc-{index:03d}")
            entry.created_at = start + dt.timedelta(minutes=index)


def _targets(html: str) -> list[str]:
    return re.findall(r"<td>(doc-\d{3})</td>", html)


def test_record_writes_one_entry(data_dir: Path) -> None:
    with session_scope() as session:
        entry = audit.record(session, actor="a" * 100, action="faq.edit", target="faq-1", detail={"field": "answer"})
        entry_id = entry.id
    with session_scope() as session:
        stored = session.get(AuditEntry, entry_id)
        assert stored is not None
        assert (stored.actor, stored.action, stored.target, stored.detail) == ("a" * 80, "faq.edit", "faq-1",
                                                                               {"field": "answer"})


async def test_audit_page_is_newest_first_and_paginated(client_staff: AdminClient) -> None:
    _seed(PAGE_SIZE + 10)
    first = await client_staff.get("/admin/audit", params={"action": "document.retire"})
    assert first.status_code == 200
    targets = _targets(first.text)
    assert len(targets) == PAGE_SIZE
    assert targets[0] == f"doc-{PAGE_SIZE + 9:03d}" and targets[-1] == "doc-010"
    assert "Trang 1/2" in first.text
    second = await client_staff.get("/admin/audit", params={"action": "document.retire", "page": 2})
    assert _targets(second.text) == [f"doc-{i:03d}" for i in range(9, -1, -1)]


async def test_audit_page_filters_by_actor_and_action(client_admin: AdminClient) -> None:
    _seed(3, actor="canbo", action="ticket.close")
    _seed(2, actor="quantri", action="document.retire")
    by_actor = await client_admin.get("/admin/audit", params={"actor": "canbo"})
    assert _targets(by_actor.text) == ["doc-002", "doc-001", "doc-000"]
    assert "document.retire</td>" not in by_actor.text
    by_action = await client_admin.get("/admin/audit", params={"action": "document.retire"})
    assert _targets(by_action.text) == ["doc-001", "doc-000"]
    assert "ticket.close</td>" not in by_action.text


async def test_audit_details_and_actors_are_escaped(client_admin: AdminClient, client_anon: AdminClient) -> None:
    await client_anon.login("<script>alert(1)</script>", "khong-dung-dau")  # audited failed login
    with session_scope() as session:
        audit.record(session, actor="quantri", action="faq.edit", target="faq-1",
                     detail={"answer": "<img src=x onerror=alert(2)>"})
    page = await client_admin.get("/admin/audit")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "&lt;img src=x onerror=alert(2)&gt;" in page.text
    assert "<script>alert(1)" not in page.text and "<img src=x" not in page.text
