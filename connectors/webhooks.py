"""The Messenger and Zalo OA webhooks: verify, queue, answer 200 at once.

Platforms retry (and eventually disable) webhooks that answer slowly, so nothing here waits
for Rasa: the raw body's signature is checked in constant time BEFORE anything is parsed
(missing or wrong → 403, nothing queued), each user message is deduplicated on its platform
id and appended to the inbound queue, and the platform gets its 200. A body that is signed but
not the expected JSON → 400; a channel without credentials → 404; Redis unreachable → 503 (the
platform re-delivers, deduplication keeps that to one turn).
"""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from redis.exceptions import RedisError

from connectors.dedup import Deduplicator
from connectors.messages import IncomingMessage
from connectors.outbound import Outbound
from connectors.platform_settings import MessengerSettings, ZaloSettings
from connectors.platforms import messenger, zalo
from connectors.queue import InboundQueue, encode
from storage.privacy import hash_user_id

log = logging.getLogger(__name__)


# Dedup, the reply-window mark and the XADD in ONE round trip, atomically: the webhook's
# answer time is what the platforms watch, and nothing is half done if Redis fails midway.
# KEYS: dedup key, latest-inbound key, stream; ARGV: dedup TTL, inbound time, its TTL, data.
_ACCEPT = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return false end
local previous = redis.call('GET', KEYS[2])
if (not previous) or tonumber(previous) < tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
end
return redis.call('XADD', KEYS[3], '*', 'data', ARGV[4])
"""


class Ingress:
    """Dedup → remember the user's last inbound time → queue, in one atomic Redis script."""

    def __init__(
        self, *, dedup: Deduplicator, queue: InboundQueue, outbound: Outbound, salt: str
    ) -> None:
        self.dedup = dedup
        self.queue = queue
        self.outbound = outbound
        self.salt = salt
        self._script = queue.redis.register_script(_ACCEPT)

    async def accept(self, message: IncomingMessage) -> bool:
        """Queue `message` unless already seen; True when it was queued now."""
        mark_key, at, mark_ttl = self.outbound.inbound_mark(message.channel, message.user_id,
                                                            message.timestamp_ms)
        stream = self.queue.stream(self.queue.partition_of(message.sender))
        entry = await self._script(
            keys=[self.dedup.key(message.channel, message.message_id), mark_key, stream],
            args=[self.dedup.ttl_s, repr(at), mark_ttl, encode(message)],
        )
        if log.isEnabledFor(logging.INFO):
            user = hash_user_id(message.user_id, self.salt)
            state = "queued" if entry else "already received"
            log.info("%s message %s (user %s, %s) %s", message.channel, message.message_id,
                     user, message.kind, state)
        return bool(entry)


async def _accept_all(ingress: Ingress, messages: list[IncomingMessage]) -> bool:
    """Queue every message; False when Redis is unreachable (the platform gets a 503 and
    re-delivers the webhook later; messages queued before the failure are deduplicated then)."""
    try:
        for message in messages:
            await ingress.accept(message)
    except RedisError as error:
        log.error("webhook not accepted, Redis unavailable: %s", type(error).__name__)
        return False
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
        if not await _accept_all(ingress, messages):
            return Response(status_code=503)
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
        if not await _accept_all(ingress, messages):
            return Response(status_code=503)
        return Response(status_code=200)

    return router
