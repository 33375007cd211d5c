"""The Alembic migrations build exactly the schema the SQLAlchemy models describe."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

import retrieval.kb_store  # noqa: F401  (registers the knowledge-base tables on Base)
import storage.kb_models  # noqa: F401
import storage.models  # noqa: F401
from storage.db import Base, upgrade


def test_migrated_schema_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []
