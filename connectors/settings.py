"""Settings of the running bot's web application (prefix `APP_`).

Where the app listens, where Rasa, the action server and Redis are, and the key that signs the
web-chat session cookie. Nothing here is read at import time: `get_app_settings()` builds the
settings on first use, and `create_app(settings)` takes them explicitly so tests pass their own.
"""

from __future__ import annotations

import functools
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Used only outside production, so that a demo needs no configuration and web-chat sessions
# survive a restart of the app. Production refuses it (see `AppSettings._check_secret_key`).
DEV_SECRET_KEY = "edubot-dev-secret-key-not-for-production"
PLACEHOLDER_SECRETS = frozenset(
    {"", DEV_SECRET_KEY, "changeme", "change-me", "change_me", "changethis", "secret", "dev",
     "test", "password", "xxx", "todo"}
)
MIN_PRODUCTION_SECRET_CHARS = 32
_ORIGIN_RE = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")


class AppSettings(BaseSettings):
    """Settings of `connectors.app` (environment variables `APP_*`, or `.env`)."""

    model_config = SettingsConfigDict(env_prefix="APP_", env_file=".env", extra="ignore")

    env: Literal["demo", "dev", "production"] = Field(
        default="demo",
        description="demo/dev run without secrets (a fixed development key signs cookies); "
        "production refuses empty or placeholder secrets.",
    )
    host: str = Field(default="127.0.0.1", description="Interface the app listens on.")
    port: int = Field(default=8000, description="Port the app listens on.")
    rasa_url: str = Field(
        default="http://127.0.0.1:5005", description="Base URL of the Rasa server (REST channel)."
    )
    rasa_token: str = Field(
        default="",
        description="Token of Rasa's HTTP API (`rasa run --auth-token`), sent with /status. "
        "`make run` makes a new one at each start; set it only when you start Rasa yourself.",
    )
    action_server_url: str = Field(
        default="http://127.0.0.1:5055", description="Base URL of the action server (for /health)."
    )
    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        description="Redis used by the app (and, same host/port/db, by Rasa's tracker store).",
    )
    secret_key: str = Field(
        default="",
        description="Signs the web-chat session cookie. Required (≥ 32 characters) in production; "
        "empty in demo/dev means a fixed development key.",
    )
    rasa_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Longest wait for Rasa's reply to one message."
    )
    health_timeout_seconds: float = Field(
        default=3.0, gt=0, description="Longest wait for each dependency in GET /health."
    )
    public_base_url: str = Field(
        default="",
        description="Public URL of the app (e.g. https://chat.truong.edu.vn); https marks the "
        "session cookie Secure. Empty: the cookie is sent over plain http too (local demo).",
    )
    max_message_chars: int = Field(
        default=2000, gt=0, description="Longest web-chat message a resident may send."
    )
    max_body_kb: int = Field(
        default=1024, gt=0, description="Largest request body outside the admin web (webhooks, "
        "web chat), in KB; larger ones get 413 before they are read. Admin uploads have "
        "ADMIN_UPLOAD_MAX_MB."
    )
    session_max_age_days: int = Field(
        default=30, gt=0, description="How long the web-chat session cookie lives."
    )

    webchat_wait_seconds: float = Field(
        default=8.0, ge=0, description="How long POST /api/chat waits for the bot's replies "
        "before answering `pending` (the page then long-polls GET /api/chat/replies)."
    )
    webchat_poll_seconds: float = Field(
        default=20.0, gt=0, le=55, description="How long one GET /api/chat/replies long-poll "
        "waits for a new reply."
    )
    webchat_session_hours: float = Field(
        default=168, gt=0, description="How long a silent web-chat session stays known (staff "
        "answers pushed from the admin web reach only known sessions)."
    )
    webchat_frame_ancestors: str = Field(
        default="", description="Websites allowed to embed the web chat in an iframe (CSP "
        "frame-ancestors), space- or comma-separated origins, e.g. "
        "'https://thcs-abc.edu.vn https://xa-abc.gov.vn'. Empty: only this app itself."
    )

    @field_validator("webchat_frame_ancestors")
    @classmethod
    def _origins(cls, value: str) -> str:
        origins = [o.rstrip("/") for o in value.replace(",", " ").split()]
        for origin in origins:
            if not _ORIGIN_RE.match(origin):
                raise ValueError(f"APP_WEBCHAT_FRAME_ANCESTORS: {origin!r} is not an origin "
                                 "like https://truong.edu.vn")
        return " ".join(origins)

    @property
    def frame_ancestors(self) -> list[str]:
        return self.webchat_frame_ancestors.split()

    @model_validator(mode="after")
    def _check_secret_key(self) -> AppSettings:
        if self.env == "production":
            key = self.secret_key.strip()
            if key.lower() in PLACEHOLDER_SECRETS or len(key) < MIN_PRODUCTION_SECRET_CHARS:
                raise ValueError(
                    "APP_SECRET_KEY must be set to a random value of at least "
                    f"{MIN_PRODUCTION_SECRET_CHARS} characters when APP_ENV=production "
                    "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')"
                )
        elif not self.secret_key:
            self.secret_key = DEV_SECRET_KEY
        return self

    @property
    def secure_cookies(self) -> bool:
        """Mark cookies Secure when the app is served over https."""
        return self.public_base_url.lower().startswith("https://")


@functools.lru_cache(maxsize=1)
def get_app_settings() -> AppSettings:
    return AppSettings()
