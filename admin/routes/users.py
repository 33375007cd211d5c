"""User management (admins only): list accounts, create one, deactivate/reactivate, reset a
password. Every change is written to the audit log; deactivating or resetting a password ends
that user's open sessions.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from admin import audit
from admin.deps import AdminOnly, SessionDep, protected_router, require_admin
from admin.sessions import session_store
from admin.templating import flash, render
from storage.errors import StorageError
from storage.models import User
from storage.repositories import MIN_PASSWORD_CHARS, ROLES, create_user, list_users, set_password

logger = logging.getLogger(__name__)

router = protected_router(tags=["admin"], dependencies=[Depends(require_admin)])

USERNAME_RE = re.compile(r"^[A-Za-z0-9._@-]{3,80}$")
ROLE_LABELS = {"admin": "Quản trị viên", "staff": "Cán bộ"}


def _password_error(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        return f"Mật khẩu phải có ít nhất {MIN_PASSWORD_CHARS} ký tự."
    return ""


def _create_errors(username: str, full_name: str, role: str, password: str) -> list[str]:
    errors = []
    if not USERNAME_RE.match(username):
        errors.append("Tên đăng nhập gồm 3–80 ký tự: chữ không dấu, số, dấu chấm, gạch dưới, gạch ngang hoặc @.")
    if len(full_name) > 200:
        errors.append("Họ tên dài quá 200 ký tự.")
    if role not in ROLES:
        errors.append("Vai trò không hợp lệ.")
    password_error = _password_error(password)
    if password_error:
        errors.append(password_error)
    return errors


def _page(request: Request, db: Session, *, errors: list[str] | None = None,
          form: dict[str, str] | None = None, status_code: int = 200) -> Response:
    return render(request, "users.html", {
        "title": "Người dùng",
        "users": list_users(db),
        "role_labels": ROLE_LABELS,
        "errors": errors or [],
        "form": form or {"username": "", "full_name": "", "role": "staff"},
        "min_password": MIN_PASSWORD_CHARS,
    }, status_code=status_code)


@router.get("/admin/users", include_in_schema=False)
async def users_page(request: Request, user: AdminOnly, db: SessionDep) -> Response:
    return _page(request, db)


@router.post("/admin/users", include_in_schema=False)
async def create(
    request: Request, user: AdminOnly, db: SessionDep,
    username: Annotated[str, Form()] = "", full_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "staff", password: Annotated[str, Form()] = "",
) -> Response:
    username, full_name = username.strip(), full_name.strip()
    form = {"username": username, "full_name": full_name, "role": role}
    errors = _create_errors(username, full_name, role, password)
    if not errors:
        try:
            # argon2 hashing blocks the loop for ~0.1 s: acceptable for a rare admin action.
            created = create_user(db, username=username, password=password, role=role, full_name=full_name)
        except StorageError as error:
            errors.append(f"Không tạo được tài khoản: {error}")
    if errors:
        return _page(request, db, errors=errors, form=form, status_code=400)
    audit.record(db, actor=user.username, action="user.create", target=created.username,
                 detail={"role": role, "full_name": full_name})
    flash(request, f"Đã tạo tài khoản {created.username} ({ROLE_LABELS[role]}).")
    return RedirectResponse("/admin/users", status_code=303)


def _target(db: Session, user_id: int) -> User | None:
    return db.get(User, user_id)


@router.post("/admin/users/{user_id}/deactivate", include_in_schema=False)
async def deactivate(request: Request, user_id: int, user: AdminOnly, db: SessionDep) -> Response:
    target = _target(db, user_id)
    if target is None:
        flash(request, "Không tìm thấy tài khoản.", "error")
    elif target.id == user.id:
        flash(request, "Bạn không thể tự khoá tài khoản của mình.", "error")
    elif target.active:
        target.active = False
        db.flush()
        revoked = await session_store(request).revoke_user(target.id)
        audit.record(db, actor=user.username, action="user.deactivate", target=target.username,
                     detail={"sessions_ended": revoked})
        flash(request, f"Đã khoá tài khoản {target.username}.")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/reactivate", include_in_schema=False)
async def reactivate(request: Request, user_id: int, user: AdminOnly, db: SessionDep) -> Response:
    target = _target(db, user_id)
    if target is None:
        flash(request, "Không tìm thấy tài khoản.", "error")
    elif not target.active:
        target.active = True
        db.flush()
        audit.record(db, actor=user.username, action="user.reactivate", target=target.username)
        flash(request, f"Đã mở khoá tài khoản {target.username}.")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/password", include_in_schema=False)
async def reset_password(request: Request, user_id: int, user: AdminOnly, db: SessionDep,
                         password: Annotated[str, Form()] = "") -> Response:
    target = _target(db, user_id)
    error = "Không tìm thấy tài khoản." if target is None else _password_error(password)
    if target is None or error:
        flash(request, error, "error")
        return RedirectResponse("/admin/users", status_code=303)
    set_password(db, user=target, password=password)
    revoked = 0 if target.id == user.id else await session_store(request).revoke_user(target.id)
    audit.record(db, actor=user.username, action="user.reset_password", target=target.username,
                 detail={"sessions_ended": revoked})
    flash(request, f"Đã đặt lại mật khẩu cho {target.username}.")
    return RedirectResponse("/admin/users", status_code=303)
