"""Add files and folders to the knowledge base: parse, read metadata, chunk, store, re-index.

This is what `bot kb add` and the admin upload call.  Each file is handled on its own and in
its own transaction, so one broken file is reported (in Vietnamese, naming the file) while the
others go in, and nothing of the broken file reaches SQL.  Unchanged files are reported as
"không đổi" and leave the index alone; when anything changed, the search indexes are brought
up to date once at the end.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tqdm import tqdm

from retrieval.chunking import SectionChunk, chunk_document
from retrieval.errors import DocumentParseError, RetrievalError
from retrieval.kb_store import add_or_replace_document
from retrieval.metadata import document_meta, faq_questions
from retrieval.parsing import SUPPORTED_EXTENSIONS, ParsedFile, parse_file
from retrieval.settings import RetrievalSettings, get_retrieval_settings
from retrieval.types import DocumentMeta

logger = logging.getLogger(__name__)

FileStatus = Literal["ok", "unchanged", "error", "skipped"]
ACTION_WORDS = {"added": "thêm mới", "replaced": "thay thế", "unchanged": "không đổi"}


@dataclass
class FileReport:
    """The outcome for one file."""

    path: Path
    status: FileStatus
    doc_id: str | None = None
    action: str | None = None  # "added" / "replaced" / "unchanged"
    chunks: int = 0
    message: str = ""  # Vietnamese, for staff


@dataclass
class IngestReport:
    """The outcome of one ingestion run."""

    files: list[FileReport] = field(default_factory=list)
    index_note: str | None = None  # what happened to the search indexes, in Vietnamese
    index_error: str | None = None

    @property
    def changed(self) -> bool:
        return any(f.status == "ok" for f in self.files)

    def count(self, status: str) -> int:
        return sum(f.status == status for f in self.files)


def collect_files(paths: Iterable[Path | str]) -> tuple[list[Path], list[FileReport]]:
    """Files to ingest (folders walked recursively, hidden entries skipped) and problems found."""
    files: list[Path] = []
    problems: list[FileReport] = []
    for item in map(Path, paths):
        if item.is_dir():
            for child in sorted(item.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(item).parts)
                if not child.is_file() or hidden:
                    continue
                if child.suffix.lower() in SUPPORTED_EXTENSIONS:
                    files.append(child)
                else:
                    problems.append(
                        FileReport(
                            child,
                            "skipped",
                            message=(
                                f"Bỏ qua {child.name}: đuôi tệp "
                                f"{child.suffix or '(không có)'} không được hỗ trợ."
                            ),
                        )
                    )
        elif item.is_file():
            files.append(item)  # named explicitly: the content decides whether it is readable
        else:
            problems.append(
                FileReport(item, "error", message=f"Không tìm thấy tệp hoặc thư mục {item}.")
            )
    return files, problems


@dataclass
class PreparedFile:
    """One file read, described and chunked, not yet stored (what the admin preview shows)."""

    parsed: ParsedFile
    meta: DocumentMeta
    questions: list[str]
    chunks: list[SectionChunk]


def prepare_file(path: Path, overrides: dict[str, Any] | None = None) -> PreparedFile:
    """Parse, read metadata and chunk one file without storing it; raise `DocumentParseError`.

    `overrides` are metadata keys (as in front matter) that win over the file's own front
    matter and over what is inferred from the text, e.g. the fields of the admin upload form.
    """
    parsed = parse_file(path)
    front_matter = {**parsed.front_matter, **(overrides or {})}
    meta = document_meta(front_matter, parsed.text, path=path)
    questions = faq_questions(front_matter)
    chunks = chunk_document(parsed.text, kind=meta.kind)
    if not chunks:
        raise DocumentParseError(
            f"Tệp {path.name} không có đoạn văn bản nào để đưa vào kho tri thức."
        )
    return PreparedFile(parsed, meta, questions, chunks)


def ingest_file(
    path: Path, *, seen: dict[str, Path] | None = None, database_url: str | None = None
) -> FileReport:
    """Parse, chunk and store one file in its own transaction; errors become a report."""
    from storage.db import session_scope

    try:
        prepared = prepare_file(path)
        parsed, meta, questions, chunks = (
            prepared.parsed, prepared.meta, prepared.questions, prepared.chunks
        )
        if seen is not None:
            other = seen.get(meta.id)
            if other is not None and other.resolve() != path.resolve():
                raise DocumentParseError(
                    f"Tệp {path.name} có mã (id) {meta.id} trùng với tệp {other.name} vừa nạp; "
                    "hãy đặt id khác trong phần đầu YAML."
                )
            seen[meta.id] = path
        with session_scope(database_url) as session:
            action = add_or_replace_document(
                session=session,
                meta=meta,
                chunks=chunks,
                content_hash=parsed.content_hash,
                questions=questions,
            )
    except RetrievalError as error:
        return FileReport(path, "error", message=str(error))
    status: FileStatus = "unchanged" if action == "unchanged" else "ok"
    return FileReport(
        path,
        status,
        doc_id=meta.id,
        action=action,
        chunks=len(chunks),
        message=f"{path.name}: {ACTION_WORDS[action]} ({meta.id}, {len(chunks)} đoạn)",
    )


def ingest_paths(
    paths: Iterable[Path | str],
    settings: RetrievalSettings | None = None,
    *,
    progress: bool = True,
    sync: bool = True,
) -> IngestReport:
    """Ingest files and folders; then update the search indexes once if anything changed."""
    settings = settings or get_retrieval_settings()
    files, problems = collect_files(paths)
    report = IngestReport(files=list(problems))
    seen: dict[str, Path] = {}
    url = database_url(settings)
    for path in tqdm(files, desc="Nạp tài liệu", unit="tệp", disable=not progress or not files):
        result = ingest_file(path, seen=seen, database_url=url)
        if result.status == "error":
            logger.warning("Ingestion failed for %s: %s", path.name, result.message)
        report.files.append(result)
    if sync and report.changed:
        try:
            report.index_note = sync_search_index(settings)
        except RetrievalError as error:
            report.index_error = (
                f"Đã lưu tài liệu nhưng chưa cập nhật được chỉ mục tìm kiếm: {error}"
            )
    return report


def database_url(settings: RetrievalSettings) -> str:
    """The SQL store of the knowledge base in `settings` (as `retrieval.index` reads it)."""
    from storage.settings import get_storage_settings

    configured = get_storage_settings().database_url
    return configured or f"sqlite:///{settings.data_dir / 'bot.sqlite3'}"


def _load_sync_index() -> Callable[..., Any] | None:
    """`retrieval.index.sync_index`, imported only when needed; None if the module is absent."""
    if importlib.util.find_spec("retrieval.index") is None:
        return None
    from retrieval.index import sync_index

    return sync_index


def sync_search_index(settings: RetrievalSettings | None = None, *, full: bool = False) -> str:
    """Bring the search indexes up to date with SQL; return a note for staff."""
    sync_index = _load_sync_index()
    if sync_index is None:
        return "Chưa có mô-đun chỉ mục tìm kiếm; tài liệu đã lưu trong cơ sở dữ liệu."
    stats: Any = sync_index(settings=settings, full=full)
    version = getattr(stats, "version", None)
    if version is None:
        return "Đã cập nhật chỉ mục tìm kiếm."
    if full:
        return (
            f"Đã lập lại toàn bộ chỉ mục (phiên bản {version}): "
            f"{getattr(stats, 'chunks', '?')} đoạn, {getattr(stats, 'documents', '?')} tài liệu."
        )
    if not getattr(stats, "changed", True):
        return f"Chỉ mục tìm kiếm đã mới nhất (phiên bản {version})."
    return (
        f"Đã cập nhật chỉ mục (phiên bản {version}): thêm {getattr(stats, 'added', 0)} đoạn, "
        f"bỏ {getattr(stats, 'removed', 0)} đoạn."
    )
