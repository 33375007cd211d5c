"""The search indexes on disk: built from SQL, updated incrementally, reloaded by running services.

Layout under `BOT_DATA_DIR/index/`:

    CURRENT              {"version": 7, "path": "v00000007", ...}   (replaced atomically)
    v00000007/           one complete, immutable version
        dense.faiss      FAISS ID map: chunk id -> embedding
        bm25/            BM25 over syllable tokens (accented + folded + bigrams)
        chunks.json      per chunk: doc id, section, text, tokens, fingerprint
        documents.json   per active document: the metadata search and citations need
        meta.json        version, embedding model, counts

`sync_index` compares the chunks of active documents in SQL with the previous version: only
new or changed chunks are embedded, gone ones are removed, BM25 is rebuilt from cached tokens,
and the new version is written to a fresh folder before CURRENT points to it.  A reader thus
always sees one consistent version.  `IndexWatcher` is what a running process holds: it looks at
CURRENT at most every `reload_interval_seconds` and swaps in a new version without a restart.
Versions are also announced on Redis when `RETRIEVAL_REDIS_URL` is set.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from sqlalchemy import select

from retrieval.bm25 import BM25Index, terms, tokenize
from retrieval.dense import DenseIndex
from retrieval.diacritics import DiacriticRestorer, everyday_phrases
from retrieval.errors import IndexFileError
from retrieval.schools import (
    LETTERHEAD_CHARS,
    School,
    school_label,
    school_names_in_text,
    schools_in_name,
    schools_in_text,
)
from retrieval.settings import RetrievalSettings, get_retrieval_settings

logger = logging.getLogger(__name__)

CURRENT_FILE = "CURRENT"
KEPT_VERSIONS = 3
REDIS_CHANNEL = "retrieval:index"
REDIS_VERSION_KEY = "retrieval:index:version"


class PassageEncoder(Protocol):
    """What indexing needs from `retrieval.embeddings.Embedder`."""

    @property
    def dimension(self) -> int: ...

    @property
    def model_id(self) -> str: ...

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray: ...


@dataclass
class ChunkRecord:
    """A chunk as search and answer composition see it."""

    id: int
    doc_id: str
    section: str | None
    text: str
    tokens: list[str]
    fingerprint: str


@dataclass
class DocumentRecord:
    """The metadata of an active document needed for filters, boosts and citations."""

    id: str
    title: str
    number: str | None = None
    issuer: str | None = None
    issued: str | None = None  # ISO dates
    valid_from: str | None = None
    valid_until: str | None = None
    kind: str = "document"
    school: str | None = None
    grade: str | None = None
    source_url: str | None = None
    questions: list[str] = field(default_factory=list)


@dataclass
class IndexSnapshot:
    """One loaded version of the indexes; never modified once published."""

    version: int
    model_id: str
    dense: DenseIndex
    bm25: BM25Index
    chunks: dict[int, ChunkRecord]
    documents: dict[str, DocumentRecord]
    _restorer: DiacriticRestorer | None = field(default=None, repr=False, compare=False)
    _document_terms: dict[str, frozenset[str]] = field(default_factory=dict, repr=False,
                                                       compare=False)
    _chunks_by_document: dict[str, list[ChunkRecord]] = field(default_factory=dict,
                                                              repr=False, compare=False)
    _schools: dict[str, frozenset[School]] | None = field(default=None, repr=False,
                                                          compare=False)
    _school_mentions: dict[str, frozenset[School]] = field(default_factory=dict, repr=False,
                                                           compare=False)
    _owned_schools: frozenset[School] = field(default=frozenset(), repr=False, compare=False)
    _school_labels: dict[School, str] = field(default_factory=dict, repr=False, compare=False)

    def document_terms(self, doc_id: str) -> frozenset[str]:
        """Every BM25 term of one document's chunks (computed once per document)."""
        cached = self._document_terms.get(doc_id)
        if cached is None:
            cached = frozenset(term for record in self._document_chunks(doc_id)
                               for term in terms(record.tokens, self.bm25.options))
            self._document_terms[doc_id] = cached
        return cached

    def _document_chunks(self, doc_id: str) -> list[ChunkRecord]:
        if not self._chunks_by_document:
            for record in self.chunks.values():
                self._chunks_by_document.setdefault(record.doc_id, []).append(record)
        return self._chunks_by_document.get(doc_id, [])

    def document_schools(self, doc_id: str) -> frozenset[School]:
        """The schools a document belongs to: named by its `school`, its issuer, its title or
        the letterhead (in capitals) opening its text (see retrieval.schools).  Mentions further
        on do not count: the fee FAQ names the primary school as an example, yet answers for
        every school."""
        return self._school_index().get(doc_id, frozenset())

    def school_mentions(self, doc_id: str, bare: bool = False) -> frozenset[School]:
        """Every school a document's text names anywhere (computed once per document); with
        `bare`, also a level and a name without "trường" ("giám khảo PT DTNT THPT An Giang")."""
        key = f"{doc_id}\0bare" if bare else doc_id
        cached = self._school_mentions.get(key)
        if cached is None:
            cached = frozenset().union(*(schools_in_text(record.text, bare=bare)
                                         for record in self._document_chunks(doc_id)))
            self._school_mentions[key] = cached
        return cached

    def owned_schools(self) -> frozenset[School]:
        """Every school some document belongs to."""
        self._school_index()
        return self._owned_schools

    def school_names(self) -> set[str]:
        """Folded proper names of the schools documents belong to ("hoa an", "hoa sen")."""
        return {name for _, name in self.owned_schools()}

    def school_labels(self) -> dict[School, str]:
        """The name to show for each school documents belong to: as staff wrote it in a
        document's `school` (the admin web filters by these), else its issuer, else as a title
        or letterhead writes it ("TRƯỜNG THPT UNG VĂN KHIÊM" -> "Trường THPT Ung Văn Khiêm")."""
        self._school_index()
        return self._school_labels

    def _school_index(self) -> dict[str, frozenset[School]]:
        if self._schools is None:
            schools: dict[str, frozenset[School]] = {}
            written: dict[School, str] = {}
            for document in sorted(self.documents.values(), key=lambda record: record.id):
                first = min(self._document_chunks(document.id), key=lambda record: record.id,
                            default=None)
                read = school_names_in_text(document.title)
                if first:
                    read = school_names_in_text(first.text[:LETTERHEAD_CHARS], letterhead=True
                                                ) | read
                found = set(read)
                for name in (document.school, document.issuer):
                    found |= schools_in_name(name) if name else set()
                for school, label in read.items():
                    written.setdefault(school, label)
                schools[document.id] = frozenset(found)
            self._owned_schools = frozenset().union(*schools.values())
            # the spelling most documents use first ("Trường THCS Hòa An" over "THCS Hòa An")
            schools_written = Counter(d.school for d in self.documents.values() if d.school)
            issuers = Counter(d.issuer for d in self.documents.values() if d.issuer)
            staff = [name for written_names in (schools_written, issuers) for name in
                     sorted(written_names, key=lambda name: (-written_names[name], name))]
            labels = {school: school_label(school, staff) or written.get(school)
                      for school in self._owned_schools}
            self._school_labels = {school: label for school, label in labels.items() if label}
            self._schools = schools
        return self._schools

    def restorer(self) -> DiacriticRestorer:
        """The diacritic restorer built from this version's tokens (built on first use)."""
        if self._restorer is None:
            self._restorer = DiacriticRestorer.from_token_lists(
                (record.tokens for record in self.chunks.values()), prior=everyday_phrases())
        return self._restorer


