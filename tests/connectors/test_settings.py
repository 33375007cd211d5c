"""AppSettings: defaults, the APP_ prefix, and the refusal of placeholder secrets in production."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from connectors.settings import DEV_SECRET_KEY, AppSettings, get_app_settings


def test_defaults_run_a_local_demo_without_configuration() -> None:
    settings = AppSettings(_env_file=None)
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.rasa_url == "http://127.0.0.1:5005"
    assert settings.action_server_url == "http://127.0.0.1:5055"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.env == "demo"
    assert settings.secret_key == DEV_SECRET_KEY
    assert settings.secure_cookies is False


def test_environment_variables_use_the_app_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_PORT", "8123")
    monkeypatch.setenv("APP_RASA_URL", "http://10.0.0.2:5005")
    monkeypatch.setenv("APP_PUBLIC_BASE_URL", "https://chat.xa.gov.vn")
    get_app_settings.cache_clear()
    try:
        settings = get_app_settings()
        assert settings.port == 8123
        assert settings.rasa_url == "http://10.0.0.2:5005"
        assert settings.secure_cookies is True
        assert get_app_settings() is settings
    finally:
        get_app_settings.cache_clear()


@pytest.mark.parametrize("secret", ["", "changeme", DEV_SECRET_KEY, "short-but-not-placeholder"])
def test_production_refuses_missing_placeholder_or_short_secrets(secret: str) -> None:
    with pytest.raises(ValidationError, match="APP_SECRET_KEY"):
        AppSettings(env="production", secret_key=secret, _env_file=None)


def test_production_accepts_a_real_secret_and_keeps_it() -> None:
    secret = "k3J9-vQ2mZ8xL0pR7tY4wE1uI6oA5sD_fG"
    settings = AppSettings(env="production", secret_key=secret, _env_file=None)
    assert settings.secret_key == secret
