"""`bot admin`: staff and admin accounts of the admin web, created and listed from the shell.

The first admin account can only come from here (the admin web needs someone to log in).
Passwords are prompted hidden, with confirmation, when not given on the command line, and are
stored as argon2 hashes; every account created is written to the audit log.
"""

from __future__ import annotations

from enum import Enum

import typer

from storage.db import session_scope
from storage.errors import StorageError
from storage.repositories import MIN_PASSWORD_CHARS, add_audit, create_user, list_users

app = typer.Typer(help="Quản lý tài khoản cán bộ.", no_args_is_help=True)


class Role(str, Enum):
    admin = "admin"
    staff = "staff"


ROLE_LABELS = {"admin": "quản trị", "staff": "cán bộ"}


@app.command("create-user")
def create_user_command(
    username: str = typer.Argument(..., help="Tên đăng nhập."),
    role: Role = typer.Option(Role.staff, "--role", help="admin (quản trị) hoặc staff (cán bộ)."),
    password: str = typer.Option(
        ..., "--password", prompt="Mật khẩu", hide_input=True, confirmation_prompt=True,
        help="Mật khẩu (bỏ trống để nhập ẩn).",
    ),
    full_name: str = typer.Option("", "--full-name", help="Họ tên hiển thị."),
) -> None:
    """Tạo tài khoản đăng nhập trang quản trị."""
    username = username.strip()
    if not username:
        _fail("Tên đăng nhập không được để trống.")
    if len(password) < MIN_PASSWORD_CHARS:
        _fail(f"Mật khẩu phải có ít nhất {MIN_PASSWORD_CHARS} ký tự.")
    try:
        with session_scope() as session:
            user = create_user(session, username=username, password=password,
                               role=role.value, full_name=full_name)
            add_audit(session, actor="cli", action="user.create", target=user.username,
                      detail={"role": user.role})
    except StorageError as error:
        _fail(f"Không tạo được tài khoản: {error}")
    typer.echo(f"Đã tạo tài khoản {username} ({ROLE_LABELS[role.value]}).")


@app.command("list-users")
def list_users_command() -> None:
    """Liệt kê tài khoản trang quản trị."""
    with session_scope() as session:
        users = list_users(session)
    if not users:
        typer.echo("Chưa có tài khoản nào. Tạo bằng: bot admin create-user TÊN --role admin")
        return
    width = max(len("Tài khoản"), *(len(user.username) for user in users))
    typer.echo(f"{'Tài khoản':<{width}}  {'Vai trò':<8}  {'Trạng thái':<10}  Ngày tạo")
    for user in users:
        status = "hoạt động" if user.active else "đã khoá"
        created = user.created_at.strftime("%Y-%m-%d %H:%M")
        role = ROLE_LABELS.get(user.role, user.role)
        typer.echo(f"{user.username:<{width}}  {role:<8}  {status:<10}  {created}")


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code=1)
