"""The Messenger and Zalo OA webhooks: verify, queue, answer 200 at once.

Platforms retry (and eventually disable) webhooks that answer slowly, so nothing here waits
for Rasa: the raw body's signature is checked in constant time BEFORE anything is parsed
(missing or wrong → 403, nothing queued), each user message is deduplicated on its platform
id and appended to the inbound queue, and the platform gets its 200. A body that is signed but
not the expected JSON → 400; a channel without credentials → 404.
"""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse

from connectors.dedup import Deduplicator
from connectors.messages import IncomingMessage
from connectors.outbound import Outbound
from connectors.platform_settings import MessengerSettings, ZaloSettings
from connectors.platforms import messenger, zalo
from connectors.queue import InboundQueue
from storage.privacy import hash_user_id

log = logging.getLogger(__name__)


class Ingress:
    """Dedup → remember the user's last inbound time → queue; undone if queueing fails."""

    def __init__(
        self, *, dedup: Deduplicator, queue: InboundQueue, outbound: Outbound, salt: str
    ) -> None:
        self.dedup = dedup
        self.queue = queue
        self.outbound = outbound
        self.salt = salt

    async def accept(self, message: IncomingMessage) -> bool:
        """Queue `message` unless already seen; True when it was queued now."""
        user = hash_user_id(message.user_id, self.salt)
        if not await self.dedup.first_time(message.channel, message.message_id):
            log.info("%s message %s (user %s) already received", message.channel,
                     message.message_id, user)
            return False
        try:
            await self.outbound.note_inbound(message.channel, message.user_id,
                                             message.timestamp_ms)
            await self.queue.enqueue(message)
        except BaseException:
            await self.dedup.forget(message.channel, message.message_id)
            raise
        log.info("%s message %s (user %s, %s) queued", message.channel, message.message_id,
                 user, message.kind)
        return True


def create_router(
    ingress: Ingress, *, messenger_settings: MessengerSettings, zalo_settings: ZaloSettings
) -> APIRouter:
    """The webhook routes; a channel whose credentials are not set answers 404."""
    router = APIRouter(tags=["webhooks"])

    @router.get("/webhooks/messenger")
    async def messenger_verify(request: Request) -> Response:
        if not messenger_settings.enabled:
            return Response(status_code=404)
        challenge = messenger.verify_subscription(request.query_params,
                                                  messenger_settings.verify_token)
        if challenge is None:
            return Response(status_code=403)
        return PlainTextResponse(challenge)

    @router.post("/webhooks/messenger")
    async def messenger_event(request: Request) -> Response:
        if not messenger_settings.enabled:
            return Response(status_code=404)
        body = await request.body()
        if not messenger.verify(body, request.headers, messenger_settings.app_secret):
            log.warning("messenger webhook with a missing or wrong signature refused")
            return Response(status_code=403)
        try:
            messages = messenger.parse(json.loads(body))
        except (ValueError, TypeError, AttributeError):
            return Response(status_code=400)
        for message in messages:
            await ingress.accept(message)
        return PlainTextResponse("EVENT_RECEIVED")

    @router.post("/webhooks/zalo")
    async def zalo_event(request: Request) -> Response:
        if not zalo_settings.enabled:
            return Response(status_code=404)
        body = await request.body()
        if not zalo.verify(body, request.headers, zalo_settings):
            log.warning("zalo webhook with a missing or wrong signature refused")
            return Response(status_code=403)
        try:
            messages = zalo.parse(json.loads(body))
        except (ValueError, TypeError, AttributeError):
            return Response(status_code=400)
        for message in messages:
            await ingress.accept(message)
        return Response(status_code=200)

    return router