@dataclass
class SyncStats:
    """What one `sync_index` call did."""

    version: int
    changed: bool
    full: bool
    added: int  # chunks new to the index
    removed: int
    embedded: int  # of the added, those whose vector was computed (the rest were reused)
    kept: int
    chunks: int
    documents: int
    seconds: float


def index_dir(settings: RetrievalSettings | None = None) -> Path:
    return (settings or get_retrieval_settings()).data_dir / "index"


def database_url(settings: RetrievalSettings) -> str:
    """The SQL store of this knowledge base: STORAGE_DATABASE_URL, else its SQLite file."""
    from storage.settings import get_storage_settings

    configured = get_storage_settings().database_url
    return configured or f"sqlite:///{settings.data_dir / 'bot.sqlite3'}"


def read_current(directory: Path) -> dict[str, Any] | None:
    """The CURRENT pointer of an index folder, None when nothing was built yet."""
    try:
        return json.loads((directory / CURRENT_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise IndexFileError(f"Unreadable {directory / CURRENT_FILE}: {error}") from error


def load_snapshot(directory: Path) -> IndexSnapshot | None:
    """Load the version CURRENT points to, or None when no index was built yet."""
    current = read_current(directory)
    if current is None:
        return None
    return load_version(directory / current["path"])


def load_version(folder: Path) -> IndexSnapshot:
    """Load one version folder."""
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        raw_chunks = json.loads((folder / "chunks.json").read_text(encoding="utf-8"))
        raw_documents = json.loads((folder / "documents.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise IndexFileError(f"Cannot read index version {folder}: {error}") from error
    chunks = {}
    for raw in raw_chunks:
        raw["tokens"] = raw["tokens"].split()
        chunks[raw["id"]] = ChunkRecord(**raw)
    documents = {raw["id"]: DocumentRecord(**raw) for raw in raw_documents}
    return IndexSnapshot(
        version=meta["version"],
        model_id=meta["model_id"],
        dense=DenseIndex.load(folder / "dense.faiss"),
        bm25=BM25Index.load(folder / "bm25"),
        chunks=chunks,
        documents=documents,
    )


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _fingerprint(doc_id: str, search_text: str) -> str:
    return hashlib.sha1(f"{doc_id}\x00{search_text}".encode()).hexdigest()[:20]


def read_sql(url: str) -> tuple[dict[str, DocumentRecord], list[tuple[ChunkRecord, str]]]:
    """Active documents and their chunks (with the text to index) from the SQL store."""
    from storage.db import session_scope
    from storage.kb_models import Chunk, Document

    documents: dict[str, DocumentRecord] = {}
    chunks: list[tuple[ChunkRecord, str]] = []
    with session_scope(url) as session:
        for doc in session.scalars(select(Document).where(Document.status == "active")):
            documents[doc.id] = DocumentRecord(
                id=doc.id, title=doc.title, number=doc.number, issuer=doc.issuer,
                issued=_iso(doc.issued), valid_from=_iso(doc.valid_from),
                valid_until=_iso(doc.valid_until), kind=doc.kind, school=doc.school,
                grade=doc.grade, source_url=doc.source_url, questions=list(doc.questions or []),
            )
        rows = session.execute(
            select(Chunk.id, Chunk.doc_id, Chunk.section, Chunk.text, Chunk.search_text)
            .join(Document, Document.id == Chunk.doc_id)
            .where(Document.status == "active")
            .order_by(Chunk.id)
        )
        for chunk_id, doc_id, section, text, search_text in rows:
            indexed = search_text or text
            record = ChunkRecord(chunk_id, doc_id, section, text, [],
                                 _fingerprint(doc_id, indexed))
            chunks.append((record, indexed))
    return documents, chunks


@contextlib.contextmanager
def _writer_lock(directory: Path) -> Iterator[None]:
    """One writer at a time per index folder (CLI, admin web and workers may all sync)."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_json(path: Path, value: Any) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, path)


def write_version(directory: Path, snapshot: IndexSnapshot) -> None:
    """Write a complete version folder, then point CURRENT at it and prune old versions."""
    name = f"v{snapshot.version:08d}"
    folder = directory / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    snapshot.dense.save(folder / "dense.faiss")
    snapshot.bm25.save(folder / "bm25")
    chunks = [
        {**asdict(record), "tokens": " ".join(record.tokens)}
        for record in snapshot.chunks.values()
    ]
    _write_json(folder / "chunks.json", chunks)
    _write_json(folder / "documents.json", [asdict(d) for d in snapshot.documents.values()])
    meta = {"version": snapshot.version, "model_id": snapshot.model_id,
            "dimension": snapshot.dense.dimension, "chunks": len(snapshot.chunks),
            "documents": len(snapshot.documents), "created": time.time()}
    _write_json(folder / "meta.json", meta)
    _write_json(directory / CURRENT_FILE, {"version": snapshot.version, "path": name,
                                           "model_id": snapshot.model_id})
    versions = sorted(p for p in directory.glob("v*") if p.is_dir() and p.name != name)
    for old in versions[: max(0, len(versions) - (KEPT_VERSIONS - 1))]:
        shutil.rmtree(old, ignore_errors=True)


def _publish(settings: RetrievalSettings, version: int) -> None:
    """Announce a new version on Redis (best effort: the CURRENT file is what readers trust)."""
    if not settings.redis_url:
        return
    import redis

    try:
        client = redis.Redis.from_url(settings.redis_url)
        client.set(REDIS_VERSION_KEY, version)
        client.publish(REDIS_CHANNEL, json.dumps({"version": version}))
        client.close()
    except redis.RedisError as error:
        logger.warning("Index version %s not announced on Redis: %s", version, error)


def sync_index(
    settings: RetrievalSettings | None = None,
    full: bool = False,
    *,
    embedder: PassageEncoder | None = None,
) -> SyncStats:
    """Bring the indexes in line with the active documents in SQL (see the module docstring)."""
    settings = settings or get_retrieval_settings()
    started = time.perf_counter()
    directory = index_dir(settings)
    with _writer_lock(directory):
        documents, rows = read_sql(database_url(settings))
        if embedder is None:
            from retrieval.embeddings import get_embedder

            embedder = get_embedder()
        previous = None if full else _previous(directory, embedder.model_id)
        full = previous is None
        old_chunks = previous.chunks if previous else {}
        kept = {
            record.id for record, _ in rows
            if record.id in old_chunks and old_chunks[record.id].fingerprint == record.fingerprint
        }
        gone = [chunk_id for chunk_id in old_chunks if chunk_id not in kept]
        fresh = [(record, text) for record, text in rows if record.id not in kept]
        if previous and not gone and not fresh and previous.documents == documents:
            return SyncStats(previous.version, False, False, 0, 0, 0, len(kept), len(kept),
                             len(documents), time.perf_counter() - started)

        dense = previous.dense if previous else DenseIndex(embedder.dimension)
        # A re-ingested document gets new chunk ids; its unchanged passages keep their vectors.
        reusable = {old_chunks[i].fingerprint: dense.reconstruct(i) for i in gone}
        dense.remove(np.asarray(gone, dtype=np.int64))
        reused = [(record, reusable[record.fingerprint]) for record, _ in fresh
                  if record.fingerprint in reusable]
        if reused:
            dense.add([record.id for record, _ in reused], np.stack([v for _, v in reused]))
        to_embed = [(record, text) for record, text in fresh
                    if record.fingerprint not in reusable]
        if to_embed:
            vectors = embedder.encode_passages([text for _, text in to_embed],
                                               show_progress=len(to_embed) > 200)
            dense.add([record.id for record, _ in to_embed], vectors)
        chunks: dict[int, ChunkRecord] = {}
        for record, text in rows:
            if record.id in kept:
                record.tokens = old_chunks[record.id].tokens
            else:
                record.tokens = tokenize(text)
            chunks[record.id] = record
        bm25 = BM25Index()
        bm25.build(list(chunks), [record.tokens for record in chunks.values()])
        current = read_current(directory)
        version = (current["version"] if current else 0) + 1
        snapshot = IndexSnapshot(version, embedder.model_id, dense, bm25, chunks, documents)
        write_version(directory, snapshot)
    _publish(settings, version)
    stats = SyncStats(version, True, full, len(fresh), len(gone), len(to_embed), len(kept),
                      len(chunks), len(documents), time.perf_counter() - started)
    logger.info("Index version %s: %s", version, stats)
    return stats


def _previous(directory: Path, model_id: str) -> IndexSnapshot | None:
    """The current version if it can be updated in place (same embedding model, readable)."""
    try:
        snapshot = load_snapshot(directory)
    except IndexFileError as error:
        logger.warning("Rebuilding the index from SQL: %s", error)
        return None
    if snapshot is not None and snapshot.model_id != model_id:
        logger.info("Embedding model changed (%s -> %s): full rebuild", snapshot.model_id,
                    model_id)
        return None
    return snapshot


class IndexWatcher:
    """Holds the loaded index version of a running process and swaps in newer ones."""

    def __init__(self, settings: RetrievalSettings | None = None) -> None:
        self.settings = settings or get_retrieval_settings()
        self.directory = index_dir(self.settings)
        self._snapshot: IndexSnapshot | None = None
        self._lock = threading.Lock()
        self._checked_at = float("-inf")
        self._seen: tuple[int, int] | None = None  # (mtime_ns, size) of CURRENT

    @property
    def snapshot(self) -> IndexSnapshot | None:
        """The loaded version without checking for a newer one."""
        return self._snapshot

    def current(self) -> IndexSnapshot | None:
        """The loaded version, after looking for a newer one if the reload interval passed."""
        if time.monotonic() - self._checked_at >= self.settings.reload_interval_seconds:
            self.refresh()
        return self._snapshot

    def refresh(self) -> bool:
        """Load the version CURRENT points to if it is not the loaded one; True if swapped."""
        with self._lock:
            self._checked_at = time.monotonic()
            try:
                stat = os.stat(self.directory / CURRENT_FILE)
            except FileNotFoundError:
                return False
            seen = (stat.st_mtime_ns, stat.st_size)
            if seen == self._seen:
                return False
            try:
                current = read_current(self.directory)
                if current is None or (
                    self._snapshot and current["version"] == self._snapshot.version
                ):
                    self._seen = seen
                    return False
                snapshot = load_version(self.directory / current["path"])
                snapshot.restorer()  # built before the swap, not on a parent's question
            except IndexFileError as error:  # a writer is mid-way: keep serving, retry later
                logger.warning("Index reload postponed: %s", error)
                return False
            self._snapshot = snapshot
            self._seen = seen
            logger.info("Loaded index version %s (%s chunks)", snapshot.version,
                        len(snapshot.chunks))
            return True
