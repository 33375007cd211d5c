"""Files uploaded by staff: checked by their content, then staged until someone publishes them.

A clerk may upload a renamed file (a photo called ``.pdf``, a PDF called ``.docx``), a file far
too big for the server, or a text file saved in a legacy encoding.  `check_upload` refuses all of
these before anything is parsed, with a Vietnamese message that names the file and says what is
wrong.  An accepted file is *staged* under ``BOT_DATA_DIR/uploads/<token>/`` with a small
``staging.json`` beside it (who uploaded it, the metadata typed in the form, the document it
replaces), so the preview page can be reloaded and edited until the file is published or
discarded.  Staging folders older than a day are removed when a new file arrives.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
import secrets
import shutil
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import filetype

logger = logging.getLogger(__name__)

ALLOWED_EXTENSIONS = {
    ".docx": "docx",
    ".pdf": "pdf",
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
}
FORMAT_NAMES = {
    "docx": "văn bản Word (DOCX)",
    "pdf": "PDF",
    "text": "văn bản thuần (TXT)",
    "markdown": "văn bản Markdown",
    "html": "trang HTML",
}
ACCEPT_ATTRIBUTE = ",".join(ALLOWED_EXTENSIONS)  # for <input type="file" accept=…>
STAGING_DIR = "uploads"
STAGING_FILE = "staging.json"
STAGING_MAX_AGE_SECONDS = 24 * 3600
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_HTML_RE = re.compile(r"<\s*(!doctype\s+html|html|head|body|div|table|p|h[1-6]|ul|ol|article)\b", re.I)
_UNSAFE_NAME_RE = re.compile(r"[\x00-\x1f/\\:*?\"<>|]+")


class UploadRejected(ValueError):
    """An uploaded file cannot be accepted; the message is Vietnamese and names the file.

    Routes show it on the upload form (status 400); nothing is staged or stored.
    """


class StagingNotFound(LookupError):
    """No staged upload has this token (expired, published or discarded): routes answer 404."""


def safe_filename(filename: str) -> str:
    """The last component of an uploaded file name, without control or path characters."""
    name = re.split(r"[/\\]", filename or "")[-1]
    name = _UNSAFE_NAME_RE.sub("_", name).strip().strip(".")
    return name[:180]


def _size_mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".replace(".", ",")


def _described(data: bytes) -> str | None:
    """What the content really is, in Vietnamese, when it is a known binary type."""
    if data.lstrip(b"\xef\xbb\xbf")[:5] == b"%PDF-":
        return "PDF"
    if data[:4] == b"PK\x03\x04":
        names = _zip_names(data)
        if names is None:
            return "tệp nén ZIP bị hỏng"
        if "word/document.xml" in names:
            return "văn bản Word (DOCX)"
        return "tệp nén ZIP"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "tệp Word/Excel đời cũ (.doc/.xls)"
    kind = filetype.guess(data[:8192])
    if kind is None:
        return None
    if kind.mime.startswith("image/"):
        return f"ảnh {kind.extension.upper()}"
    return f"tệp {kind.extension.upper()} ({kind.mime})"


def _zip_names(data: bytes) -> set[str] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


def _decode_text(data: bytes) -> str | None:
    """The text of a UTF-8 file (BOM optional) or a UTF-16 file with a BOM; None otherwise."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _mismatch(name: str, extension: str, expected: str, actual: str | None) -> UploadRejected:
    found = f" (nội dung là {actual})" if actual else ""
    return UploadRejected(
        f"Tệp {name} có đuôi {extension} nhưng nội dung không phải {FORMAT_NAMES[expected]}"
        f"{found}. Hãy kiểm tra lại tệp hoặc lưu lại đúng định dạng."
    )


