"""Print `.env.example` from the settings classes, so every setting is documented in one place.

    .venv/bin/python scripts/env_example.py > .env.example
"""

from __future__ import annotations

from pydantic_settings import BaseSettings

from admin.settings import AdminSettings
from connectors.platform_settings import MessengerSettings, WorkerSettings, ZaloSettings
from connectors.settings import AppSettings
from retrieval.settings import RetrievalSettings
from storage.settings import StorageSettings

SECTIONS: list[tuple[str, type[BaseSettings]]] = [
    ("Storage (SQL store, privacy)", StorageSettings),
    ("Knowledge base and search", RetrievalSettings),
    ("Web app, Rasa and Redis addresses", AppSettings),
    ("Facebook Messenger (enabled when its credentials are set)", MessengerSettings),
    ("Zalo Official Account (enabled when its credentials are set)", ZaloSettings),
    ("Inbound queue workers", WorkerSettings),
    ("Admin web (/admin)", AdminSettings),
]


def env_names(cls: type[BaseSettings]) -> list[tuple[str, str, str]]:
    """(variable name, default, description) of every field of a settings class."""
    prefix = cls.model_config.get("env_prefix", "")
    rows = []
    for name, field in cls.model_fields.items():
        alias = field.validation_alias
        choices = getattr(alias, "choices", None)
        env = str(choices[0]) if choices else f"{prefix}{name}".upper()
        default = field.default
        shown = "" if default is None or "secret" in name or "token" in name else str(default)
        if "path" in type(default).__name__.lower() or "/work/" in shown:
            shown = ""
        rows.append((env, shown, (field.description or "").replace("\n", " ")))
    return rows


def render() -> str:
    lines = ["# Every setting of the bot, with its default. Copy to .env and change what you need.",
             "# Empty values mean the built-in default (paths: folders inside the project)."]
    seen: set[str] = set()
    for title, cls in SECTIONS:
        lines += ["", f"# --- {title} ---"]
        for env, default, description in env_names(cls):
            if env in seen:
                continue
            seen.add(env)
            if description:
                lines.append(f"# {description}")
            # Unset values stay commented out: an empty string is not the same as "use the default".
            lines.append(f'{env}="{default}"' if default else f"# {env}=")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
