"""The audit log of the admin web: every change a person makes goes through `record`.

One function so that pages cannot forget a field or write entries in another shape; the
entries are shown on /admin/audit (newest first).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from storage.models import AuditEntry
from storage.repositories import add_audit

ACTOR_MAX_CHARS = 80
TARGET_MAX_CHARS = 200


def record(
    session: Session, *, actor: str, action: str, target: str = "", detail: dict[str, Any] | None = None
) -> AuditEntry:
    """Write one audit entry ("user.create", "document.retire" …) in the caller's session."""
    return add_audit(
        session,
        actor=actor[:ACTOR_MAX_CHARS],
        action=action,
        target=target[:TARGET_MAX_CHARS],
        detail=detail,
    )
