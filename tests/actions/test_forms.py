"""Validation of the ticket forms: message length, skipping the contact, the handoff pre-fill."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from trackers import load_tracker, make_tracker, responses

from actions.forms import (
    ValidateFeedbackForm,
    ValidateHumanForm,
    ValidateMisinformationForm,
    clean_contact,
)


def _candidate(form: str, slot: str, value: Any, *, text: str, intent: str | None = None,
               slots: dict[str, Any] | None = None) -> Any:
    """The tracker Rasa sends while `form` validates `value` for its requested `slot`."""
    return make_tracker(
        text=text, intent=intent, active_loop=form,
        slots={"requested_slot": slot, **(slots or {})},
        after=[
            {"event": "slot", "name": "requested_slot", "value": slot},
            {"event": "action", "name": form},
            {"event": "slot", "name": slot, "value": value},
        ],
    )


@pytest.mark.parametrize(("action", "form", "slot"), [
    (ValidateFeedbackForm, "feedback_form", "feedback_message"),
    (ValidateMisinformationForm, "misinformation_form", "misinformation_message"),
    (ValidateHumanForm, "human_form", "human_message"),
])
async def test_a_real_message_is_kept(action: Any, form: str, slot: str,
                                      domain: dict[str, Any]) -> None:
    message = "  Cổng trường sáng nay đóng muộn, các cháu phải đứng ngoài đường.  "
    dispatcher = CollectingDispatcher()
    events = await action().run(dispatcher, _candidate(form, slot, message, text=message), domain)
    assert SlotSet(slot, message.strip()) in events
    assert dispatcher.messages == []


@pytest.mark.parametrize("message", ["ok", "  a   ", "/give_feedback", "😀"])
async def test_a_too_short_message_is_asked_again(message: str, domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    tracker = _candidate("feedback_form", "feedback_message", message, text=message)
    events = await ValidateFeedbackForm().run(dispatcher, tracker, domain)
    assert SlotSet("feedback_message", None) in events
    assert responses(dispatcher) == ["utter_invalid_message"]


@pytest.mark.parametrize(("value", "intent", "expected"), [
    ("0912 345 678", "inform", "0912 345 678"),
    ("Zalo: Mẹ Bống", None, "Zalo: Mẹ Bống"),
    ("", "skip", ""),
    ("/skip", "skip", ""),
    ("bỏ qua", "ask_question", ""),
    ("Khong can.", None, ""),
])
async def test_contact_is_kept_as_given_or_skipped(value: str, intent: str | None, expected: str,
                                                   domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    tracker = _candidate("misinformation_form", "contact", value, text=value, intent=intent,
                         slots={"misinformation_message": "Tin nghỉ học ngày mai là sai"})
    events = await ValidateMisinformationForm().run(dispatcher, tracker, domain)
    assert SlotSet("contact", expected) in events
    assert dispatcher.messages == []


def test_a_very_long_contact_is_cut_to_the_column_size() -> None:
    assert len(clean_contact("a" * 500, None)) == 200


async def test_human_form_starts_with_the_unanswered_question(domain: dict[str, Any]) -> None:
    tracker = load_tracker("human_form_activation.json")
    dispatcher = CollectingDispatcher()
    events = await ValidateHumanForm().run(dispatcher, tracker, domain)
    assert SlotSet("human_message", "lịch nghỉ tết năm nay của trường thế nào") in events
    [said] = dispatcher.messages  # the parent is told what is forwarded
    assert (said["response"], said["question"]) == (
        "utter_forwarding_question", "lịch nghỉ tết năm nay của trường thế nào")


async def test_human_form_without_a_pending_question_asks_for_the_message(
    domain: dict[str, Any],
) -> None:
    tracker = make_tracker(text="/request_human", intent="request_human", active_loop="human_form",
                           after=[{"event": "slot", "name": "requested_slot", "value": None},
                                  {"event": "action", "name": "human_form"}])
    events = await ValidateHumanForm().run(CollectingDispatcher(), tracker, domain)
    assert not [e for e in events if e.get("name") == "human_message"]


async def test_pending_question_does_not_overwrite_what_the_parent_is_typing(
    domain: dict[str, Any],
) -> None:
    typed = "Tôi muốn hỏi về chế độ miễn giảm cho con"
    tracker = _candidate("human_form", "human_message", typed, text=typed,
                         slots={"pending_question": "lịch nghỉ tết"})
    events = await ValidateHumanForm().run(CollectingDispatcher(), tracker, domain)
    assert [e["value"] for e in events if e.get("name") == "human_message"] == [typed]


def _activation(form: str, text: str, intent: str) -> Any:
    """The tracker Rasa sends when `text` has just opened `form` (nothing requested yet)."""
    return make_tracker(text=text, intent=intent, active_loop=form,
                        after=[{"event": "slot", "name": "requested_slot", "value": None},
                               {"event": "action", "name": form}])


@pytest.mark.parametrize(("action", "form", "slot", "intent", "text"), [
    (ValidateFeedbackForm, "feedback_form", "feedback_message", "give_feedback",
     "Căng tin trước cổng trường bán đồ ăn không đảm bảo vệ sinh"),
    (ValidateFeedbackForm, "feedback_form", "feedback_message", "give_feedback",
     "xe dua don sang nay bo con toi lai o nga ba, toi muon phan anh"),
    (ValidateMisinformationForm, "misinformation_form", "misinformation_message",
     "report_misinformation", "nhóm zalo lớp nói mai học sinh toàn trường được nghỉ học"),
    (ValidateHumanForm, "human_form", "human_message", "request_human",
     "cho tôi gặp cán bộ, con tôi bị bạn bắt nạt ở lớp"),
])
async def test_a_message_that_says_what_it_is_about_is_kept_when_it_opens_the_form(
    action: Any, form: str, slot: str, intent: str, text: str, domain: dict[str, Any],
) -> None:
    dispatcher = CollectingDispatcher()
    events = await action().run(dispatcher, _activation(form, text, intent), domain)
    assert SlotSet(slot, text) in events
    assert responses(dispatcher) == ["utter_message_noted"]


@pytest.mark.parametrize(("action", "form", "intent", "text"), [
    (ValidateFeedbackForm, "feedback_form", "give_feedback", "tôi muốn góp ý"),
    (ValidateFeedbackForm, "feedback_form", "give_feedback", "toi muon phan anh ve an ban tru"),
    (ValidateFeedbackForm, "feedback_form", "give_feedback", "/give_feedback"),
    (ValidateMisinformationForm, "misinformation_form", "report_misinformation", "báo tin sai"),
    (ValidateMisinformationForm, "misinformation_form", "report_misinformation",
     "tôi muốn báo tin giả"),
    (ValidateHumanForm, "human_form", "request_human", "bot không hiểu, cho gặp người thật"),
])
async def test_a_request_to_open_the_form_is_not_taken_as_the_message(
    action: Any, form: str, intent: str, text: str, domain: dict[str, Any],
) -> None:
    dispatcher = CollectingDispatcher()
    events = await action().run(dispatcher, _activation(form, text, intent), domain)
    assert not [e for e in events if e.get("name", "").endswith("_message")]
    assert dispatcher.messages == []
