"""What staff read about a ticket: Vietnamese names of kinds, statuses, channels and categories,
and the sentence explaining what happened to a reply sent to a parent.

Kept apart from `admin.tickets` so the pages, the exports and the tests use the same words.  The
category names are those of `actions.ticket_categories` (the categoriser's fixed list), re-exported
here, never copied.
"""

from __future__ import annotations

from actions.ticket_categories import CATEGORY_LABELS, UNCATEGORISED_LABEL, category_label
from storage.models import AuditEntry

__all__ = [
    "CATEGORY_LABELS",
    "CHANNEL_LABELS",
    "DELIVERY_LABELS",
    "KIND_LABELS",
    "STATUS_LABELS",
    "UNCATEGORISED_LABEL",
    "URGENT_LABEL",
    "category_label",
    "channel_label",
    "delivery_message",
    "history_text",
    "kind_label",
    "status_label",
]

STATUS_LABELS: dict[str, str] = {
    "new": "Mới",
    "in_progress": "Đang xử lý",
    "answered": "Đã trả lời",
    "closed": "Đã đóng",
}
KIND_LABELS: dict[str, str] = {
    "feedback": "Góp ý – phản ánh",
    "misinformation": "Báo tin sai",
    "human": "Gặp cán bộ",
}
CHANNEL_LABELS: dict[str, str] = {
    "zalo": "Zalo",
    "messenger": "Messenger",
    "web": "trò chuyện trên trang web",
}
DELIVERY_LABELS: dict[str, str] = {
    "sent": "Đã gửi",
    "undelivered": "Không gửi được",
    "no_channel": "Không gửi được",
    "failed": "Gửi lỗi",
}
URGENT_LABEL = "Khẩn"


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(channel, channel or "không rõ kênh")


def _undelivered_reason(channel: str) -> str:
    if channel == "web":
        return "phiên trò chuyện trên trang web của phụ huynh đã kết thúc nên không còn nhận được tin"
    if channel in ("zalo", "messenger"):
        return (f"đã ngoài thời hạn trả lời của {channel_label(channel)} (phụ huynh nhắn tin đã lâu) "
                "hoặc phụ huynh đã chặn / bỏ theo dõi trang")
    return "không tìm thấy người nhận trên kênh này"


def _contact_advice(has_contact: bool) -> str:
    if has_contact:
        return ("Hãy liên hệ qua số điện thoại hoặc thông tin phụ huynh đã để lại (mục «Liên hệ»). "
                "Câu trả lời đã được lưu trong phiếu.")
    return ("Phụ huynh không để lại số điện thoại nên hiện chưa có cách báo lại; câu trả lời đã được "
            "lưu trong phiếu.")


def delivery_message(delivery: str, channel: str, *, has_contact: bool) -> str:
    """The sentence shown after replying: sent, or why not and what to do instead."""
    label = channel_label(channel)
    if delivery == "sent":
        return f"Đã gửi câu trả lời tới phụ huynh qua {label}. Phiếu chuyển sang «Đã trả lời»."
    if delivery == "undelivered":
        reason = _undelivered_reason(channel)
    elif delivery == "no_channel":
        reason = f"kênh {label} chưa được kết nối trên máy chủ này"
    else:
        reason = f"{label} báo lỗi khi gửi, bạn có thể thử lại sau ít phút"
    return f"Không gửi được: {reason}. {_contact_advice(has_contact)}"


def history_text(entry: AuditEntry) -> str:
    """One audit entry about a ticket, as a sentence for the ticket's history table."""
    detail = entry.detail or {}
    before, after = str(detail.get("from") or ""), str(detail.get("to") or "")
    if entry.action == "ticket.status":
        return f"Trạng thái: {status_label(before)} → {status_label(after)}"
    if entry.action == "ticket.assign":
        return f"Người xử lý: {before or 'chưa giao'} → {after or 'chưa giao'}"
    if entry.action == "ticket.category":
        return f"Phân loại: {category_label(before)} → {category_label(after)}"
    if entry.action == "ticket.note":
        return "Thêm ghi chú nội bộ"
    if entry.action == "ticket.reply":
        delivery = str(detail.get("delivery") or "")
        outcome = DELIVERY_LABELS.get(delivery, delivery).lower()
        return f"Trả lời phụ huynh qua {channel_label(str(detail.get('channel') or ''))}: {outcome}"
    return entry.action
