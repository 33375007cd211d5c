"""Fixtures for action tests: a domain, a dispatcher, a fake knowledge base."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher
from trackers import FakeKnowledgeBase, make_domain

import actions.answer
from actions.audience import Known
from retrieval.types import Answer


@pytest.fixture()
def domain() -> dict[str, Any]:
    return make_domain()


@pytest.fixture()
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture()
def use_kb(monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeKnowledgeBase]:
    """Install a fake knowledge base returning the given answer (or raising the given error),
    knowing the given schools."""

    def install(answer: Answer | Exception, schools: Known | None = None) -> FakeKnowledgeBase:
        fake = FakeKnowledgeBase(answer, schools)
        monkeypatch.setattr(actions.answer, "knowledge_base", lambda: fake)
        return fake

    return install
