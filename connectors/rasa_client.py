"""The one place that talks to the Rasa server: send a message, read the replies, ask its status.

Rasa's REST channel (`POST /webhooks/rest/webhook`) answers with one JSON element per bot
message: `{"text", "buttons": [{"title", "payload"}]}` for an utterance and a separate
`{"custom": {...}}` for an action's `json_message`. The actions send their answer metadata as
`{"kind": "answer_meta", ...}` right after the answer text, so it is merged into the `meta` of
the preceding text message here; the rest of the app never sees Rasa's wire format.

Rasa's REST channel splits a plain text (one without buttons) at every blank line into separate
elements, so an answer "extract\n\nNguồn: …" arrives as two. The plain elements right before an
`answer_meta` are joined back into the one answer they were.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import httpx

from connectors.errors import RasaError, RasaUnavailable
from connectors.messages import OutgoingMessage, QuickReply

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/rest/webhook"
STATUS_PATH = "/status"
ANSWER_META_KIND = "answer_meta"


class RasaClient:
    """Sends residents' messages to Rasa's REST channel with an injected `httpx.AsyncClient`."""

    def __init__(self, base_url: str, http_client: httpx.AsyncClient, timeout: float,
                 token: str = "") -> None:
        self.base_url = base_url.rstrip("/")
        self._http = http_client
        self._timeout = timeout
        self._token = token  # Rasa's HTTP API token; the REST channel needs none

    async def send(self, sender: str, text: str) -> list[OutgoingMessage]:
        """One turn: post `text` as `sender` and return the bot's replies in order.

        Raises `RasaUnavailable` when Rasa cannot be reached, times out or fails with a 5xx,
        and `RasaError` when it answers with something that is not the REST channel's list.
        """
        url = self.base_url + WEBHOOK_PATH
        try:
            response = await self._http.post(
                url, json={"sender": sender, "message": text}, timeout=self._timeout
            )
        except httpx.TimeoutException as error:
            raise RasaUnavailable(f"Rasa did not answer within {self._timeout:g} s") from error
        except httpx.TransportError as error:
            raise RasaUnavailable(
                f"Rasa cannot be reached at {self.base_url}: {error!r}"
            ) from error
        if response.status_code >= 500:
            raise RasaUnavailable(f"Rasa failed with HTTP {response.status_code}")
        if response.status_code != 200:
            raise RasaError(f"Rasa answered HTTP {response.status_code}: {response.text[:200]}")
        try:
            body = response.json()
        except ValueError as error:
            raise RasaError("Rasa answered with a body that is not JSON") from error
        if not isinstance(body, list):
            raise RasaError(f"Rasa answered with a {type(body).__name__}, expected a list")
        return parse_rest_output(body)

    async def status(self) -> dict[str, Any]:
        """Rasa's `/status` (the loaded model); raises `RasaUnavailable` when it is not ready."""
        try:
            params = {"token": self._token} if self._token else None
            response = await self._http.get(self.base_url + STATUS_PATH, params=params,
                                            timeout=self._timeout)
        except httpx.TimeoutException as error:
            raise RasaUnavailable("Rasa /status timed out") from error
        except httpx.TransportError as error:
            raise RasaUnavailable(
                f"Rasa cannot be reached at {self.base_url}: {error!r}"
            ) from error
        if response.status_code != 200:
            raise RasaUnavailable(f"Rasa /status answered HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError as error:
            raise RasaError("Rasa /status answered with a body that is not JSON") from error
        return body if isinstance(body, dict) else {"status": body}


def parse_rest_output(elements: Iterable[Any]) -> list[OutgoingMessage]:
    """Turn the REST channel's elements into `OutgoingMessage`s.

    An `answer_meta` custom element is merged into the preceding text message; one that comes
    before any text is kept for the next text message. Other custom payloads and elements
    without text (images, attachments) are dropped: no channel of ours shows them yet.
    """
    messages: list[OutgoingMessage] = []
    pending_meta: dict[str, Any] = {}
    for element in elements:
        if not isinstance(element, dict):
            logger.warning("ignoring a Rasa reply element of type %s", type(element).__name__)
            continue
        meta = _answer_meta(element.get("custom"))
        text = element.get("text")
        replies = _quick_replies(element.get("buttons") or element.get("quick_replies") or [])
        if isinstance(text, str) and (text or replies):
            message = OutgoingMessage(text=text, quick_replies=replies, meta=pending_meta)
            pending_meta = {}
            if meta is not None:
                message.meta.update(meta)
            messages.append(message)
        elif replies and messages:
            messages[-1].quick_replies.extend(replies)
        elif meta is not None:
            if messages:
                _rejoin_answer(messages)
                messages[-1].meta.update(meta)
            else:
                pending_meta.update(meta)
        elif "custom" in element:
            logger.debug("ignoring a custom Rasa payload that is not answer metadata")
        else:
            logger.debug("ignoring a Rasa reply element with keys %s", sorted(element))
    return messages


def _rejoin_answer(messages: list[OutgoingMessage]) -> None:
    """Join the trailing run of plain messages (no buttons, no meta) back into one message."""
    start = len(messages)
    while start > 0 and not messages[start - 1].quick_replies and not messages[start - 1].meta:
        start -= 1
    if len(messages) - start > 1:
        joined = OutgoingMessage(text="\n\n".join(m.text for m in messages[start:]))
        del messages[start:]
        messages.append(joined)


def _answer_meta(custom: Any) -> dict[str, Any] | None:
    if not isinstance(custom, dict) or custom.get("kind") != ANSWER_META_KIND:
        return None
    return {key: value for key, value in custom.items() if key != "kind"}


def _quick_replies(buttons: Any) -> list[QuickReply]:
    replies: list[QuickReply] = []
    if not isinstance(buttons, list):
        return replies
    for button in buttons:
        if not isinstance(button, dict):
            continue
        title, payload = button.get("title"), button.get("payload")
        if isinstance(title, str) and isinstance(payload, str) and title and payload:
            replies.append(QuickReply(title=title, payload=payload))
    return replies
