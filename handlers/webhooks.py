"""Webhook endpoints (one per host) and the admin view of failed post-backs.

A delivery is read with a size cap, verified, parsed by the pure ``bot.hosts`` parsers and
applied by ``WebhookSync`` in one transaction; the answer never waits for the host.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.core.errors import BadRequest, ReviewbotError
from bot.hosts.dispatch import parse
from bot.hosts.registry import HOSTS
from bot.hosts.spec import HostSpec
from bot.hosts.verify import delivery_id, verify
from bot.observability.metrics import WEBHOOK_DELIVERIES
from bot.services.deliveries import Outcome, WebhookSync
from bot.services.outbox import OutboxWorker
from config.settings import Settings
from handlers.codec import decode, json_response, read_raw
from store import outbox as outbox_store


def _secret(settings: Settings, host: str) -> str | None:
    secret = settings.code_hosts[host].webhook_secret
    return secret.reveal() if secret else None


async def _apply(request: Request, spec: HostSpec[Any]) -> Outcome:
    settings: Settings = request.app.state.settings
    body = await read_raw(request, settings.webhook_max_bytes, "webhook")
    verify(spec, request.headers, body, _secret(settings, spec.name))
    parsed = parse(spec, request.headers, body)
    sync: WebhookSync = request.app.state.webhook_sync
    return await sync.handle(spec.name, delivery_id(spec, request.headers, body), parsed)


def _endpoint(spec: HostSpec[Any]) -> Callable[[Request], Awaitable[Response]]:
    async def receive(request: Request) -> Response:
        try:
            outcome = await _apply(request, spec)
        except ReviewbotError as exc:
            WEBHOOK_DELIVERIES.labels(spec.name, exc.code.lower()).inc()
            raise
        WEBHOOK_DELIVERIES.labels(spec.name, str(outcome.body.get("status", "other"))).inc()
        return json_response(outcome.body, outcome.status)

    return receive


# -- admin: failed post-backs ---------------------------------------------------------------


OutboxId = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]  # a PostgreSQL bigint


class RetryIn(msgspec.Struct, forbid_unknown_fields=False):
    # Absent means "every failed one"; an explicit null is a mistake, not a wildcard.
    ids: list[OutboxId] | msgspec.UnsetType = msgspec.UNSET


def _entry(e: outbox_store.Entry) -> dict[str, object]:
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
    async with request.app.state.db.connection() as conn:
        failed = await outbox_store.list_failed(conn)
    return json_response({"failed": [_entry(e) for e in failed]})


async def outbox_retry(request: Request) -> Response:
    raw = await read_raw(request)
    body = decode(raw, RetryIn) if raw.strip() else RetryIn()
    ids = None if body.ids is msgspec.UNSET else body.ids
    if ids is not None and not ids:
        raise BadRequest("invalid field: ids must not be empty (omit it to retry every failed one)")
    worker: OutboxWorker = request.app.state.outbox
    async with request.app.state.db.connection() as conn:
        retried = await outbox_store.retry_failed(conn, ids, worker.clock())
    worker.wake()
    return json_response({"retried": retried})


routes = [
    *(
        Route(f"/webhooks/{name}", _endpoint(spec), methods=["POST"])
        for name, spec in HOSTS.items()
    ),
    Route("/outbox/failed", outbox_failed, methods=["GET"]),
    Route("/outbox/retry", outbox_retry, methods=["POST"]),
]
