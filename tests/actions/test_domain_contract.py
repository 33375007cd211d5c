"""The action server and the Rasa domain agree on action, response and slot names.

Every custom action in the domain is registered by `--actions actions`, every registered action
is in the domain, and every response or slot an action names exists in `bot/domain/*.yml`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk.executor import ActionExecutor

from actions.tickets import FORM_SLOTS

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_DIR = ROOT / "bot" / "domain"
ACTION_SOURCES = sorted((ROOT / "actions").glob("*.py"))
BUILT_IN_SLOTS = {"requested_slot"}


def _domain() -> dict[str, Any]:
    merged: dict[str, Any] = {"actions": [], "responses": {}, "slots": {}, "forms": {}}
    for path in sorted(DOMAIN_DIR.glob("*.yml")):
        part = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        merged["actions"] += part.get("actions") or []
        for key in ("responses", "slots", "forms"):
            merged[key].update(part.get(key) or {})
    return merged


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    if not list(DOMAIN_DIR.glob("*.yml")):
        pytest.skip("no domain files yet")
    return _domain()


def _named_in_actions(pattern: str) -> set[str]:
    found: set[str] = set()
    for path in ACTION_SOURCES:
        found |= set(re.findall(pattern, path.read_text(encoding="utf-8")))
    return found


def test_registered_actions_are_exactly_the_domain_custom_actions(domain: dict[str, Any]) -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    registered = {
        name for name, run in executor.actions.items()
        if type(run.__self__).__module__.startswith("actions.")
    }
    custom = {a for a in domain["actions"] if a.startswith(("action_", "validate_"))}
    assert registered == custom


def test_every_response_the_actions_use_is_in_the_domain(domain: dict[str, Any]) -> None:
    used = _named_in_actions(r"\"(utter_[a-z_]+)\"")
    assert used, "the actions name their responses"
    assert sorted(used - set(domain["responses"])) == []


def test_every_slot_the_actions_use_is_in_the_domain(domain: dict[str, Any]) -> None:
    used = _named_in_actions(r"(?:SlotSet\(|get_slot\(|message_slot = )\"([a-z_]+)\"")
    used |= set(FORM_SLOTS)
    assert {"last_question_id", "pending_question", "school", "contact"} <= used
    assert sorted(used - set(domain["slots"]) - BUILT_IN_SLOTS) == []


def test_forms_ask_for_the_slots_the_validators_check(domain: dict[str, Any]) -> None:
    from actions.forms import ValidateFeedbackForm, ValidateHumanForm, ValidateMisinformationForm

    for action in (ValidateFeedbackForm, ValidateHumanForm, ValidateMisinformationForm):
        form = action().form_name()
        assert domain["forms"][form]["required_slots"] == [action.message_slot, "contact"]


def _steps(node: Any) -> list[dict[str, Any]]:
    """Every step of rules and stories, "or" branches included."""
    found: list[dict[str, Any]] = []
    for step in node or []:
        found.append(step)
        found += _steps(step.get("or")) if isinstance(step, dict) else []
    return found


def test_rules_and_stories_parse_and_name_only_actions_the_domain_has(
    domain: dict[str, Any]
) -> None:
    known = (set(domain["actions"]) | set(domain["responses"]) | set(domain["forms"])
             | {"action_listen", "action_restart", "action_deactivate_loop"})
    files = [*sorted((ROOT / "data").glob("**/*.yml")), *sorted((ROOT / "tests" / "stories").glob("*.yml"))]
    named = set()
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}  # a YAML error fails here
        for kind in ("rules", "stories"):
            for item in data.get(kind) or []:
                named |= {step["action"] for step in _steps(item.get("steps"))
                          if isinstance(step, dict) and "action" in step}
    assert "action_off_topic" in named and "action_stray_reply" in named
    assert named <= known, sorted(named - known)
