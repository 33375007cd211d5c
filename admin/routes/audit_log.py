"""The audit log page: every change made through the admin web or the CLI, newest first,
filtered by actor and action, paginated. Details are shown as escaped text."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import func, select

from admin.deps import CurrentUser, SessionDep, protected_router
from admin.templating import dumps_json, render
from storage.models import AuditEntry

router = protected_router(tags=["admin"])

PAGE_SIZE = 50


@router.get("/admin/audit", include_in_schema=False)
async def audit_page(request: Request, user: CurrentUser, db: SessionDep, actor: str = "", action: str = "",
                     page: int = 1) -> Response:
    actor, action = actor.strip(), action.strip()
    query = select(AuditEntry)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    total = int(db.scalar(select(func.count()).select_from(query.subquery())) or 0)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    entries = list(db.scalars(
        query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ))
    actions = list(db.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
    return render(request, "audit.html", {
        "title": "Nhật ký thay đổi",
        "entries": [(entry, dumps_json(entry.detail) if entry.detail else "") for entry in entries],
        "actions": actions, "actor": actor, "action": action,
        "page": page, "pages": pages, "total": total,
    })
