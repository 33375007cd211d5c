"""How a resident's message reaches the bot and how the replies come back, behind one protocol.

The web chat depends only on `ChatTransport`. Today `DirectRasaTransport` calls Rasa within the
request; the queued path of DESIGN.md (Redis Stream "inbound", workers, replies pushed back) is
another implementation of the same protocol and replaces it without touching the web chat.
"""

from __future__ import annotations

from typing import Protocol

from connectors.messages import IncomingMessage, OutgoingMessage
from connectors.rasa_client import RasaClient


class ChatTransport(Protocol):
    """Carries one `IncomingMessage` to the bot and returns its replies."""

    async def handle(self, message: IncomingMessage) -> list[OutgoingMessage]:
        """The bot's replies to `message`; raises `connectors.errors.RasaUnavailable` when the
        bot cannot take the message now."""
        ...


class DirectRasaTransport:
    """Sends each message straight to Rasa and waits for its replies."""

    def __init__(self, rasa: RasaClient) -> None:
        self._rasa = rasa

    async def handle(self, message: IncomingMessage) -> list[OutgoingMessage]:
        return await self._rasa.send(message.sender, message.rasa_text)
