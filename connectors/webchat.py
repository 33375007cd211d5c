"""The web chat: the page residents open on the commune/school website and its JSON endpoint.

GET / serves the page; POST /api/chat takes `{"id", "text": …}` or `{"id", "payload": …}` (a
quick-reply button; `id` is the page's message id, deduplicated within its session, and `after` the page's
cursor) and answers `{"messages": [OutgoingMessage.to_json() + "id", …], "pending", "cursor"}`;
GET /api/chat/replies?after=<cursor> long-polls for replies that came later (a slow turn, a staff
answer). A resident is known only by a random session id, signed, kept in an HttpOnly cookie and,
for pages embedded in another website where third-party cookies are blocked, in the page itself
(header `X-Chat-Session`); the Rasa sender is `web:<session id>`. The bot is reached through a
`ChatTransport` (`connectors.transport`): queued like Zalo/Messenger in the running app.
The page may be framed only by the origins of `APP_WEBCHAT_FRAME_ANCESTORS` (CSP).
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import time
import uuid
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, TimestampSigner
from pydantic import BaseModel, ValidationError
from redis.exceptions import RedisError

from connectors.errors import ChatRequestError, RasaError, RasaUnavailable
from connectors.messages import IncomingMessage
from connectors.settings import AppSettings
from connectors.transport import ChatTransport, Exchange
from connectors.web_replies import WebReplies, valid_cursor

logger = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"
STATIC_URL = "/static/webchat"
COOKIE_NAME = "edubot_chat"
SESSION_HEADER = "X-Chat-Session"
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
    page's own message id (deduplicated within the session), `after` the cursor of the last reply shown."""

    text: str | None = None
    payload: str | None = None
    id: str | None = None
    after: str | None = None


