"""Internal notes of a ticket: an append-only list kept in the `Ticket.notes` text column.

Format: JSON Lines, one object per note, appended and never rewritten —
``{"at": "2026-11-28T04:20:00", "author": "lan", "text": "…", "kind": "note"}``.  A reply to the
parent is appended too (``"kind": "reply"`` with its ``"delivery"``: sent, undelivered, failed or
no_channel), so a ticket keeps the history of every reply attempt while `Ticket.reply` holds the
latest one.  JSON Lines rather than one JSON array so that appending never needs to parse or
rewrite earlier notes; a line that is not JSON (typed by hand, an older tool) is shown as a note
without author or time instead of failing the page.  Times are naive UTC like every column.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, update
from sqlalchemy.orm import Session

from storage.models import Ticket


@dataclass(frozen=True)
class Note:
    """One line of `Ticket.notes`: an internal note or a reply attempt."""

    at: dt.datetime | None
    author: str
    text: str
    kind: str = "note"  # note, reply
    delivery: str = ""  # reply only: sent, undelivered, failed, no_channel

    def to_line(self) -> str:
        data: dict[str, Any] = {
            "at": self.at.isoformat(timespec="seconds") if self.at else None,
            "author": self.author,
            "text": self.text,
            "kind": self.kind,
        }
        if self.delivery:
            data["delivery"] = self.delivery
        return json.dumps(data, ensure_ascii=False)


def parse_notes(raw: str) -> list[Note]:
    """The notes of a ticket, oldest first."""
    notes: list[Note] = []
    # Split on "\n" only: json.dumps escapes it inside a note, but not U+2028 and friends,
    # which str.splitlines() would also cut at.
    for line in (raw or "").split("\n"):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            data = None
        if not isinstance(data, dict):
            notes.append(Note(at=None, author="", text=line))
            continue
        notes.append(Note(
            at=_parse_time(data.get("at")),
            author=str(data.get("author") or ""),
            text=str(data.get("text") or ""),
            kind=str(data.get("kind") or "note"),
            delivery=str(data.get("delivery") or ""),
        ))
    return notes


def append_note(session: Session, ticket: Ticket, note: Note) -> None:
    """Add `note` after the existing ones, leaving earlier lines byte for byte.

    The append is one SQL UPDATE (``notes = notes || line``), not a read-modify-write, so two
    staff members writing notes on the same ticket at the same time both keep theirs.
    """
    session.flush()  # pending changes first: the refresh below must not drop them
    line = note.to_line()
    appended = case((Ticket.notes == "", line), else_=Ticket.notes + "\n" + line)
    session.execute(update(Ticket).where(Ticket.id == ticket.id).values(notes=appended),
                    execution_options={"synchronize_session": False})
    session.refresh(ticket, ["notes", "updated_at"])


def _parse_time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None
