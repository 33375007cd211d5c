"""Follow-up questions ("còn lớp 6 thì sao?") read as the full question they stand for."""

from __future__ import annotations

import pytest

from actions.followup import earlier_questions, grade_label, grade_named, resolve, stated_grade


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
    # dates keep their slash; a count keeps its unit
    ("còn nghỉ 30/4 thì sao", ["nghỉ tết bao nhiêu ngày?"], "nghỉ 30/4 bao nhiêu ngày"),
    ("lớp 6 thì sao", ["học phí năm nay bao nhiêu"], "học phí năm nay lớp 6 bao nhiêu"),
    # an aspect asked alone is asked of the previous question's subject
    ("giá bao nhiêu", ["đăng ký xe đưa đón ở đâu"], "xe đưa đón giá bao nhiêu"),
    ("mấy giờ", ["họp phụ huynh cuối kỳ 1 ngày nào"], "họp phụ huynh cuối kỳ 1 mấy giờ"),
    ("có mất phí không", ["câu lạc bộ tiếng anh học ở đâu"],
     "câu lạc bộ tiếng anh học có mất phí không"),
    ("hạn nộp", ["bảo hiểm y tế học sinh đóng bao nhiêu"], "bảo hiểm y tế học sinh hạn nộp"),
    ("nộp ở đâu", ["bảo hiểm y tế học sinh hạn nộp"], "bảo hiểm y tế học sinh nộp ở đâu"),
    ("hạn nộp", ["học phí lớp 1 bao nhiêu"], "học phí lớp 1 hạn nộp"),  # "phí" is its name
    ("còn lớp 7 trường thcs thì sao", ["lịch nghỉ tết trường tiểu học lớp 1"],
     "lịch nghỉ tết trường trung học cơ sở lớp 7"),
    # a level replaces a grade and a grade a level: both say who the question is for
    ("còn trường thcs thì sao", ["học phí lớp 1 bao nhiêu"], "học phí trung học cơ sở bao nhiêu"),
    ("còn lớp 6 thì sao", ["học phí tiểu học bao nhiêu"], "học phí lớp 6 bao nhiêu"),
    ("còn cấp 2 thì sao", ["học phí lớp 1 bao nhiêu"], "học phí cấp 2 bao nhiêu"),
    # a grade the question lacked goes before its asking words, not after a closing "không"
    ("còn cấp 1 thì sao", ["lịch kiểm tra khi nào"], "lịch kiểm tra cấp 1 khi nào"),
    ("còn lớp 6 thì sao", ["học phí có được miễn không"], "học phí có được miễn không lớp 6"),
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
    ("không", ["bhyt học sinh có bắt buộc không"]),  # a reply
    ("không cần", ["xe đưa đón giá bao nhiêu"]),  # a reply, though "cần" may be an aspect
    ("không phải", ["xe đưa đón giá bao nhiêu"]),
    ("học phí lớp 1 có tăng không", ["xe đưa đón giá bao nhiêu"]),  # names its subject
])
def test_questions_of_their_own_are_left_alone(current: str, earlier: list[str]) -> None:
    assert resolve(current, earlier) is None


def test_earlier_questions_are_the_questions_this_session_searched_newest_first() -> None:
    def user(text: str, intent: str) -> dict[str, object]:
        return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}

    def searched(question: str) -> dict[str, object]:
        return {"event": "slot", "name": "last_question", "value": question}

    events = [
        user("học phí lớp 1 bao nhiêu", "ask_question"), searched("học phí lớp 1 bao nhiêu"),
        {"event": "session_started"},
        searched("học phí lớp 1 bao nhiêu"),  # carried over into the new session
        user("lịch nghỉ tết thế nào", "ask_question"), searched("lịch nghỉ tết thế nào"),
        user("xin chào", "greet"),
        # read as a rumour report and asked anyway, in full
        user("giá bao nhiêu", "report_misinformation"), searched("xe đưa đón giá bao nhiêu"),
        {"event": "action", "name": "action_listen"},
        user("còn lớp 6 thì sao", "ask_question"),  # the message being answered
    ]
    assert earlier_questions(events) == ["xe đưa đón giá bao nhiêu", "lịch nghỉ tết thế nào"]


@pytest.mark.parametrize(("text", "grade"), [
    ("con tôi học lớp 3", "3"), ("con toi hoc lop 3 a", "3"),
    ("bé nhà mình học mầm non", "mầm non"), ("con em đang học trường tiểu học", "1-5"),
    ("học phí lớp 3", None), ("con tôi học lớp 3 thì học phí bao nhiêu", None),
    ("con học lớp 3?", None), ("lớp 3 học mấy buổi", None),
    ("con tôi học lớp 2 trường tiểu học", "2"),  # the grade says more than its level
    ("cháu học cấp 2", "6-9"), ("lớp 7 trường tiểu học", None),  # which one?
    ("con tôi học lớp 8A", "8"), ("chau hoc lop 10a1 a", "10"),  # a class names its grade
])
def test_a_message_that_only_tells_the_grade(text: str, grade: str | None) -> None:
    assert stated_grade(text) == grade


def test_a_question_names_one_grade_or_level() -> None:
    assert grade_named("học phí lớp 6 thcs hòa an") == "6"
    assert grade_named("học phí cấp 1") == "1-5"
    assert grade_named("lớp 2 và lớp 3 học mấy buổi") is None
    assert grade_named("thời khóa biểu lớp 3B thế nào") == "3"
    assert grade_named("lớp 15 học gì") is None  # no school teaches it


def test_grades_are_named_back_as_parents_say_them() -> None:
    assert grade_label("3") == "lớp 3" and grade_label("6-9") == "cấp trung học cơ sở"