class SessionCookie:
    """Signs and reads the web-chat session id (random, never derived from the resident)."""

    def __init__(self, settings: AppSettings) -> None:
        self._signer = TimestampSigner(settings.secret_key, salt=SIGNER_SALT)
        self._max_age = settings.session_max_age_days * 86400
        self._secure = settings.secure_cookies
        # A page framed by another site gets its cookie only with SameSite=None (https only).
        self._samesite: Literal["lax", "none"] = (
            "none" if self._secure and settings.frame_ancestors else "lax")

    def read(self, request: Request) -> str | None:
        """The session id of the request (page header first, then cookie), or None when absent,
        forged or expired."""
        for raw in (request.headers.get(SESSION_HEADER), request.cookies.get(COOKIE_NAME)):
            session_id = self.unsign(raw)
            if session_id is not None:
                return session_id
        return None

    def unsign(self, raw: str | None) -> str | None:
        if not raw:
            return None
        try:
            return self._signer.unsign(raw, max_age=self._max_age).decode("ascii")
        except (BadSignature, UnicodeDecodeError):
            return None

    def sign(self, session_id: str) -> str:
        return self._signer.sign(session_id).decode("ascii")

    def issue(self, response: Response, session_id: str) -> None:
        """Set (or refresh) the signed cookie carrying `session_id`."""
        response.set_cookie(
            COOKIE_NAME,
            self.sign(session_id),
            max_age=self._max_age,
            httponly=True,
            secure=self._secure,
            samesite=self._samesite,
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
        return ChatRequest(payload=payload, text=request.text, id=request.id,
                           after=valid_cursor(request.after))
    text = (request.text or "").strip()
    if not text:
        raise ChatRequestError(MSG_EMPTY)
    if len(text) > max_chars:
        raise ChatRequestError(MSG_TOO_LONG.format(limit=f"{max_chars:,}".replace(",", ".")))
    return ChatRequest(text=text, id=request.id, after=valid_cursor(request.after))


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


def frame_policy(settings: AppSettings) -> str:
    """The page's Content-Security-Policy: who may frame it, and no other source than itself."""
    ancestors = " ".join(["'self'", *settings.frame_ancestors])
    return (f"frame-ancestors {ancestors}; default-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; form-action 'self'")


@router.get("/", response_class=HTMLResponse)
async def page(request: Request, embed: int = 0) -> HTMLResponse:
    """The chat page (`?embed=1`: the compact look of the iframe injected by embed.js); issues
    a session on the first visit."""
    state = request.app.state
    cookies: SessionCookie = state.session_cookie
    session_id = cookies.read(request) or SessionCookie.new_id()
    replies: WebReplies | None = getattr(state, "web_replies", None)
    if replies is not None:
        try:
            await replies.touch(session_id)
        except RedisError as error:  # the page still loads; sending will say the bot is busy
            logger.warning("web chat: could not refresh a session (%s)", type(error).__name__)
    context = {"static_url": STATIC_URL, "session_token": cookies.sign(session_id),
               "embedded": bool(embed)}
    response = templates.TemplateResponse(request, "webchat.html", context)
    response.headers["Content-Security-Policy"] = frame_policy(state.settings)
    if cookies.unsign(request.cookies.get(COOKIE_NAME)) != session_id:
        cookies.issue(response, session_id)
    return response


def scoped_message_id(page_id: str, session_id: str) -> str:
    """The internal id of a web message: the page's own id (the deduplication key the page
    controls) scoped to its session, so one page can never make another session's message look
    like a duplicate."""
    return f"{page_id}.{hashlib.sha256(session_id.encode()).hexdigest()[:12]}"


def page_message_id(message_id: str) -> str:
    """The page's own id of a scoped web message id (page ids never contain a dot)."""
    return message_id.split(".", 1)[0]


@router.post("/api/chat")
async def chat(request: Request) -> JSONResponse:
    """One resident message in; the bot's replies out (or `pending` and a cursor to poll)."""
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
        message_id=scoped_message_id(client_id or uuid.uuid4().hex, session_id),
        text=chat_request.text or "",
        payload=chat_request.payload,
        timestamp_ms=int(time.time() * 1000),
    )
    transport: ChatTransport = state.transport
    try:
        exchange = await transport.exchange(message, chat_request.after)
    except (RasaUnavailable, RedisError) as error:
        logger.warning("web chat: bot unavailable (message %s): %s", message.message_id,
                       type(error).__name__)
        response = _error(503, MSG_BUSY)
    except RasaError as error:
        logger.error("web chat: bad reply from Rasa (message %s): %s", message.message_id, error)
        response = _error(502, MSG_FAILED)
    else:
        response = _exchange_json(exchange)
    cookies.issue(response, session_id)
    return response


@router.get("/api/chat/replies")
async def chat_replies(request: Request, after: str = "") -> JSONResponse:
    """Long-poll: replies of this session after the cursor `after` (waits up to
    `webchat_poll_seconds` for one); `done` lists the page message ids whose replies ended."""
    state = request.app.state
    replies: WebReplies | None = getattr(state, "web_replies", None)
    session_id = state.session_cookie.read(request)
    cursor = valid_cursor(after)
    if replies is None or session_id is None:
        return JSONResponse({"messages": [], "done": [], "cursor": cursor or ""})
    settings: AppSettings = state.settings
    try:
        await replies.touch(session_id)
        if cursor is None:
            return JSONResponse({"messages": [], "done": [],
                                 "cursor": await replies.last_id(session_id)})
        entries = await replies.read(session_id, cursor,
                                     block_ms=int(settings.webchat_poll_seconds * 1000))
    except RedisError as error:
        logger.warning("web chat: reply poll failed (%s)", type(error).__name__)
        return _error(503, MSG_BUSY)
    return JSONResponse({
        "messages": [e.message for e in entries if e.message is not None],
        "done": [page_message_id(e.in_reply_to) for e in entries if e.kind == "done"],
        "cursor": entries[-1].entry_id if entries else cursor,
    })


def _exchange_json(exchange: Exchange) -> JSONResponse:
    body: dict[str, object] = {"messages": exchange.messages, "pending": exchange.pending}
    if exchange.cursor:
        body["cursor"] = exchange.cursor
    return JSONResponse(body)
