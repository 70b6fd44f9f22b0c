"""The post-back outbox for operators: ``GET /outbox/failed`` and ``POST /outbox/retry``."""

from __future__ import annotations

from typing import Annotated

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.core.errors import BadRequest
from bot.services.outbox_admin import Entry
from handlers.codec import decode, json_response, read_raw
from handlers.deps import services

OutboxId = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]  # a PostgreSQL bigint


class RetryIn(msgspec.Struct, forbid_unknown_fields=False):
    # Absent means "every failed one"; an explicit null is a mistake, not a wildcard.
    ids: list[OutboxId] | msgspec.UnsetType = msgspec.UNSET


def _entry(e: Entry) -> dict[str, object]:
    return {
        "id": e.id,
        "host": e.host,
        "pull_request_id": e.pull_request_id,
        "kind": e.kind,
        "user_id": e.user_id,
        "attempts": e.attempts,
        "last_error": e.last_error,
        "created_at": e.created_at.isoformat() if e.created_at else None,
    }


async def outbox_failed(request: Request) -> Response:
    failed = await services(request).outbox.failed()
    return json_response({"failed": [_entry(e) for e in failed]})


async def outbox_retry(request: Request) -> Response:
    raw = await read_raw(request)
    # No body at all retries every failed one; a body of only whitespace is malformed.
    body = decode(raw, RetryIn) if raw else RetryIn()
    ids = None if body.ids is msgspec.UNSET else body.ids
    if ids is not None and not ids:
        raise BadRequest("invalid field: ids must not be empty (omit it to retry every failed one)")
    retried = await services(request).outbox.retry(ids)
    return json_response({"retried": retried})


routes = [
    Route("/outbox/failed", outbox_failed, methods=["GET"]),
    Route("/outbox/retry", outbox_retry, methods=["POST"]),
]
