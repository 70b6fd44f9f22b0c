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

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.observability import logs, metrics
from config.settings import Secret
from handlers.codec import encode

access_log = logging.getLogger("reviewbot.access")

REQUEST_ID_HEADER = b"x-request-id"
# An id from the caller is kept only if it is short and harmless to echo and to log.
_SAFE_ID = re.compile(rb"^[A-Za-z0-9._:@/+=-]{1,128}$")

# Paths anyone may call: liveness, scraping, signed webhooks and the API description.
EXEMPT_EXACT = frozenset({"/health", "/metrics", "/openapi.json", "/docs"})
EXEMPT_PREFIXES = ("/webhooks/", "/docs/")
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class RequestObserver:
    """Sets and returns ``X-Request-ID``, counts and times the request, logs one line."""

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

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), rid_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
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
    """Writes need the admin token, reads either token (``Authorization: Bearer``).

    Off when neither token is configured. Tokens are compared in constant time, and both
    comparisons always run so timing does not tell which one matched.
    """

    def __init__(self, app: ASGIApp, admin: Secret | None, user: Secret | None) -> None:
        self.app = app
        self._admin = admin.reveal().encode() if admin else None
        self._user = user.reveal().encode() if user else None
        self.enabled = bool(self._admin or self._user)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.enabled or scope["type"] != "http" or _exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        given = _bearer(scope["headers"])
        is_admin = _same(given, self._admin)
        is_user = _same(given, self._user)
        read = scope["method"] in READ_METHODS
        if is_admin or (read and is_user):
            await self.app(scope, receive, send)
            return
        await _unauthorized(send, given is None, read)


def _exempt(path: str) -> bool:
    return path in EXEMPT_EXACT or path.startswith(EXEMPT_PREFIXES)


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


async def _unauthorized(send: Send, missing: bool, read: bool) -> None:
    if missing:
        message = "an Authorization: Bearer token is required"
    elif read:
        message = "the bearer token is not valid"
    else:
        message = "this request changes data and needs the admin token"
    body = encode({"error": {"code": "UNAUTHORIZED", "message": message}})
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"www-authenticate", b'Bearer realm="reviewbot"'),
    ]
    await send({"type": "http.response.start", "status": 401, "headers": headers})
    await send({"type": "http.response.body", "body": body})
