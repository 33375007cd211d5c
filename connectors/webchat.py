"""The web chat: the page residents open on the commune/school website and its JSON endpoint.

GET / serves the page; POST /api/chat takes `{"text": …}` or `{"payload": …}` (a quick-reply
button) and answers `{"messages": [OutgoingMessage.to_json(), …]}`. A resident is known only by
a random session id kept in a signed, HttpOnly cookie, issued on the first visit or message; the
Rasa sender is `web:<session id>`. The bot is reached through a `ChatTransport`, so the queued
path can replace the direct call to Rasa without touching this module.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
import uuid
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, TimestampSigner
from pydantic import BaseModel, ValidationError

from connectors.errors import ChatRequestError, RasaError, RasaUnavailable
from connectors.messages import IncomingMessage
from connectors.settings import AppSettings
from connectors.transport import ChatTransport
from connectors.turn_log import TurnLog

logger = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"
STATIC_URL = "/static/webchat"
COOKIE_NAME = "edubot_chat"
SIGNER_SALT = "edubot.webchat.session"
MAX_PAYLOAD_CHARS = 1000
_CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")

MSG_EMPTY = "Bạn chưa nhập nội dung tin nhắn."
MSG_TOO_LONG = "Tin nhắn quá dài: bạn vui lòng viết ngắn hơn {limit} ký tự."
MSG_MALFORMED = "Yêu cầu không hợp lệ. Bạn vui lòng tải lại trang rồi thử lại."
MSG_BAD_PAYLOAD = "Nút bấm không hợp lệ. Bạn vui lòng tải lại trang rồi thử lại."
MSG_BUSY = "Hệ thống đang bận, bạn vui lòng thử lại sau ít phút."
MSG_FAILED = "Hệ thống gặp sự cố khi trả lời. Bạn vui lòng thử lại sau ít phút."

router = APIRouter(tags=["webchat"])
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


class ChatRequest(BaseModel):
    """What the page posts: typed `text`, or the `payload` of a pressed button; `id` is the
    page's own message id (kept for deduplication when the queued path arrives)."""

    text: str | None = None
    payload: str | None = None
    id: str | None = None


class SessionCookie:
    """Signs and reads the web-chat session id (random, never derived from the resident)."""

    def __init__(self, settings: AppSettings) -> None:
        self._signer = TimestampSigner(settings.secret_key, salt=SIGNER_SALT)
        self._max_age = settings.session_max_age_days * 86400
        self._secure = settings.secure_cookies

    def read(self, request: Request) -> str | None:
        """The session id in the request's cookie, or None when absent, forged or expired."""
        raw = request.cookies.get(COOKIE_NAME)
        if not raw:
            return None
        try:
            return self._signer.unsign(raw, max_age=self._max_age).decode("ascii")
        except (BadSignature, UnicodeDecodeError):
            return None

    def issue(self, response: Response, session_id: str) -> None:
        """Set (or refresh) the signed cookie carrying `session_id`."""
        response.set_cookie(
            COOKIE_NAME,
            self._signer.sign(session_id).decode("ascii"),
            max_age=self._max_age,
            httponly=True,
            secure=self._secure,
            samesite="lax",
            path="/",
        )

    @staticmethod
    def new_id() -> str:
        return secrets.token_urlsafe(18)


def parse_chat_request(body: bytes, max_chars: int) -> ChatRequest:
    """Validate the posted JSON; raises `ChatRequestError` with the Vietnamese message to show."""
    try:
        request = ChatRequest.model_validate_json(body or b"{}")
    except ValidationError as error:
        raise ChatRequestError(MSG_MALFORMED) from error
    if request.payload is not None:
        payload = request.payload.strip()
        if not payload.startswith("/") or len(payload) > MAX_PAYLOAD_CHARS:
            raise ChatRequestError(MSG_BAD_PAYLOAD)
        return ChatRequest(payload=payload, text=request.text, id=request.id)
    text = (request.text or "").strip()
    if not text:
        raise ChatRequestError(MSG_EMPTY)
    if len(text) > max_chars:
        raise ChatRequestError(MSG_TOO_LONG.format(limit=f"{max_chars:,}".replace(",", ".")))
    return ChatRequest(text=text, id=request.id)


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


@router.get("/", response_class=HTMLResponse)
async def page(request: Request) -> HTMLResponse:
    """The chat page; issues a session cookie on the first visit."""
    cookies: SessionCookie = request.app.state.session_cookie
    response = templates.TemplateResponse(request, "webchat.html", {"static_url": STATIC_URL})
    if cookies.read(request) is None:
        cookies.issue(response, SessionCookie.new_id())
    return response


@router.post("/api/chat")
async def chat(request: Request) -> JSONResponse:
    """One resident message in, the bot's replies out."""
    state = request.app.state
    settings: AppSettings = state.settings
    cookies: SessionCookie = state.session_cookie
    session_id = cookies.read(request) or SessionCookie.new_id()
    try:
        chat_request = parse_chat_request(await request.body(), settings.max_message_chars)
    except ChatRequestError as error:
        response = _error(422, str(error))
        cookies.issue(response, session_id)
        return response

    client_id = chat_request.id if chat_request.id and _CLIENT_ID_RE.match(chat_request.id) else ""
    message = IncomingMessage(
        channel="web",
        user_id=session_id,
        message_id=client_id or uuid.uuid4().hex,
        text=chat_request.text or "",
        payload=chat_request.payload,
        timestamp_ms=int(time.time() * 1000),
    )
    transport: ChatTransport = state.transport
    started = time.perf_counter()
    try:
        replies = await transport.handle(message)
    except RasaUnavailable as error:
        logger.warning("web chat: bot unavailable (message %s): %s", message.message_id, error)
        response = _error(503, MSG_BUSY)
    except RasaError as error:
        logger.error("web chat: bad reply from Rasa (message %s): %s", message.message_id, error)
        response = _error(502, MSG_FAILED)
    else:
        latency_ms = (time.perf_counter() - started) * 1000
        turn_log: TurnLog = state.turn_log
        await turn_log.record(message, replies, latency_ms=latency_ms)
        response = JSONResponse({"messages": [reply.to_json() for reply in replies]})
    cookies.issue(response, session_id)
    return response
