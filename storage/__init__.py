"""SQL storage: documents and chunks, the conversation log, feedback, tickets, ratings, users.

SQLAlchemy 2 models with Alembic migrations; SQLite by default (one file in `BOT_DATA_DIR`),
PostgreSQL by URL.  Nothing here connects at import time: call `storage.db.get_engine()`.
"""