def check_upload(filename: str, data: bytes, *, max_mb: int, size: int | None = None) -> str:
    """The format ("docx", "pdf", "text", "markdown", "html") of an acceptable upload.

    Raises `UploadRejected` for a missing name, an empty or too big file, an unsupported
    extension, or content that does not match the extension.  `size` is the full size when
    `data` was read only up to just over the limit.
    """
    name = safe_filename(filename)
    if not name:
        raise UploadRejected("Chưa chọn tệp nào để tải lên.")
    if not data.strip():
        raise UploadRejected(f"Tệp {name} rỗng, không có nội dung.")
    size = max(size or 0, len(data))
    if size > max_mb * 1024 * 1024:
        raise UploadRejected(
            f"Tệp {name} nặng {_size_mb(size)} MB, vượt giới hạn {max_mb} MB cho mỗi tệp. "
            "Hãy tải bản nhỏ hơn (ví dụ bỏ ảnh hoặc tách thành nhiều tệp)."
        )
    extension = Path(name).suffix.lower()
    expected = ALLOWED_EXTENSIONS.get(extension)
    if expected is None:
        raise UploadRejected(
            f"Tệp {name} có đuôi {extension or '(không có)'} không được hỗ trợ; "
            "chỉ nhận DOCX, PDF, TXT, MD và HTML."
        )
    actual = _described(data)
    if expected == "docx":
        if data[:4] != b"PK\x03\x04" or "word/document.xml" not in (_zip_names(data) or set()):
            raise _mismatch(name, extension, expected, actual)
    elif expected == "pdf":
        if actual != "PDF":
            raise _mismatch(name, extension, expected, actual)
    else:
        text = None if actual else _decode_text(data)
        if text is None:
            if actual:
                raise _mismatch(name, extension, expected, actual)
            raise UploadRejected(
                f"Tệp {name} không phải chữ mã UTF-8 (có thể là mã cũ như TCVN3/VNI hoặc tệp "
                "nhị phân); hãy lưu lại tệp với mã hoá UTF-8."
            )
        if expected == "html" and not _HTML_RE.search(text[:20000]):
            raise _mismatch(name, extension, expected, None)
    return expected


@dataclass
class StagedUpload:
    """One uploaded file waiting in the preview, and what staff typed about it."""

    token: str
    folder: Path
    filename: str
    uploaded_by: str
    created: str  # ISO timestamp (UTC)
    fields: dict[str, str] = field(default_factory=dict)  # metadata from the form, non-empty only
    replace_id: str | None = None  # id of the document this upload becomes a new version of

    @property
    def path(self) -> Path:
        return self.folder / self.filename

    def save(self) -> None:
        """Write `staging.json` (after the fields were edited on the preview page)."""
        record = {k: v for k, v in asdict(self).items() if k not in ("token", "folder")}
        target = self.folder / STAGING_FILE
        temporary = target.with_suffix(".tmp")
        temporary.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
        temporary.replace(target)


def staging_root(data_dir: Path) -> Path:
    return data_dir / STAGING_DIR


def stage_upload(
    data_dir: Path,
    filename: str,
    data: bytes,
    *,
    uploaded_by: str,
    fields: dict[str, str],
    replace_id: str | None = None,
) -> StagedUpload:
    """Keep an accepted file and its form fields under a fresh token (see the module docstring)."""
    purge_stale(data_dir)
    token = secrets.token_urlsafe(18)
    folder = staging_root(data_dir) / token
    folder.mkdir(parents=True)
    staged = StagedUpload(
        token=token,
        folder=folder,
        filename=safe_filename(filename),
        uploaded_by=uploaded_by,
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        fields={k: v for k, v in fields.items() if v},
        replace_id=replace_id,
    )
    staged.path.write_bytes(data)
    staged.save()
    logger.info("Staged upload %s (%d bytes)", token, len(data))
    return staged


def load_staged(data_dir: Path, token: str) -> StagedUpload:
    """The staged upload with this token; raises `StagingNotFound`."""
    if not _TOKEN_RE.match(token or ""):
        raise StagingNotFound(token)
    folder = staging_root(data_dir) / token
    try:
        record: dict[str, Any] = json.loads((folder / STAGING_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise StagingNotFound(token) from error
    staged = StagedUpload(token=token, folder=folder, **record)
    if not staged.path.is_file():
        raise StagingNotFound(token)
    return staged


def discard(staged: StagedUpload) -> None:
    """Remove a staged upload (after publishing, or when staff cancel)."""
    shutil.rmtree(staged.folder, ignore_errors=True)


def purge_stale(data_dir: Path, max_age_seconds: float = STAGING_MAX_AGE_SECONDS) -> int:
    """Remove staging folders nobody published or cancelled; returns how many went."""
    root = staging_root(data_dir)
    if not root.is_dir():
        return 0
    cutoff = time.time() - max_age_seconds
    removed = 0
    for folder in root.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
