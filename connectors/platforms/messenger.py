"""Facebook Messenger: check a webhook's signature, turn its events into messages, send replies.

The signature is an HMAC-SHA256 of the RAW body with the App Secret (header
`X-Hub-Signature-256: sha256=<hex>`); the body escapes non-ASCII text, so it must never be
re-serialised before checking. One POST may carry several entries with several events each;
echo, delivery and read events are not user messages and are dropped here.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping
from typing import Any

import httpx

from connectors.messages import IncomingMessage, OutgoingMessage
from connectors.platform_settings import MessengerSettings
from connectors.platforms.errors import SendError

log = logging.getLogger(__name__)

CHANNEL = "messenger"
SIGNATURE_HEADER = "x-hub-signature-256"
MAX_QUICK_REPLIES = 13
MAX_TITLE = 20
MAX_PAYLOAD = 1000

# Graph error codes -> send error kinds (facts: 190 token, 613 rate, 551 unavailable,
# 10 / subcode 2018278 outside the window, 100 parameter).
_RATE_CODES = {4, 17, 32, 613}
_TRANSIENT_CODES = {1, 2}
_WINDOW_SUBCODES = {2018278}
_RECIPIENT_SUBCODES = {2018001, 2018108, 1545041}


def verify(body: bytes, headers: Mapping[str, str], app_secret: str) -> bool:
    """True when `X-Hub-Signature-256` is the HMAC-SHA256 of `body` under `app_secret`."""
    header = headers.get(SIGNATURE_HEADER, "")
    if not app_secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


def verify_subscription(params: Mapping[str, str], verify_token: str) -> str | None:
    """The challenge to echo for a valid `hub.mode=subscribe` check, else None."""
    token = params.get("hub.verify_token", "")
    if params.get("hub.mode") != "subscribe" or not verify_token:
        return None
    if not hmac.compare_digest(token.encode("utf-8"), verify_token.encode("utf-8")):
        return None
    return params.get("hub.challenge", "")


def parse(payload: Any) -> list[IncomingMessage]:
    """Every user message in a webhook body, in delivery order; raises ValueError on a bad shape."""
    if not isinstance(payload, dict) or payload.get("object") != "page":
        raise ValueError("not a page webhook")
    messages: list[IncomingMessage] = []
    for entry in payload.get("entry") or []:
        for event in (entry or {}).get("messaging") or []:
            message = _event_message(event)
            if message is not None:
                messages.append(message)
    return messages


def _event_message(event: dict[str, Any]) -> IncomingMessage | None:
    sender = str((event.get("sender") or {}).get("id") or "")
    timestamp = int(event.get("timestamp") or 0)
    if not sender:
        return None
    if "postback" in event:
        postback = event["postback"] or {}
        mid = postback.get("mid") or f"postback:{sender}:{timestamp}"
        return IncomingMessage(
            CHANNEL, sender, str(mid), text=str(postback.get("title") or ""),
            payload=str(postback.get("payload") or "") or None, timestamp_ms=timestamp,
        )
    message = event.get("message")
    if not isinstance(message, dict) or message.get("is_echo"):
        return None  # delivery, read, reaction, echo of our own send
    mid = str(message.get("mid") or "")
    if not mid:
        return None
    text = str(message.get("text") or "")
    quick = (message.get("quick_reply") or {}).get("payload")
    if not text and not quick:
        kind = "unsupported" if message.get("attachments") or message.get("sticker_id") else None
        if kind is None:
            return None
        return IncomingMessage(CHANNEL, sender, mid, timestamp_ms=timestamp, kind=kind)
    return IncomingMessage(
        CHANNEL, sender, mid, text=text, payload=str(quick) if quick else None,
        timestamp_ms=timestamp,
    )


def message_body(recipient: str, message: OutgoingMessage) -> dict[str, Any]:
    """The Send API JSON for one text piece with its quick replies."""
    content: dict[str, Any] = {"text": message.text}
    if message.quick_replies:
        content["quick_replies"] = [
            {"content_type": "text", "title": reply.title[:MAX_TITLE],
             "payload": reply.payload[:MAX_PAYLOAD]}
            for reply in message.quick_replies[:MAX_QUICK_REPLIES]
        ]
    return {"recipient": {"id": recipient}, "messaging_type": "RESPONSE", "message": content}


def classify(status: int, body: Any) -> SendError | None:
    """The send error a Graph response stands for, or None on success."""
    error = body.get("error") if isinstance(body, dict) else None
    if status < 400 and not error:
        return None
    if not isinstance(error, dict):
        kind = "transient" if status >= 500 or status == 429 else "permanent"
        return SendError(kind, status, "no error object")
    code = error.get("code")
    subcode = error.get("error_subcode")
    detail = str(error.get("message") or "")[:200]
    if code == 190:
        return SendError("token", code, detail)
    if code in _RATE_CODES or status == 429:
        return SendError("rate_limit", code, detail)
    if code == 551 or subcode in _RECIPIENT_SUBCODES:
        return SendError("recipient", code, detail)
    if code == 10 or subcode in _WINDOW_SUBCODES:
        return SendError("window", code, detail)
    if code in _TRANSIENT_CODES or status >= 500 or error.get("is_transient"):
        return SendError("transient", code, detail)
    return SendError("permanent", code, detail)


class MessengerSender:
    """Sends text pieces through the Send API with an injected `httpx.AsyncClient`."""

    channel = CHANNEL

    def __init__(self, client: httpx.AsyncClient, settings: MessengerSettings) -> None:
        self._client = client
        self._settings = settings
        self.window_s = settings.window_hours * 3600

    @property
    def url(self) -> str:
        base = self._settings.graph_base_url.rstrip("/")
        return f"{base}/{self._settings.graph_version}/me/messages"

    async def send(self, recipient: str, message: OutgoingMessage) -> str:
        """Send one piece (≤ 2,000 chars); return the platform message id or raise SendError."""
        try:
            response = await self._client.post(
                self.url, params={"access_token": self._settings.page_access_token},
                json=message_body(recipient, message), timeout=self._settings.timeout_s,
            )
        except httpx.TimeoutException as exc:
            raise SendError("transient", "timeout", type(exc).__name__) from exc
        except httpx.TransportError as exc:
            raise SendError("transient", "network", type(exc).__name__) from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        error = classify(response.status_code, body)
        if error is not None:
            raise error
        return str((body or {}).get("message_id") or "")

    async def refresh_credentials(self, used_token: str | None = None) -> bool:
        """Page tokens cannot be refreshed by the bot: an operator must replace them."""
        log.error("messenger page access token rejected; set MESSENGER_PAGE_ACCESS_TOKEN")
        return False
