"""Settings of the admin web (prefix `ADMIN_`).

The key that signs the admin session cookie, how long a login lasts, the login rate limit and
the knobs of the pages built on the admin core (uploads, expiring panel, clustering, trends).
Nothing is read at import time: `get_admin_settings()` builds them on first use and
`admin.install(app, settings)` takes them explicitly so tests pass their own.
"""

from __future__ import annotations

import functools
import logging
import secrets
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.settings import MIN_PRODUCTION_SECRET_CHARS, PLACEHOLDER_SECRETS

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=1)
def _process_secret() -> str:
    """A random key for this process only (outside production): logins end at restart."""
    logger.warning(
        "ADMIN_SECRET_KEY is not set: using a random key for this process "
        "(admin logins end when the app restarts; set ADMIN_SECRET_KEY to keep them)"
    )
    return secrets.token_urlsafe(48)


class AdminSettings(BaseSettings):
    """Settings of the admin web (environment variables `ADMIN_*`, or `.env`)."""

    model_config = SettingsConfigDict(env_prefix="ADMIN_", env_file=".env", extra="ignore")

    app_env: Literal["demo", "dev", "production"] = Field(
        default="demo",
        validation_alias=AliasChoices("APP_ENV", "ADMIN_APP_ENV"),
        description="The app's environment (APP_ENV); production refuses a missing secret key.",
    )
    secret_key: str = Field(
        default="",
        description="Signs the admin session cookie. Required (≥ 32 characters) in production; "
        "empty in demo/dev means a random key per process (logins end at restart).",
    )
    session_hours: float = Field(default=12.0, gt=0, description="How long an admin login lasts.")
    cookie_secure: Literal["auto", "true", "false"] = Field(
        default="auto",
        description="Mark the admin cookie Secure: auto = when the request arrived over https.",
    )
    login_attempts: int = Field(
        default=5, gt=0, description="Failed logins allowed per username and address in the window."
    )
    login_window_minutes: int = Field(
        default=15, gt=0, description="Window of the login rate limit (minutes)."
    )
    upload_max_mb: int = Field(default=20, gt=0, description="Largest document upload (MB).")
    expiring_days: int = Field(
        default=14, gt=0, description="Documents valid until within this many days are 'expiring'."
    )
    cluster_threshold: float = Field(
        default=0.89, gt=0, le=1,
        description="Average cosine similarity (e5 query vectors) at which unanswered questions "
        "form one group; measured range 0.88-0.90 (see admin/clustering.py).",
    )
    trend_min_count: int = Field(
        default=5, gt=0, description="Smallest count of a topic today that can raise a trend alert."
    )
    trend_factor: float = Field(
        default=3.0, gt=1, description="Today's count must exceed the baseline by this factor."
    )

    @model_validator(mode="after")
    def _check_secret_key(self) -> AdminSettings:
        key = self.secret_key.strip()
        if self.app_env == "production":
            if key.lower() in PLACEHOLDER_SECRETS or len(key) < MIN_PRODUCTION_SECRET_CHARS:
                raise ValueError(
                    "ADMIN_SECRET_KEY must be set to a random value of at least "
                    f"{MIN_PRODUCTION_SECRET_CHARS} characters when APP_ENV=production "
                    "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')"
                )
        elif not key:
            self.secret_key = _process_secret()
        return self


@functools.lru_cache(maxsize=1)
def get_admin_settings() -> AdminSettings:
    return AdminSettings()
