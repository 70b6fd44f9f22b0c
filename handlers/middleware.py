"""Pure ASGI middleware on every request: request id, metrics, access log, bearer tokens.

Plain ASGI callables rather than ``BaseHTTPMiddleware``: no extra task or body buffering
per request, just a wrapped ``send``.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import time
from collections.abc import Iterable
from enum import StrEnum

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.observability import logs, metrics
from config.settings import Secret
from handlers.codec import encode

access_log = logging.getLogger("reviewbot.access")
log = logging.getLogger(__name__)

REQUEST_ID_HEADER = b"x-request-id"
# An id from the caller is kept only if it is short and harmless to echo and to log.
_SAFE_ID = re.compile(rb"^[A-Za-z0-9._:@/+=-]{1,128}$")

# Paths anyone may call: liveness, readiness, scraping, signed webhooks and the API
# description (probes of a load balancer or orchestrator carry no token).
EXEMPT_EXACT = frozenset({"/health", "/ready", "/metrics", "/openapi.json", "/docs"})
EXEMPT_PREFIXES = ("/webhooks/", "/docs/")
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The dashboard checks its own login session (a browser sends no bearer header), so the
# token layer lets it through, its login form included (handlers/dashboard_session.py).
SESSION_PREFIX = "/dashboard"
# Reads that show admin material (host answers, handles of refused reviewers): admin only.
# Each operation's ``x-access`` in the OpenAPI document says the same (a test compares).
ADMIN_READS = frozenset({"/outbox/failed"})


class Access(StrEnum):
    NONE = "none"  # no token needed
    USER = "user"  # the user or the admin token
    ADMIN = "admin"  # the admin token only
    SESSION = "session"  # the dashboard's login session, holding the user or admin token


def access_needed(method: str, path: str) -> Access:
    if path in EXEMPT_EXACT or path.startswith(EXEMPT_PREFIXES):
        return Access.NONE
    if path == SESSION_PREFIX or path.startswith(SESSION_PREFIX + "/"):
        return Access.SESSION
    if method not in READ_METHODS or path in ADMIN_READS:
        return Access.ADMIN
    return Access.USER


_INTERNAL_ERROR = encode(
    {"error": {"code": "INTERNAL", "message": "internal error; the request was not applied"}}
)
_INTERNAL_ERROR_HEADERS = (
    (b"content-type", b"application/json"),
    (b"content-length", str(len(_INTERNAL_ERROR)).encode()),
)


class RequestObserver:
    """Sets and returns ``X-Request-ID``, counts and times the request, logs one line, and
    answers an unhandled error with the 500 envelope (so that it, too, has the id)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _incoming_id(scope["headers"]) or os.urandom(16).hex()
        rid_header = (REQUEST_ID_HEADER, rid.encode())
        token = logs.request_id.set(rid)
        start = time.perf_counter()
        status = 500
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                message["headers"] = [*message.get("headers", ()), rid_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Answered here, not re-raised: re-raising makes the server log it a second
            # time and drop the keep-alive connection without a word to the client.
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if started:
                raise  # half an answer is out; only closing the connection can end it
            start_message = {"type": "http.response.start", "status": 500}
            await send_with_id({**start_message, "headers": list(_INTERNAL_ERROR_HEADERS)})
            await send_with_id({"type": "http.response.body", "body": _INTERNAL_ERROR})
        finally:
            elapsed = time.perf_counter() - start
            route = scope.get("route")
            template = getattr(route, "path", None) or metrics.UNMATCHED_ROUTE
            metrics.observe_request(scope["method"], template, status, elapsed)
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "%s %s %d",
                    scope["method"],
                    template,
                    status,
                    extra={"path": scope["path"], "status": status, "ms": round(elapsed * 1e3, 3)},
                )
            logs.request_id.reset(token)


def _incoming_id(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == REQUEST_ID_HEADER:
            return value.decode("ascii") if _SAFE_ID.match(value) else None
    return None


class TokenAuth:
    """Writes and ``ADMIN_READS`` need the admin token, other reads either token.

    Off when neither token is configured. Tokens are compared in constant time, and both
    comparisons always run so timing does not tell which one matched.
    """

    def __init__(self, app: ASGIApp, admin: Secret | None, user: Secret | None) -> None:
        self.app = app
        self._admin = admin.reveal().encode() if admin else None
        self._user = user.reveal().encode() if user else None
        self.enabled = bool(self._admin or self._user)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.enabled or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        needed = access_needed(scope["method"], scope["path"])
        if needed in (Access.NONE, Access.SESSION):
            await self.app(scope, receive, send)
            return
        given = _bearer(scope["headers"])
        is_admin = _same(given, self._admin)
        is_user = _same(given, self._user)
        if is_admin or (needed is Access.USER and is_user):
            await self.app(scope, receive, send)
            return
        await _unauthorized(send, _refusal(given, needed, scope["method"], is_user))


def _refusal(given: bytes | None, needed: Access, method: str, is_user: bool) -> str:
    if given is None:
        return "an Authorization: Bearer token is required"
    if method not in READ_METHODS:
        return "this request changes data and needs the admin token"
    if needed is Access.ADMIN and is_user:
        return "this route shows admin material and needs the admin token"
    return "the bearer token is not valid"


def _bearer(headers: Iterable[tuple[bytes, bytes]]) -> bytes | None:
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            return token.strip() if scheme.lower() == b"bearer" and token.strip() else b""
    return None


def _same(given: bytes | None, expected: bytes | None) -> bool:
    if expected is None:
        return False
    return hmac.compare_digest(given or b"", expected)


async def _unauthorized(send: Send, message: str) -> None:
    body = encode({"error": {"code": "UNAUTHORIZED", "message": message}})
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"www-authenticate", b'Bearer realm="reviewbot"'),
    ]
    await send({"type": "http.response.start", "status": 401, "headers": headers})
    await send({"type": "http.response.body", "body": body})
