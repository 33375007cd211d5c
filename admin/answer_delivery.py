"""Sending a staff answer from the review queue to the parents who asked.

The answer goes once to each asker (same channel and recipient), through
`connectors.push.Push` (`request.app.state.push`; absent means no channel is configured).
Zalo and Messenger only deliver inside their reply window, web chat only while the browser
session is known; each question keeps the outcome in `answer_delivery` (sent / undelivered /
failed) and staff see who could not be reached.  Recipients are never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from admin import audit
from storage.models import Question

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryTarget:
    """Who asked one question of an answered group, to send them the answer."""

    question_id: int
    channel: str
    recipient: str  # raw platform id / web session id: never logged
    question: str


class Pusher(Protocol):
    """`connectors.push.Push` as the review needs it (`request.app.state.push`)."""

    async def send(self, *, channel: str, recipient: str, text: str) -> Any: ...


# Reasons shown when the push gives none (by PushResult.status).
DEFAULT_DETAILS = {
    "undelivered": "Ngoài thời hạn trả lời của nền tảng, hoặc người hỏi đã chặn tin nhắn.",
    "no_channel": "Kênh chưa được cấu hình.",
    "failed": "Nền tảng báo lỗi khi gửi.",
}


@dataclass
class DeliveryReport:
    """How sending the answer went, per question (answer_delivery) and per asker."""

    outcomes: dict[int, str] = field(default_factory=dict)  # question id -> sent/undelivered/failed
    sent: int = 0  # askers reached
    not_sent: int = 0
    details: list[str] = field(default_factory=list)  # distinct Vietnamese reasons

    def message(self) -> str:
        text = f"Đã gửi câu trả lời cho {self.sent} người hỏi, không gửi được cho {self.not_sent} người"
        if not self.not_sent:
            return text + "."
        return f"{text} ({' '.join(self.details).rstrip('.')})."


def delivery_text(question: str, answer: str) -> str:
    """What an asker receives: their question, then the answer with its source."""
    return f"Dạ, về câu hỏi của anh/chị: “{question}”, nhà trường/xã xin trả lời:\n{answer}"


async def deliver_answer(push: Pusher | None, targets: Sequence[DeliveryTarget], answer: str) -> DeliveryReport:
    """Send `answer` once to each asker (same channel and recipient = one person)."""
    report = DeliveryReport()
    askers: dict[tuple[str, str], list[DeliveryTarget]] = {}
    for target in targets:
        askers.setdefault((target.channel, target.recipient), []).append(target)
    for (channel, recipient), asked in askers.items():
        status, detail = await _push_one(push, channel, recipient, delivery_text(asked[0].question, answer))
        for target in asked:
            report.outcomes[target.question_id] = status
        if status == "sent":
            report.sent += 1
        else:
            report.not_sent += 1
            if detail and detail not in report.details:
                report.details.append(detail)
    logger.info("staff answer delivered to %d asker(s), not to %d", report.sent, report.not_sent)
    return report


async def _push_one(push: Pusher | None, channel: str, recipient: str, text: str) -> tuple[str, str]:
    if not recipient:
        return "undelivered", "Không còn địa chỉ của người hỏi."
    if push is None:
        return "undelivered", DEFAULT_DETAILS["no_channel"]
    try:
        result = await push.send(channel=channel, recipient=recipient, text=text)
    except Exception:  # the answer is already saved and live: report this asker, go on
        logger.exception("sending a staff answer on %s failed", channel)
        return "failed", "Lỗi hệ thống khi gửi tin."
    status = str(getattr(result, "status", "failed"))
    detail = str(getattr(result, "detail", "")) or DEFAULT_DETAILS.get(status, DEFAULT_DETAILS["failed"])
    # answer_delivery keeps sent / undelivered / failed; "no channel" is undelivered.
    return (status if status in ("sent", "failed") else "undelivered"), detail


def store_deliveries(session: Session, report: DeliveryReport, *, actor: str, doc_id: str) -> None:
    """Write each question's answer_delivery and audit the sending."""
    for question_id, status in report.outcomes.items():
        question = session.get(Question, question_id)
        if question is not None:
            question.answer_delivery = status
    audit.record(session, actor=actor, action="unanswered.send", target=doc_id,
                 detail={"sent": report.sent, "not_sent": report.not_sent,
                         "questions": sorted(report.outcomes)})
