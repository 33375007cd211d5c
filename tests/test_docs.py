"""The documentation keeps up with the code: every setting is in .env.example, README commands exist."""

from __future__ import annotations

import re
from pathlib import Path

from script_modules import load_script

ROOT = Path(__file__).resolve().parent.parent


def _load_env_example_script():  # type: ignore[no-untyped-def]
    return load_script("env_example")


def test_env_example_lists_every_setting_and_is_current() -> None:
    script = _load_env_example_script()
    documented = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert documented == script.render(), "run: .venv/bin/python scripts/env_example.py > .env.example"
    for _title, cls in script.SECTIONS:
        for env, _default, description in script.env_names(cls):
            assert re.search(rf"^#? ?{env}=", documented, re.M), env
            assert description, f"{cls.__name__}: {env} has no description"


def test_readme_opens_with_the_run_and_test_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```")[1]
    assert "make run" in first_block and "make test" in first_block


def test_every_make_target_in_the_readme_exists() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))
    for target in set(re.findall(r"make ([a-z][a-z-]*)", readme)):
        assert target in targets, target


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
