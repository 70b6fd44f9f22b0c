"""Every error leaves as the contract's envelope: {"error": {"code", "message"}}.

This is the one place where errors become HTTP responses: ``ERROR_STATUS`` gives each
class of the core's error tree its status and code.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from bot.core import errors
from bot.core.errors import ReviewbotError
from bot.observability.metrics import STORE_UNAVAILABLE
from handlers.codec import json_response

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


ERROR_STATUS: dict[type[ReviewbotError], tuple[int, str]] = {
    errors.BadRequest: (400, "BAD_REQUEST"),
    errors.PayloadTooLarge: (413, "PAYLOAD_TOO_LARGE"),
    errors.RequestTimeout: (408, "REQUEST_TIMEOUT"),
    errors.Unauthorized: (401, "UNAUTHORIZED"),
    errors.Forbidden: (403, "FORBIDDEN"),
    errors.WebhookNotConfigured: (403, "WEBHOOK_NOT_CONFIGURED"),
    errors.NotFound: (404, "NOT_FOUND"),
    errors.TeamExists: (400, "TEAM_EXISTS"),
    errors.PrExists: (409, "PR_EXISTS"),
    errors.PrMerged: (409, "PR_MERGED"),
    errors.NotAssigned: (409, "NOT_ASSIGNED"),
    errors.NoCandidate: (409, "NO_CANDIDATE"),
    errors.NoTeamsFile: (409, "NO_TEAMS_FILE"),
    errors.UnsupportedMediaType: (415, "UNSUPPORTED_MEDIA_TYPE"),
    errors.TeamsFileInvalid: (422, "INVALID_TEAMS_FILE"),
    errors.Busy: (503, "BUSY"),
    errors.SimulationTooLarge: (422, "SIMULATION_TOO_LARGE"),
    errors.Unavailable: (503, "UNAVAILABLE"),
}
# Seconds a client should wait before trying again after a 503.
RETRY_AFTER = {errors.Busy: "1", errors.Unavailable: "2"}
_UNMAPPED = (500, "INTERNAL")


def status_of(exc: ReviewbotError) -> tuple[int, str]:
    """The HTTP status and error code of a core error (its own class, else its nearest base)."""
    for cls in type(exc).__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]
    return _UNMAPPED


def envelope(status: int, code: str, message: str) -> Response:
    return json_response({"error": {"code": code, "message": message}}, status)


# Answered possibly before the whole body arrived (or any of it): the connection is closed
# rather than kept waiting for the rest.
_REFUSED_UPLOADS = (
    errors.RequestTimeout,
    errors.PayloadTooLarge,
    errors.Busy,
    errors.Unauthorized,
    errors.WebhookNotConfigured,
)


def _has_body(request: Request) -> bool:
    headers = request.headers
    return headers.get("content-length", "0") != "0" or "transfer-encoding" in headers


async def reviewbot_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ReviewbotError)
    status, code = status_of(exc)
    response = envelope(status, code, exc.message)
    retry_after = RETRY_AFTER.get(type(exc))
    if retry_after is not None:
        response.headers["retry-after"] = retry_after
    if isinstance(exc, _REFUSED_UPLOADS) and _has_body(request):
        response.headers["connection"] = "close"  # the rest of the body is not awaited
    if isinstance(exc, errors.Unavailable):
        # One line per request, no traceback: the cause is outside and already named.
        log.warning("%s %s: %s", request.method, request.url.path, exc.message)
        STORE_UNAVAILABLE.inc()
    return response


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"no route {request.method} {request.url.path}"
    elif exc.status_code == 405:
        message = f"method {request.method} is not allowed on {request.url.path}"
    else:
        message = str(exc.detail)
    code = _HTTP_CODES.get(exc.status_code, "ERROR")
    response = envelope(exc.status_code, code, message)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


# nginx's "client closed request": no one reads this answer, but metrics and the access
# line should say what happened instead of counting a server error.
CLIENT_CLOSED_REQUEST = 499


async def client_gone(request: Request, exc: Exception) -> Response:
    log.info("client went away while sending %s %s", request.method, request.url.path)
    return Response(status_code=CLIENT_CLOSED_REQUEST)


EXCEPTION_HANDLERS = {
    ReviewbotError: reviewbot_error,
    ClientDisconnect: client_gone,
    HTTPException: http_error,
}
