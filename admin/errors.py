"""Errors of the admin web and how the app answers them.

```
AdminError                 base of everything raised in `admin`
├── NotLoggedIn            no valid session → 303 to /admin/login?next=… (HTML pages)
├── Forbidden              logged in, but the role may not do this → 403 page
│                          "Bạn không có quyền …"
├── CsrfError              unsafe request without the session's CSRF token → 403 page
├── LoginRateLimited       too many failed logins for this username and address → 429 page
└── AdminSettingsError     refused configuration (placeholder secret in production), at start-up
```
Handlers are registered by `admin.install(app)` (`admin.deps.register_error_handlers`).
"""

from __future__ import annotations


class AdminError(Exception):
    """Base of every error raised by the admin web; `str(error)` is a Vietnamese message."""


class NotLoggedIn(AdminError):
    """The request has no valid admin session (absent, expired, revoked, deactivated user)."""

    def __init__(self, next_url: str = "/admin/") -> None:
        super().__init__("Bạn cần đăng nhập để tiếp tục.")
        self.next_url = next_url


class Forbidden(AdminError):
    """The logged-in user's role does not allow this page or action."""

    def __init__(self, message: str = "Bạn không có quyền truy cập trang này.") -> None:
        super().__init__(message)


class CsrfError(AdminError):
    """A POST/PUT/PATCH/DELETE without the right CSRF token; nothing was changed."""

    def __init__(self, message: str = "Yêu cầu không hợp lệ hoặc đã hết hạn (thiếu mã bảo vệ CSRF). "
                 "Bạn vui lòng tải lại trang rồi thử lại.") -> None:
        super().__init__(message)


class LoginRateLimited(AdminError):
    """Too many failed logins for one username from one address within the window."""


class AdminSettingsError(AdminError):
    """The admin settings cannot be used (e.g. no secret key in production)."""
