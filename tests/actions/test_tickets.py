"""Submitting the ticket forms: the stored ticket, the reference code told to the parent."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from trackers import make_tracker, responses

import actions.tickets
from actions.tickets import (
    ActionResetFormSlots,
    ActionSubmitFeedback,
    ActionSubmitHuman,
    ActionSubmitMisinformation,
)
from storage.db import session_scope
from storage.models import Ticket
from storage.privacy import hash_user_id
from storage.settings import get_storage_settings

RESET = [SlotSet(slot, None) for slot in
         ("feedback_message", "misinformation_message", "human_message", "contact")]


def _tickets() -> list[Ticket]:
    with session_scope() as session:
        return list(session.scalars(select(Ticket).order_by(Ticket.id)))


@pytest.mark.parametrize(("action", "slot", "kind", "prefix", "label", "urgent"), [
    (ActionSubmitFeedback, "feedback_message", "feedback", "GY", "góp ý", False),
    (ActionSubmitMisinformation, "misinformation_message", "misinformation", "TS",
     "báo tin sai", True),
    (ActionSubmitHuman, "human_message", "human", "CB", "yêu cầu gặp cán bộ", False),
])
async def test_submit_stores_the_ticket_and_tells_its_reference(
    data_dir: Path, action: Any, slot: str, kind: str, prefix: str, label: str, urgent: bool,
) -> None:
    message = "Xe đưa đón đến muộn, cô chủ nhiệm số 0987654321 không nghe máy"
    tracker = make_tracker(
        text="0912 345 678", sender_id="zalo:4412980012",
        slots={slot: message, "contact": "0912 345 678", "school": "Trường THCS Lê Lợi"},
    )
    dispatcher = CollectingDispatcher()
    events = await action().run(dispatcher, tracker, {})

    [ticket] = _tickets()
    assert re.fullmatch(rf"{prefix}-[2-9A-HJ-NP-Z]{{6}}", ticket.reference)
    assert ticket.kind == kind and ticket.urgent is urgent
    assert ticket.channel == "zalo" and ticket.recipient == "4412980012"
    assert ticket.user_hash == hash_user_id("4412980012", get_storage_settings().hash_salt)
    assert "0987654321" not in ticket.message and "[số điện thoại]" in ticket.message
    assert ticket.contact == "0912 345 678"  # given on purpose, kept for the reply
    assert ticket.school == "Trường THCS Lê Lợi" and ticket.status == "new"

    [reply] = dispatcher.messages
    assert reply["response"] == "utter_ticket_received"
    assert reply["reference"] == ticket.reference and reply["kind_label"] == label
    assert events[:4] == RESET


async def test_human_ticket_clears_the_pending_question(data_dir: Path) -> None:
    tracker = make_tracker(slots={"human_message": "lịch nghỉ tết năm nay",
                                  "pending_question": "lịch nghỉ tết năm nay", "contact": ""})
    events = await ActionSubmitHuman().run(CollectingDispatcher(), tracker, {})
    assert events == [*RESET, SlotSet("pending_question", None)]
    assert _tickets()[0].contact == ""


async def test_references_differ_between_tickets(data_dir: Path) -> None:
    for _ in range(5):
        await ActionSubmitFeedback().run(CollectingDispatcher(), make_tracker(
            slots={"feedback_message": "Đề nghị thêm mái che nhà xe"}), {})
    assert len({ticket.reference for ticket in _tickets()}) == 5


async def test_failed_store_asks_the_parent_to_try_again(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("INSERT INTO tickets", {}, Exception("disk I/O error"))

    monkeypatch.setattr(actions.tickets, "create_ticket", broken)
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"human_message": "Cần gặp cô hiệu trưởng",
                                  "pending_question": "Cần gặp cô hiệu trưởng"})
    events = await ActionSubmitHuman().run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_ticket_failed"]
    assert events == RESET  # the pending question stays for another try


async def test_submit_without_a_message_does_not_store_an_empty_ticket(data_dir: Path) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitFeedback().run(dispatcher, make_tracker(), {})
    assert responses(dispatcher) == ["utter_ticket_failed"] and events == RESET
    assert _tickets() == []


async def test_reset_form_slots_after_a_cancelled_form() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="hủy", intent="cancel", slots={"feedback_message": "abcdef"})
    assert await ActionResetFormSlots().run(dispatcher, tracker, {}) == RESET
    assert dispatcher.messages == []


@pytest.mark.parametrize(("message", "category"), [
    ("Học phí lớp 6 năm nay thu cao quá", "hoc_phi"),
    ("con bi ban bat nat o truong", "an_toan"),
    ("Cảm ơn nhà trường nhiều", "khac"),
])
async def test_submit_stores_the_category_of_the_message(data_dir: Path, message: str, category: str) -> None:
    await ActionSubmitFeedback().run(CollectingDispatcher(), make_tracker(slots={"feedback_message": message}), {})
    [ticket] = _tickets()
    assert ticket.category == category
