"""Sending a message to a parent that is not a reply to a message they just sent.

Staff answer a question from the review queue or reply to a ticket in the admin web; the text
goes to the parent on the channel they wrote from. Zalo and Messenger go through the same
`Outbound` as the bot's replies (the reply-window check, 2,000-character pieces, retries and
dead letters included), web chat goes to the browser session's reply stream while the session
is still known. The admin web reaches this through `request.app.state.push`; every outcome is
returned as a `PushResult`, never raised, so the page can tell staff what happened.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from redis.exceptions import RedisError

from connectors.messages import OutgoingMessage
from connectors.outbound import Outbound
from connectors.web_replies import WebReplies
from storage.privacy import hash_user_id

log = logging.getLogger(__name__)

SENT, UNDELIVERED, FAILED, NO_CHANNEL = "sent", "undelivered", "failed", "no_channel"

DETAIL_NO_CHANNEL = "Kênh {channel} chưa được cấu hình nên không gửi được."
DETAIL_NO_RECIPIENT = "Không có người nhận để gửi."
DETAIL_EMPTY = "Nội dung trống, không có gì để gửi."
DETAIL_WINDOW = "Người dân đã quá thời hạn nhận tin trả lời của nền tảng (hoặc đã chặn tin nhắn)."
DETAIL_SESSION_GONE = "Phiên trò chuyện trên web đã kết thúc nên không gửi được."
DETAIL_FAILED = "Nền tảng báo lỗi khi gửi; hệ thống đã thử lại nhưng không thành công."
DETAIL_REDIS = "Hệ thống hàng đợi đang gặp sự cố; vui lòng thử lại sau."


@dataclass
class PushResult:
    """`status`: sent, undelivered (window, unknown or blocked recipient), failed, no_channel."""

    status: str
    detail: str = ""


class Push:
    """Sends staff texts to parents over Zalo, Messenger or web chat."""

    def __init__(self, outbound: Outbound, web: WebReplies | None, *, salt: str) -> None:
        self.outbound = outbound
        self.web = web
        self.salt = salt

    async def send(self, *, channel: str, recipient: str, text: str) -> PushResult:
        """Send `text` to `recipient` (the raw platform id / web session id) on `channel`."""
        if channel == "web" and self.web is None or channel not in self.outbound.senders:
            return PushResult(NO_CHANNEL, DETAIL_NO_CHANNEL.format(channel=channel))
        if not recipient:
            return PushResult(UNDELIVERED, DETAIL_NO_RECIPIENT)
        message_id = f"push:{uuid.uuid4().hex}"
        user_hash = hash_user_id(recipient, self.salt)
        parts = self.outbound.pieces_for(channel, [OutgoingMessage(text)])
        if not parts:
            return PushResult(FAILED, DETAIL_EMPTY)
        try:
            if channel == "web" and self.web is not None and not await self.web.known(recipient):
                log.info("push %s to web user %s: session no longer known", message_id,
                         user_hash)
                return PushResult(UNDELIVERED, DETAIL_SESSION_GONE)
            for part in parts:
                delivery = await self.outbound.send(channel, recipient, part,
                                                    message_id=message_id, user_hash=user_hash)
                if delivery.status == UNDELIVERED:
                    return PushResult(UNDELIVERED, DETAIL_WINDOW)
                if delivery.status != SENT:
                    return PushResult(FAILED, DETAIL_FAILED)
        except RedisError as error:
            log.error("push %s to %s user %s: Redis error %s", message_id, channel, user_hash,
                      type(error).__name__)
            return PushResult(FAILED, DETAIL_REDIS)
        log.info("push %s to %s user %s: sent in %d piece(s)", message_id, channel, user_hash,
                 len(parts))
        return PushResult(SENT)
