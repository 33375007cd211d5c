"""Protecting residents' personal data: hashed user ids and redacted phone/ID numbers.

Every platform user id that reaches a log line, an analytics row or an export goes through
`hash_user_id`; every free text a resident typed is stored through `redact`.
"""

from __future__ import annotations

import hashlib
import hmac
import re

# Vietnamese mobile/landline numbers: 0 + 8-10 digits or (+)84 + 8-10 digits, with optional
# space/dot/dash separators, the first group (0xx) unbroken so dates like 01.09.2024 stay;
# "(028) 3829 1234" and "09 1234 5678" too. Never inside a dotted amount ("1.000.000.000 đồng").
_PHONE_RE = re.compile(
    r"(?<!\d)(?<!\d\.)"
    r"(?:\(0\d{2,3}\)[\s.\-]?\d(?:[\s.\-]?\d){6,7}"
    r"|\+?84(?:[\s.\-]?\d){8,10}"
    r"|0\d{2}(?:[\s.\-]?\d){6,8}"
    r"|0\d \d{4} \d{4})"
    r"(?!\d)"
)
# 9/12-digit identity numbers (CMND/CCCD), 10-digit social-insurance codes included; a 12-digit
# CCCD may be written in groups of 3 or 4 separated by spaces (masked before phone numbers).
_SPACED_ID_RE = re.compile(r"(?<!\d)(?:\d{3}(?: \d{3}){3}|\d{4}(?: \d{4}){2})(?!\d)")
_ID_RE = re.compile(r"(?<!\d)\d{9,12}(?!\d)")
PHONE_MASK = "[số điện thoại]"
ID_MASK = "[số giấy tờ]"


def hash_user_id(user_id: str, salt: str) -> str:
    """A stable, salted, non-reversible token for a platform user id (first 16 hex chars)."""
    digest = hmac.new(salt.encode("utf-8"), user_id.encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[:16]


def redact(text: str) -> str:
    """Replace phone numbers and identity numbers in `text` with neutral placeholders."""
    text = _SPACED_ID_RE.sub(ID_MASK, text)
    text = _PHONE_RE.sub(PHONE_MASK, text)
    return _ID_RE.sub(ID_MASK, text)
