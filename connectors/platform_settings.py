"""Credentials and tuning of the Zalo OA and Messenger connectors and of the inbound worker.

A channel is enabled only when its credentials are set; a channel with SOME credentials set
and others missing is a configuration mistake and fails at start-up (`ValueError`), never at
the first message. Each class is reached through a cached getter so nothing reads the
environment at import time.
"""

from __future__ import annotations

import functools
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _check_complete(prefix: str, values: dict[str, str]) -> bool:
    """True when every credential is set, False when none is; raise when only some are."""
    missing = [name for name, value in values.items() if not value]
    if missing and len(missing) < len(values):
        names = ", ".join(f"{prefix}{name.upper()}" for name in missing)
        raise ValueError(f"{prefix.rstrip('_')} channel half-configured: set {names} or none")
    return not missing


class MessengerSettings(BaseSettings):
    """Facebook Messenger (prefix `MESSENGER_`)."""

    model_config = SettingsConfigDict(env_prefix="MESSENGER_", env_file=".env", extra="ignore")

    app_secret: str = Field(default="", description="App Secret; signs webhook bodies.")
    verify_token: str = Field(default="", description="Token echoed by the webhook check.")
    page_access_token: str = Field(default="", description="Page token for the Send API.")
    graph_version: str = Field(default="v21.0", description="Graph API version in send URLs.")
    graph_base_url: str = Field(
        default="https://graph.facebook.com", description="Graph API root (a fake in tests)."
    )
    window_hours: float = Field(default=24, description="Standard messaging window.")
    timeout_s: float = Field(default=10.0, description="Timeout of one Send API call.")

    @model_validator(mode="after")
    def _complete(self) -> MessengerSettings:
        self.enabled  # noqa: B018 - raises when half-configured
        return self

    @property
    def enabled(self) -> bool:
        return _check_complete(
            "MESSENGER_",
            {
                "app_secret": self.app_secret,
                "verify_token": self.verify_token,
                "page_access_token": self.page_access_token,
            },
        )


class ZaloSettings(BaseSettings):
    """Zalo Official Account (prefix `ZALO_`)."""

    model_config = SettingsConfigDict(env_prefix="ZALO_", env_file=".env", extra="ignore")

    app_id: str = Field(default="", description="Zalo app id (first signature term by default).")
    oa_secret_key: str = Field(default="", description="OA secret key; signs webhook bodies.")
    app_secret: str = Field(default="", description="App secret key; sent when refreshing.")
    access_token: str = Field(default="", description="Initial access token (then in Redis).")
    refresh_token: str = Field(default="", description="Initial refresh token (then in Redis).")
    oa_id: str = Field(
        default="", description="OA id; used when signature_first_term=oa_id (else from body)."
    )
    api_base_url: str = Field(default="https://openapi.zalo.me", description="Open API root.")
    oauth_base_url: str = Field(default="https://oauth.zaloapp.com", description="OAuth root.")
    signature_first_term: Literal["app_id", "oa_id"] = Field(
        default="app_id",
        description="First term of sha256(term + body + timestamp + secret); sources disagree.",
    )
    window_days: float = Field(default=7, description="Consultation reply window.")
    timeout_s: float = Field(default=10.0, description="Timeout of one Open API / OAuth call.")
    refresh_margin_s: float = Field(
        default=3600, description="Refresh the access token this long before it expires."
    )

    @model_validator(mode="after")
    def _complete(self) -> ZaloSettings:
        self.enabled  # noqa: B018 - raises when half-configured
        return self

    @property
    def enabled(self) -> bool:
        return _check_complete(
            "ZALO_",
            {
                "app_id": self.app_id,
                "oa_secret_key": self.oa_secret_key,
                "app_secret": self.app_secret,
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
            },
        )


class WorkerSettings(BaseSettings):
    """The inbound queue and its workers (prefix `WORKER_`)."""

    model_config = SettingsConfigDict(env_prefix="WORKER_", env_file=".env", extra="ignore")

    partitions: int = Field(default=8, ge=1, description="Inbound streams (users hashed onto).")
    max_partitions: int = Field(
        default=0, ge=0, description="Partitions one process may own (0 = as many as free)."
    )
    lease_ms: int = Field(default=15_000, ge=100, description="Partition lease lifetime.")
    claim_idle_ms: int = Field(
        default=30_000, ge=0, description="Reclaim entries idle this long (crashed consumer)."
    )
    dedup_ttl_hours: float = Field(default=48, description="How long a message id is kept.")
    rate_limit_per_minute: int = Field(default=20, ge=1, description="Messages per user/min.")
    rasa_retry_max_s: float = Field(default=30, description="Longest wait between Rasa retries.")
    rasa_give_up_s: float = Field(
        default=6 * 3600, description="Stop retrying a message Rasa could not answer after this."
    )
    send_attempts: int = Field(default=5, ge=1, description="Attempts on transient send errors.")
    send_backoff_s: float = Field(default=1.0, description="First send back-off (doubles).")

    @field_validator("dedup_ttl_hours")
    @classmethod
    def _at_least_two_days(cls, value: float) -> float:
        if value < 48:
            raise ValueError("WORKER_DEDUP_TTL_HOURS must be at least 48 (platform retries)")
        return value


@functools.lru_cache(maxsize=1)
def get_messenger_settings() -> MessengerSettings:
    return MessengerSettings()


@functools.lru_cache(maxsize=1)
def get_zalo_settings() -> ZaloSettings:
    return ZaloSettings()


@functools.lru_cache(maxsize=1)
def get_worker_settings() -> WorkerSettings:
    return WorkerSettings()
