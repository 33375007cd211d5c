"""Why a platform send failed, in the few kinds the outbound path treats differently.

    PlatformError
    ├── SendError                 a send attempt failed; `kind` decides what happens next
    │     kind = "token"          refresh the credentials (Zalo) and retry once
    │     kind = "rate_limit"     back off with jitter and retry
    │     kind = "transient"      timeout, 5xx: retry with back-off, then dead-letter
    │     kind = "window"         outside the reply window: no retry, recorded undelivered
    │     kind = "recipient"      user unreachable (blocked, unfollowed): no retry, undelivered
    │     kind = "permanent"      our request is wrong: no retry, dead-lettered
    └── TokenRefreshError         the Zalo token refresh failed (logged, shown by health)
"""

from __future__ import annotations

SEND_ERROR_KINDS = ("token", "rate_limit", "transient", "window", "recipient", "permanent")


class PlatformError(Exception):
    """Base error of the platform connectors."""


class SendError(PlatformError):
    """One send attempt failed; `kind` is one of SEND_ERROR_KINDS, `code` the platform's code."""

    def __init__(
        self, kind: str, code: int | str | None = None, detail: str = "",
        *, credential: str | None = None,
    ) -> None:
        if kind not in SEND_ERROR_KINDS:
            raise ValueError(f"unknown send error kind {kind!r}")
        self.kind = kind
        self.code = code
        self.detail = detail
        self.credential = credential  # the token that was rejected (for a stale-aware refresh)
        super().__init__(f"{kind} (code {code}): {detail}" if detail else f"{kind} (code {code})")


class TokenRefreshError(PlatformError):
    """Refreshing the Zalo access token failed; sends keep failing until an operator acts."""
