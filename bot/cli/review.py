"""`bot review export-labels`: the questions whose right answer parents and staff settled,
as a `bot eval` file (see `admin.review_labels`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from admin.review_labels import labelled_questions
from storage.db import session_scope

app = typer.Typer(help="Câu hỏi đã được phụ huynh đánh giá hoặc cán bộ xử lý.", no_args_is_help=True)


@app.command("export-labels")
def export_labels(
    output: Path = typer.Argument(..., help="Tệp JSONL sẽ ghi (mỗi dòng một câu hỏi)."),
    since: str | None = typer.Option(None, "--since", help="Chỉ lấy câu hỏi từ ngày này (YYYY-MM-DD)."),
) -> None:
    """Xuất câu hỏi đã biết đáp án (để đo bằng `bot eval` và huấn luyện lại ngưỡng trả lời)."""
    try:
        start = dt.date.fromisoformat(since) if since else None
    except ValueError as error:
        typer.echo(f"Lỗi: ngày không hợp lệ {since!r}, cần dạng YYYY-MM-DD.", err=True)
        raise typer.Exit(code=2) from error
    with session_scope() as session:
        report = labelled_questions(session, since=start)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text("".join(item.to_json() + "\n" for item in report.labelled), encoding="utf-8")
    except OSError as error:
        typer.echo(f"Lỗi: không ghi được tệp {output}: {error.strerror or error}", err=True)
        raise typer.Exit(code=1) from error
    total = len(report.labelled)
    typer.echo(f"Đã ghi {total} câu hỏi vào {output}: {report.answerable} có tài liệu trả lời, "
               f"{total - report.answerable} kho tri thức không trả lời được.")
    if report.skipped["stale"]:
        typer.echo(f"Bỏ qua {report.skipped['stale']} câu hỏi vì tài liệu trả lời đã bị xoá hoặc ngừng dùng.")
    if report.skipped["duplicate"]:
        typer.echo(f"Gộp {report.skipped['duplicate']} câu hỏi trùng lời.")
