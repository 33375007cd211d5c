"""Follow-up questions ("còn lớp 6 thì sao?") read as the full question they stand for."""

from __future__ import annotations

import pytest

from actions.followup import earlier_questions, resolve


@pytest.mark.parametrize(("current", "earlier", "meant"), [
    ("còn lớp 6 thì sao", ["học phí lớp 1 bao nhiêu"], "học phí lớp 6 bao nhiêu"),
    ("con lop 7 thi sao", ["thi cuoi ky 1 lop 6 ngay nao"], "thi cuoi ky 1 lop 7 ngay nao"),
    ("thế còn tiền ăn?", ["học phí lớp 1 bao nhiêu"], "tiền ăn lớp 1 bao nhiêu"),
    ("còn trường thcs thì sao ạ", ["lịch nghỉ tết của trường tiểu học thế nào"],
     "lịch nghỉ tết của trường trung học cơ sở thế nào"),
    ("vậy học kỳ 2 thì thế nào", ["đăng ký bán trú học kỳ 1 đến khi nào"],
     "đăng ký bán trú học kỳ 2 đến khi nào"),
    ("con hk2", ["hạn đóng tiền ăn hk1 khi nào"], "hạn đóng tiền ăn học kỳ 2 khi nào"),
    ("còn năm 2027 thì sao", ["nghỉ tết 2026 từ ngày nào"], "nghỉ tết 2027 từ ngày nào"),
    ("lớp 6 thì sao", ["học phí năm nay bao nhiêu"], "học phí năm nay bao nhiêu lớp 6"),
    # a follow-up of a follow-up builds on the question the first one stood for
    ("còn lớp 8?", ["còn lớp 7 thì sao", "lịch thi cuối kỳ lớp 6 ngày nào"],
     "lịch thi cuối kỳ lớp 8 ngày nào"),
])
def test_a_follow_up_is_read_as_the_question_it_stands_for(
    current: str, earlier: list[str], meant: str,
) -> None:
    assert resolve(current, earlier) == meant


@pytest.mark.parametrize(("current", "earlier"), [
    ("học phí lớp 1 bao nhiêu", ["lịch nghỉ tết thế nào"]),  # a question of its own
    ("đón con muộn thì sao", ["học phí lớp 1 bao nhiêu"]),  # "X thì sao" with a subject
    ("con bi om thi sao", ["học phí lớp 1 bao nhiêu"]),  # "con" is a child here
    ("mất thẻ bhyt thì sao", ["học phí lớp 1 bao nhiêu"]),
    ("còn lớp 6 thì sao", []),  # nothing to follow
])
def test_questions_of_their_own_are_left_alone(current: str, earlier: list[str]) -> None:
    assert resolve(current, earlier) is None


def test_earlier_questions_are_this_sessions_questions_newest_first() -> None:
    def user(text: str, intent: str) -> dict[str, object]:
        return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}

    events = [
        user("học phí lớp 1 bao nhiêu", "ask_question"),
        {"event": "session_started"},
        user("lịch nghỉ tết thế nào", "ask_question"),
        user("xin chào", "greet"),
        user("/rate_answer_good", "rate_answer_good"),
        user("khi nao nhap hoc lop 1", "nlu_fallback"),
        {"event": "action", "name": "action_listen"},
        user("còn lớp 6 thì sao", "ask_question"),  # the message being answered
    ]
    assert earlier_questions(events) == ["khi nao nhap hoc lop 1", "lịch nghỉ tết thế nào"]
