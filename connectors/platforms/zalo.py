"""Zalo Official Account: check a webhook's signature, turn events into messages, send replies.

The signature header is `X-ZEvent-Signature: mac=<hex>`, hex being the PLAIN SHA-256 of
`first_term + raw_body + timestamp + oa_secret_key` with `timestamp` from the body. Sources
disagree on the first term (app id or OA id), so it is a setting (`ZALO_SIGNATURE_FIRST_TERM`).
Errors of the Open API come back as HTTP 200 with `error != 0`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from typing import Any

import httpx

from connectors.messages import IncomingMessage, OutgoingMessage
from connectors.platform_settings import ZaloSettings
from connectors.platforms.errors import SendError, TokenRefreshError
from connectors.zalo_tokens import ZaloTokens

log = logging.getLogger(__name__)

CHANNEL = "zalo"
SIGNATURE_HEADER = "x-zevent-signature"
SEND_PATH = "/v3.0/oa/message/cs"
UNSUPPORTED_EVENTS = frozenset(
    f"user_send_{kind}"
    for kind in ("image", "file", "sticker", "gif", "location", "link", "audio", "video",
                 "business_card")
)

_TOKEN_ERRORS = {-216, -220}
_RATE_ERRORS = {-32}
_WINDOW_ERRORS = {-230, -232}
_RECIPIENT_ERRORS = {-213, -227}


def signature(first_term: str, body: bytes, timestamp: str, secret_key: str) -> str:
    """Hex SHA-256 of first_term + raw body + timestamp + OA secret key."""
    digest = hashlib.sha256()
    digest.update(first_term.encode("utf-8"))
    digest.update(body)
    digest.update(timestamp.encode("utf-8"))
    digest.update(secret_key.encode("utf-8"))
    return digest.hexdigest()


def verify(body: bytes, headers: Mapping[str, str], settings: ZaloSettings) -> bool:
    """True when `X-ZEvent-Signature` matches the body; the body is only read for its timestamp."""
    header = headers.get(SIGNATURE_HEADER, "").strip()
    if not settings.oa_secret_key or not header.startswith("mac="):
        return False
    try:
        fields = json.loads(body)
    except ValueError:
        return False
    if not isinstance(fields, dict) or "timestamp" not in fields:
        return False
    term = _first_term(fields, settings)
    if not term:
        return False
    expected = signature(term, body, str(fields["timestamp"]), settings.oa_secret_key)
    return hmac.compare_digest(expected, header.removeprefix("mac=").strip().lower())


def _first_term(fields: dict[str, Any], settings: ZaloSettings) -> str:
    if settings.signature_first_term == "app_id":
        return settings.app_id
    if settings.oa_id:
        return settings.oa_id
    return str(fields.get("oa_id") or (fields.get("recipient") or {}).get("id") or "")


def parse(payload: Any) -> list[IncomingMessage]:
    """The user message in one Zalo event (zero or one); raises ValueError on a bad shape."""
    if not isinstance(payload, dict) or not isinstance(payload.get("event_name"), str):
        raise ValueError("not a Zalo OA event")
    event = payload["event_name"]
    timestamp = int(payload.get("timestamp") or 0)
    if event in ("follow", "unfollow"):
        user = str((payload.get("follower") or {}).get("id") or "")
        if not user:
            return []
        return [IncomingMessage(CHANNEL, user, f"{event}:{user}:{timestamp}",
                                timestamp_ms=timestamp, kind=event)]
    if event != "user_send_text" and event not in UNSUPPORTED_EVENTS:
        # oa_send_* echoes, user_received_message, user_seen_message, anonymous_* (no reply API)
        return []
    user = str((payload.get("sender") or {}).get("id") or "")
    message = payload.get("message") or {}
    mid = str(message.get("msg_id") or "")
    if not user or not mid:
        return []
    if event == "user_send_text":
        return [IncomingMessage(CHANNEL, user, mid, text=str(message.get("text") or ""),
                                timestamp_ms=timestamp)]
    return [IncomingMessage(CHANNEL, user, mid, timestamp_ms=timestamp, kind="unsupported")]


def message_text(message: OutgoingMessage) -> str:
    """The text sent to Zalo: CS text messages carry no quick replies, so they become lines.

    Zalo button templates for consultation messages are not confirmed by our sources; the
    choices are listed so the parent can type one (Rasa's NLU reads the title).
    """
    if not message.quick_replies:
        return message.text
    choices = "\n".join(f"• {reply.title}" for reply in message.quick_replies)
    return f"{message.text}\n\n{choices}"


def classify(status: int, body: Any) -> SendError | None:
    """The send error a response stands for, or None when `error` is 0."""
    if status >= 500 or status == 429:
        return SendError("transient" if status >= 500 else "rate_limit", status, "HTTP status")
    if not isinstance(body, dict):
        return SendError("transient" if status >= 400 else "permanent", status, "no JSON body")
    code = body.get("error")
    if code in (0, "0") and status < 400:
        return None
    try:
        code = int(code)
    except (TypeError, ValueError):
        return SendError("permanent", status, "no error code")
    detail = str(body.get("message") or "")[:200]
    if code in _TOKEN_ERRORS:
        return SendError("token", code, detail)
    if code in _RATE_ERRORS:
        return SendError("rate_limit", code, detail)
    if code in _WINDOW_ERRORS:
        return SendError("window", code, detail)
    if code in _RECIPIENT_ERRORS:
        return SendError("recipient", code, detail)
    return SendError("permanent", code, detail)


class ZaloSender:
    """Sends consultation text messages with an injected client and the shared token store."""

    channel = CHANNEL

    def __init__(
        self, client: httpx.AsyncClient, settings: ZaloSettings, tokens: ZaloTokens
    ) -> None:
        self._client = client
        self._settings = settings
        self._tokens = tokens
        self.window_s = settings.window_days * 86400

    async def send(self, recipient: str, message: OutgoingMessage) -> str:
        """Send one piece (≤ 2,000 chars); return Zalo's message id or raise SendError."""
        token = await self._tokens.access_token()
        body = {"recipient": {"user_id": recipient}, "message": {"text": message_text(message)}}
        url = f"{self._settings.api_base_url.rstrip('/')}{SEND_PATH}"
        try:
            response = await self._client.post(
                url, json=body, headers={"access_token": token}, timeout=self._settings.timeout_s
            )
        except httpx.TimeoutException as exc:
            raise SendError("transient", "timeout", type(exc).__name__) from exc
        except httpx.TransportError as exc:
            raise SendError("transient", "network", type(exc).__name__) from exc
        try:
            answer = response.json()
        except ValueError:
            answer = None
        error = classify(response.status_code, answer)
        if error is not None:
            error.credential = token
            raise error
        return str(((answer or {}).get("data") or {}).get("message_id") or "")

    async def refresh_credentials(self, used_token: str | None = None) -> bool:
        """Refresh the access token (single-flight); False when the refresh failed."""
        try:
            await self._tokens.refresh(stale=used_token)
        except TokenRefreshError:
            return False
        return True
