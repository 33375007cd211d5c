"""What the platform connectors themselves say to a resident (everything else comes from Rasa).

Kept in one place so staff can review the wording; all natural Vietnamese with diacritics.
"""

from __future__ import annotations

from connectors.messages import OutgoingMessage, QuickReply

WELCOME = (
    "Xin chào! Mình là trợ lý thông tin giáo dục của xã và nhà trường. "
    "Bạn có thể hỏi mình về tuyển sinh, học phí, lịch học, thủ tục hồ sơ… "
    "Mỗi câu trả lời đều kèm nguồn văn bản chính thức. Bạn muốn tìm hiểu điều gì?"
)
# Payloads are plain questions: Rasa's NLU reads them like typed text, so the menu does not
# depend on intent names.
WELCOME_MENU = (
    QuickReply("Tuyển sinh", "Thông tin tuyển sinh năm nay"),
    QuickReply("Học phí", "Học phí năm học này bao nhiêu?"),
    QuickReply("Góp ý, phản ánh", "Tôi muốn góp ý"),
    QuickReply("Gặp cán bộ", "Tôi muốn gặp cán bộ"),
)
UNSUPPORTED = (
    "Hiện mình chỉ đọc được tin nhắn chữ, chưa xem được hình ảnh, nhãn dán hay tệp đính kèm. "
    "Bạn vui lòng gõ câu hỏi bằng chữ giúp mình nhé."
)
FLOOD = (
    "Bạn gửi nhiều tin nhắn quá nhanh nên mình tạm dừng trả lời trong ít phút. "
    "Bạn vui lòng chờ một lát rồi gửi lại câu hỏi nhé."
)
BOT_DOWN = (
    "Xin lỗi, hệ thống đang gặp sự cố nên chưa trả lời được tin nhắn của bạn. "
    "Bạn vui lòng gửi lại câu hỏi sau ít phút nhé."
)


def welcome() -> OutgoingMessage:
    return OutgoingMessage(WELCOME, quick_replies=list(WELCOME_MENU))


def unsupported() -> OutgoingMessage:
    return OutgoingMessage(UNSUPPORTED)


def flood() -> OutgoingMessage:
    return OutgoingMessage(FLOOD)


def bot_down() -> OutgoingMessage:
    return OutgoingMessage(BOT_DOWN)
