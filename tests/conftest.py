"""Fixtures shared by the whole test tree."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import retrieval.settings
import storage.db


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh, empty knowledge-base folder (`BOT_DATA_DIR`) with its own SQLite store."""
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path))
    storage.db.reset_caches()
    retrieval.settings.get_retrieval_settings.cache_clear()
    yield tmp_path
    storage.db.reset_caches()
    retrieval.settings.get_retrieval_settings.cache_clear()
