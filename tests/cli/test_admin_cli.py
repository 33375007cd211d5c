"""`bot admin create-user` and `bot admin list-users` against a fresh store."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.admin import app
from storage.db import session_scope
from storage.models import AuditEntry
from storage.repositories import list_users, verify_password

runner = CliRunner()


def test_create_user_with_password_option(data_dir: Path) -> None:
    result = runner.invoke(app, ["create-user", "hieutruong", "--role", "admin",
                                 "--password", "mat-khau-manh", "--full-name", "Nguyễn Văn A"])
    assert result.exit_code == 0, result.output
    assert "hieutruong" in result.output
    with session_scope() as session:
        user = verify_password(session, username="hieutruong", password="mat-khau-manh")
        assert user is not None and user.role == "admin" and user.full_name == "Nguyễn Văn A"
        [audit] = session.scalars(select(AuditEntry)).all()
        assert (audit.actor, audit.action, audit.target) == ("cli", "user.create", "hieutruong")
        assert "mat-khau-manh" not in str(audit.detail)


def test_password_is_prompted_hidden_with_confirmation(data_dir: Path) -> None:
    result = runner.invoke(app, ["create-user", "gv01"], input="bi-mat-1234\nbi-mat-1234\n")
    assert result.exit_code == 0, result.output
    assert "bi-mat-1234" not in result.output  # hidden input is not echoed
    with session_scope() as session:
        user = verify_password(session, username="gv01", password="bi-mat-1234")
        assert user is not None and user.role == "staff"


def test_mismatched_confirmation_is_asked_again(data_dir: Path) -> None:
    result = runner.invoke(app, ["create-user", "gv02"],
                           input="bi-mat-1234\nkhac-han-1234\nbi-mat-4567\nbi-mat-4567\n")
    assert result.exit_code == 0, result.output
    with session_scope() as session:
        assert verify_password(session, username="gv02", password="bi-mat-4567") is not None


def test_short_password_duplicate_user_and_unknown_role_fail(data_dir: Path) -> None:
    short = runner.invoke(app, ["create-user", "a", "--password", "ngan"])
    assert short.exit_code == 1 and "ít nhất 10 ký tự" in short.output

    assert runner.invoke(app, ["create-user", "b", "--password", "du-dai-roi-nhe"]).exit_code == 0
    again = runner.invoke(app, ["create-user", "b", "--password", "du-dai-roi-nhe"])
    assert again.exit_code == 1 and "đã tồn tại" in again.output

    role = runner.invoke(app, ["create-user", "c", "--role", "root", "--password", "du-dai-roi-nhe"])
    assert role.exit_code == 2
    with session_scope() as session:
        assert [u.username for u in list_users(session)] == ["b"]


def test_list_users(data_dir: Path) -> None:
    empty = runner.invoke(app, ["list-users"])
    assert empty.exit_code == 0 and "Chưa có tài khoản" in empty.output

    runner.invoke(app, ["create-user", "zz-canbo", "--password", "mat-khau-1"])
    runner.invoke(app, ["create-user", "admin", "--role", "admin", "--password", "mat-khau-2"])
    result = runner.invoke(app, ["list-users"])
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("Tài khoản")
    assert lines[1].split()[:2] == ["admin", "quản"] and "cán bộ" in lines[2]
    assert "mat-khau" not in result.output and "argon2" not in result.output
