"""Protecting residents' personal data: hashed user ids and redacted phone/ID numbers.

Every platform user id that reaches a log line, an analytics row or an export goes through
`hash_user_id`; every free text a resident typed is stored through `redact`.
"""

from __future__ import annotations

import hashlib
import hmac
import re

# Vietnamese mobile/landline numbers (0xx or +84/84 prefix, optional separators) and
# 9/12-digit identity numbers (CMND/CCCD), 10-digit social-insurance codes included.
_PHONE_RE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.\-]?\d){8,10}(?!\d)")
_ID_RE = re.compile(r"(?<!\d)\d{9,12}(?!\d)")
PHONE_MASK = "[số điện thoại]"
ID_MASK = "[số giấy tờ]"


def hash_user_id(user_id: str, salt: str) -> str:
    """A stable, salted, non-reversible token for a platform user id (first 16 hex chars)."""
    digest = hmac.new(salt.encode("utf-8"), user_id.encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[:16]


def redact(text: str) -> str:
    """Replace phone numbers and identity numbers in `text` with neutral placeholders."""
    text = _PHONE_RE.sub(PHONE_MASK, text)
    return _ID_RE.sub(ID_MASK, text)
