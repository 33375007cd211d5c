"""Fixtures for action tests: a domain, a dispatcher, a fake knowledge base."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher
from trackers import FakeKnowledgeBase, make_domain

import actions.answer
from retrieval.types import Answer


@pytest.fixture()
def domain() -> dict[str, Any]:
    return make_domain()


@pytest.fixture()
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture()
def use_kb(monkeypatch: pytest.MonkeyPatch) -> Callable[[Answer | Exception], FakeKnowledgeBase]:
    """Install a fake knowledge base returning the given answer (or raising the given error)."""

    def install(answer: Answer | Exception) -> FakeKnowledgeBase:
        fake = FakeKnowledgeBase(answer)
        monkeypatch.setattr(actions.answer, "knowledge_base", lambda: fake)
        return fake

    return install
