"""Loading `scripts/*.py` (not a package) as modules in tests, each once per session."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def load_script(stem: str, module_name: str | None = None) -> ModuleType:
    """`scripts/<stem>.py` as a module registered under `module_name` (default `edubot_<stem>`)."""
    name = module_name or f"edubot_{stem}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{stem}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
