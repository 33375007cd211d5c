"""Alembic environment: runs migrations for the URL given by `storage.db.upgrade`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import storage.kb_models  # noqa: F401  (registers the knowledge-base tables)
import storage.models  # noqa: F401  (registers the operations tables)
from storage.db import Base

target_metadata = Base.metadata


def run_migrations() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
