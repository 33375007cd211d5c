"""Publishing knowledge-base changes made in the admin web to the search indexes.

Every page that changes what the bot may answer from (a document, an announcement, an FAQ
entry, an answered group of questions) stores the change in SQL and then awaits
`refresh_index()`.  That runs `retrieval.index.sync_index` in a worker thread, so the event
loop keeps serving other staff, and one sync at a time in this process (the index also takes
its own file lock against `bot kb add` in another process).  The running action server watches
the index folder (`retrieval.index.IndexWatcher`) and answers from the new version within
seconds; Rasa is not retrained.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from retrieval.errors import RetrievalError
from retrieval.ingest import sync_search_index
from retrieval.settings import RetrievalSettings, get_retrieval_settings

logger = logging.getLogger(__name__)

# A thread lock rather than an asyncio.Lock: it is held inside the worker thread, so it is not
# tied to one event loop and also serialises callers from other threads.
_sync_lock = threading.Lock()
FAILED_PREFIX = "Đã lưu thay đổi"  # ... "nhưng chưa cập nhật được chỉ mục": see refresh_failed


def refresh_failed(note: str) -> bool:
    """True when `note` (from `refresh_index`) says the index could not be updated."""
    return note.startswith(FAILED_PREFIX)


def _sync(settings: RetrievalSettings) -> str:
    with _sync_lock:
        return sync_search_index(settings)


async def refresh_index(settings: RetrievalSettings | None = None) -> str:
    """Bring the search indexes up to date with SQL; return a Vietnamese note for staff.

    Never raises for an index problem: the change is already saved in SQL, so the note says
    the bot does not use it yet and how to fix it (`bot kb reindex`).
    """
    settings = settings or get_retrieval_settings()
    try:
        return await asyncio.to_thread(_sync, settings)
    except (RetrievalError, OSError) as error:
        logger.warning("Index refresh failed: %s", error)
        return FAILED_PREFIX + (
            " nhưng chưa cập nhật được chỉ mục tìm kiếm, nên bot chưa dùng được "
            f"thay đổi này: {error} Hãy báo quản trị viên chạy lệnh `bot kb reindex`."
        )
