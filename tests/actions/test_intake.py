"""Reading the message that opens a ticket form: a request, the feedback itself, or a question."""

from __future__ import annotations

import unicodedata

import pytest
import yaml
from script_modules import ROOT

from actions.intake import (
    asks_for_help,
    is_plain_question,
    names_no_announcements,
    names_no_report,
    says_enough,
)


@pytest.mark.parametrize("text", [
    "phản ánh xe đưa đón chạy ẩu",
    "giáo viên lớp 3b hay quát mắng học sinh, phụ huynh rất lo",
    "nha ve sinh truong ban va hoi qua",
    "em muốn góp ý về cổng trường giờ tan học ùn tắc quá",
    "Bữa trưa bán trú ít thịt quá, mong trường xem lại",
])
def test_feedback_that_says_what_about(text: str) -> None:
    assert says_enough(text, "feedback_form")


@pytest.mark.parametrize("text", [
    "tôi muốn góp ý", "gop y", "cho tôi gửi phản ánh", "kien nghi voi bgh",
    "em có ý kiến muốn gửi nhà trường", "dạ cho em gửi góp ý ạ", "em muốn khiếu nại",
    "/give_feedback",
])
def test_a_request_to_give_feedback_says_nothing_yet(text: str) -> None:
    assert not says_enough(text, "feedback_form")


def test_misinformation_requests_and_reports() -> None:
    assert not says_enough("báo tin sai", "misinformation_form")
    assert not says_enough("toi muon bao tin gia", "misinformation_form")
    assert says_enough("nghe nói trường sắp đóng cửa, có phải tin đồn không ạ",
                       "misinformation_form")


@pytest.mark.parametrize("text", [
    "báo nghỉ ăn trước mấy giờ",
    "trường có thu tiền quỹ lớp không",
    "tr co thu tien quy lop ko",
    "Học phí năm nay có tăng không?",
    "xe đưa đón đón ở đâu",
    "gia dinh kho khan co duoc mien tien an ko",
    "nhan tin zalo cho co giao xin nghi cho con dc ko",
    "Mẫu đơn đề nghị hỗ trợ chi phí học tập có những nội dung gì?",
    unicodedata.normalize("NFD", "bao lâu thì có kết quả phúc khảo"),  # NFD reads the same
])
def test_questions_read_as_feedback(text: str) -> None:
    assert is_plain_question(text)


@pytest.mark.parametrize("text", [
    "tôi muốn phản ánh, sao trường thu tiền nhiều vậy",
    "đề nghị trường cho biết có thu quỹ lớp không",
    "căng tin trước cổng trường bán đồ ăn không đảm bảo vệ sinh",
    "giáo viên không trả lời tin nhắn",
    "góp ý không?",
    "nghe nói năm nay bỏ thi vào lớp 10, có đúng không",
    "trên tiktok nói học sinh phải mua sách ở một nhà sách, có phải tin giả không",
    "có người mạo danh giáo viên gọi điện đòi tiền, làm sao bây giờ",
    "/give_feedback",
])
def test_complaints_and_requests_are_not_questions(text: str) -> None:
    assert not is_plain_question(text)


def test_a_request_for_a_person_and_one_that_says_what_for() -> None:
    assert not says_enough("cho toi noi chuyen voi nguoi that", "human_form")
    assert not says_enough("tôi muốn ad trả lời chứ không phải bot", "human_form")
    assert says_enough("gặp cán bộ hỏi về hồ sơ chuyển trường giữa năm", "human_form")


def test_a_message_read_as_a_rumour_report_may_name_no_report() -> None:
    assert names_no_report("lịch nghỉ tết") and names_no_report("xe đưa đón giá bao nhiêu")
    for report in ("nghe đồn trường bỏ bán trú", "nhóm zalo lớp nói mai được nghỉ",
                   "có trang giả mạo trường thu tiền", "báo tin sai", "/report_misinformation"):
        assert not names_no_report(report), report


def test_a_message_read_as_a_subscription_may_name_no_announcements() -> None:
    # every example the dialogue model learns (un)subscribing from speaks of announcements
    data = yaml.safe_load((ROOT / "data" / "nlu" / "subscriptions.yml").read_text(encoding="utf-8"))
    examples = [line.strip()[2:] for block in data["nlu"]
                for line in block["examples"].splitlines() if line.strip()]
    assert len(examples) > 30
    assert [text for text in examples if names_no_announcements(text)] == []
    # registering for a school service is a question; so is "tin học", which is no news
    for question in ("đăng ký xe đưa đón ở đâu", "hủy đăng ký bán trú thế nào", "dang ky ban tru",
                     "đk clb bóng đá cho con", "đăng ký học tin học ở đâu"):
        assert names_no_announcements(question), question
    for request in ("đăng ký", "đk", "/subscribe", "dang ky nhan tin cua truong"):
        assert not names_no_announcements(request), request


def test_a_message_read_as_help_may_be_a_question() -> None:
    # every example of four words or more the dialogue model learns help from asks for help
    data = yaml.safe_load((ROOT / "data" / "nlu" / "conversation.yml").read_text(encoding="utf-8"))
    [examples] = [[line.strip()[2:] for line in block["examples"].splitlines() if line.strip()]
                  for block in data["nlu"] if block["intent"] == "help"]
    assert [text for text in examples if len(text.split()) >= 4 and not asks_for_help(text)] == []
    for question in ("tiền ăn bán trú nộp cho ai", "hộ nghèo được hỗ trợ gì ở trường",
                     "lịch nghỉ tết năm nay"):
        assert not asks_for_help(question), question
    assert asks_for_help("/help") and asks_for_help("em hỗ trợ được những gì")
