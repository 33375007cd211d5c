"""Where the SQL store and the knowledge-base files live.

`BOT_DATA_DIR` (exactly this name, no prefix) is the root of one knowledge base: the SQLite
file and the search indexes sit under it, so a second knowledge base is just another folder.
"""

from __future__ import annotations

import functools
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class StorageSettings(BaseSettings):
    """Settings of the SQL store (prefix `STORAGE_`, except `BOT_DATA_DIR`)."""

    model_config = SettingsConfigDict(env_prefix="STORAGE_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=PROJECT_ROOT / "var" / "data",
        validation_alias=AliasChoices("BOT_DATA_DIR", "STORAGE_DATA_DIR"),
        description="Folder holding the SQLite file and the search indexes of one knowledge base.",
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means a SQLite file `bot.sqlite3` in the data folder.",
    )
    hash_salt: str = Field(
        default="edubot-demo-salt",
        description="Salt for hashing platform user ids in logs and analytics; set it in production.",
    )

    @property
    def url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'bot.sqlite3'}"


@functools.lru_cache(maxsize=1)
def get_storage_settings() -> StorageSettings:
    return StorageSettings()
