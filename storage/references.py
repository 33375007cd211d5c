"""Ticket reference codes that a parent can read aloud or type back: "GY-7K3F9Q".

A prefix per kind of ticket (góp ý, tin sai, cán bộ) and six characters from an alphabet without
the look-alikes 0/O and 1/I, so a code copied by hand from a phone screen still matches.
Uniqueness is checked by `storage.repositories.create_ticket`, which draws again on a collision.
"""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 6
PREFIXES: dict[str, str] = {"feedback": "GY", "misinformation": "TS", "human": "CB"}


def prefix_for(kind: str) -> str:
    """The prefix of a ticket kind; raises `KeyError` for an unknown kind."""
    return PREFIXES[kind]


def new_reference(kind: str) -> str:
    """A fresh random code for a ticket of `kind` (not checked against the store)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{prefix_for(kind)}-{body}"

