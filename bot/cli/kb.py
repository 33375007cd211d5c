"""`bot kb …`: add, list, show, retire and remove knowledge-base documents; rebuild the index.

Staff at a school or commune office manage the knowledge base from here when they do not use
the admin web: every message is Vietnamese, every error names the file or document concerned,
and the exit code is non-zero when something failed so scripts can tell.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

from retrieval.errors import RetrievalError

app = typer.Typer(
    help="Quản lý kho tri thức (thêm, liệt kê, xoá, lập lại chỉ mục).", no_args_is_help=True
)

KIND_WORDS = {"document": "văn bản", "announcement": "thông báo", "faq": "hỏi đáp"}
STATUS_MARKS = {"ok": "✓", "unchanged": "=", "error": "✗", "skipped": "-"}


@app.callback()
def _group() -> None:
    """Quản lý kho tri thức (thêm, liệt kê, xoá, lập lại chỉ mục)."""


def _date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _window(valid_from: dt.date | None, valid_until: dt.date | None) -> str:
    if not valid_from and not valid_until:
        return "không thời hạn"
    return f"{_date(valid_from) or '…'} – {_date(valid_until) or '…'}"


def _cut(text: str | None, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _sync(full: bool = False) -> None:
    from retrieval.ingest import sync_search_index

    try:
        typer.echo(sync_search_index(full=full))
    except RetrievalError as error:
        typer.echo(f"Lỗi khi cập nhật chỉ mục tìm kiếm: {error}", err=True)
        raise typer.Exit(code=1) from error


@app.command("add")
def add(
    paths: Annotated[
        list[Path], typer.Argument(help="Tệp hoặc thư mục (DOCX, PDF, TXT, Markdown, HTML).")
    ],
    no_index: bool = typer.Option(
        False, "--no-index", help="Chỉ lưu vào cơ sở dữ liệu, chưa lập chỉ mục."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Không hiện thanh tiến độ."),
) -> None:
    """Thêm hoặc thay thế tài liệu; tài liệu không đổi được bỏ qua."""
    from retrieval.ingest import ACTION_WORDS, ingest_paths

    report = ingest_paths(paths, progress=not quiet, sync=not no_index)
    for item in report.files:
        if item.status in ("ok", "unchanged"):
            line = (
                f"{STATUS_MARKS[item.status]} {ACTION_WORDS[item.action or 'unchanged']:<10} "
                f"{item.doc_id}  ({item.chunks} đoạn)  {item.path}"
            )
        else:
            line = f"{STATUS_MARKS[item.status]} {item.message}"
        typer.echo(line, err=item.status == "error")
    added = sum(f.action == "added" for f in report.files)
    replaced = sum(f.action == "replaced" for f in report.files)
    typer.echo(
        f"Tổng cộng {len(report.files)} tệp: {added} thêm mới, {replaced} thay thế, "
        f"{report.count('unchanged')} không đổi, {report.count('error')} lỗi"
        + (f", {report.count('skipped')} bỏ qua." if report.count("skipped") else ".")
    )
    if report.index_note:
        typer.echo(report.index_note)
    elif report.changed and no_index:
        typer.echo("Chưa lập chỉ mục (--no-index); chạy `bot kb reindex` khi cần.")
    if report.index_error:
        typer.echo(report.index_error, err=True)
    if report.count("error") or report.index_error:
        raise typer.Exit(code=1)


@app.command("list")
def list_(
    include_retired: bool = typer.Option(
        True, "--all/--active", help="Có hiện tài liệu đã ngừng dùng không."
    ),
    as_json: bool = typer.Option(False, "--json", help="In dạng JSON."),
) -> None:
    """Liệt kê tài liệu: mã, loại, tiêu đề, số hiệu, thời hạn hiệu lực, trạng thái, số đoạn."""
    from retrieval.kb_store import list_documents
    from storage.db import session_scope

    with session_scope() as session:
        docs = list_documents(session=session, include_retired=include_retired)
    today = dt.date.today()
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "id": d.meta.id,
                        "kind": d.meta.kind,
                        "title": d.meta.title,
                        "number": d.meta.number,
                        "valid_from": d.meta.valid_from.isoformat() if d.meta.valid_from else None,
                        "valid_until": d.meta.valid_until.isoformat()
                        if d.meta.valid_until
                        else None,
                        "status": d.validity(today),
                        "chunks": d.chunk_count,
                        "version": d.version,
                    }
                    for d in docs
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if not docs:
        typer.echo("Kho tri thức chưa có tài liệu nào. Thêm bằng: bot kb add <tệp hoặc thư mục>")
        return
    rows = [
        [
            _cut(d.meta.id, 44),
            KIND_WORDS.get(d.meta.kind, d.meta.kind),
            _cut(d.meta.title, 48),
            _cut(d.meta.number, 24),
            _window(d.meta.valid_from, d.meta.valid_until),
            d.validity(today),
            str(d.chunk_count),
        ]
        for d in docs
    ]
    typer.echo(_table(["Mã", "Loại", "Tiêu đề", "Số hiệu", "Hiệu lực", "Trạng thái", "Đoạn"], rows))
    typer.echo(f"{len(docs)} tài liệu, {sum(d.chunk_count for d in docs)} đoạn.")


@app.command("show")
def show(
    doc_id: str = typer.Argument(..., metavar="ID", help="Mã tài liệu (xem `bot kb list`)."),
    full: bool = typer.Option(False, "--full", help="In toàn văn từng đoạn."),
) -> None:
    """Xem thông tin và các đoạn (kèm mục) của một tài liệu."""
    from retrieval.kb_store import get_document
    from storage.db import session_scope

    try:
        with session_scope() as session:
            doc = get_document(session=session, doc_id=doc_id)
    except RetrievalError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(code=1) from error
    meta = doc.meta
    fields = [
        ("Mã", meta.id),
        ("Tiêu đề", meta.title),
        ("Loại", KIND_WORDS.get(meta.kind, meta.kind)),
        ("Số hiệu", meta.number),
        ("Cơ quan ban hành", meta.issuer),
        ("Ngày ban hành", _date(meta.issued)),
        ("Hiệu lực", f"{_window(meta.valid_from, meta.valid_until)} ({doc.validity()})"),
        ("Trường", meta.school),
        ("Khối/lớp", meta.grade),
        ("Nguồn", meta.source_url),
        ("Tệp", meta.source_path),
        ("Phiên bản", str(doc.version)),
    ]
    for label, value in fields:
        if value:
            typer.echo(f"{label}: {value}")
    for question in doc.questions:
        typer.echo(f"Câu hỏi: {question}")
    for key, value in meta.extra.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        typer.echo(f"  {key}: {_cut(shown, 160)}")
    typer.echo(f"\n{doc.chunk_count} đoạn:")
    for chunk in doc.chunks:
        typer.echo(
            f"\n[{chunk.ordinal + 1}] {chunk.section or '(phần đầu)'} · {len(chunk.text)} ký tự"
        )
        body = chunk.text if full else _cut(chunk.text, 300)
        typer.echo("    " + body.replace("\n", "\n    "))


@app.command("remove")
def remove(
    doc_id: str = typer.Argument(..., metavar="ID", help="Mã tài liệu cần xoá."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Không hỏi lại."),
) -> None:
    """Xoá hẳn một tài liệu (lịch sử phiên bản vẫn được giữ)."""
    from retrieval.kb_store import get_document, remove_document
    from storage.db import session_scope

    try:
        with session_scope() as session:
            title = get_document(session=session, doc_id=doc_id).meta.title
        if not yes and not typer.confirm(f"Xoá hẳn tài liệu {doc_id} ({_cut(title, 60)})?"):
            typer.echo("Đã huỷ.")
            raise typer.Exit(code=1)
        with session_scope() as session:
            remove_document(session=session, doc_id=doc_id)
    except RetrievalError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(code=1) from error
    typer.echo(f"Đã xoá tài liệu {doc_id}.")
    _sync()


@app.command("retire")
def retire(doc_id: str = typer.Argument(..., metavar="ID", help="Mã tài liệu ngừng dùng.")) -> None:
    """Ngừng dùng một tài liệu để trả lời (vẫn giữ trong kho; thêm lại để dùng tiếp)."""
    from retrieval.kb_store import retire_document
    from storage.db import session_scope

    try:
        with session_scope() as session:
            changed = retire_document(session=session, doc_id=doc_id)
    except RetrievalError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(code=1) from error
    if not changed:
        typer.echo(f"Tài liệu {doc_id} đã ngừng dùng từ trước.")
        return
    typer.echo(f"Đã ngừng dùng tài liệu {doc_id}; bot sẽ không trả lời từ tài liệu này nữa.")
    _sync()


@app.command("reindex")
def reindex() -> None:
    """Lập lại toàn bộ chỉ mục tìm kiếm từ cơ sở dữ liệu."""
    _sync(full=True)
