"""Webhook endpoints, one per host of ``bot.hosts.registry``.

A delivery's headers are checked first (secret set, signature present), then its body is
read with a size cap and a deadline, verified, parsed by the pure ``bot.hosts`` parsers and
applied by ``WebhookSync`` in one transaction; the answer never waits for the host.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.core.errors import ReviewbotError
from bot.hosts.dispatch import parse
from bot.hosts.registry import HOSTS
from bot.hosts.spec import HostSpec
from bot.hosts.verify import delivery_id, precheck, verify
from bot.observability.metrics import WEBHOOK_DELIVERIES
from bot.services.deliveries import Outcome
from config.settings import Settings
from handlers.codec import json_response, read_raw
from handlers.deps import services
from handlers.errors import status_of


def _secret(settings: Settings, host: str) -> str | None:
    secret = settings.code_hosts[host].webhook_secret
    return secret.reveal() if secret else None


async def _apply(request: Request, spec: HostSpec[Any]) -> Outcome:
    found = services(request)
    settings = found.settings
    secret = _secret(settings, spec.name)
    # Refused before a byte of the body is read: no secret set, no signature header, or
    # (a host whose token is the secret) the wrong token. Unauthenticated floods stop here.
    precheck(spec, request.headers, secret)
    body = await read_raw(request, settings.webhook_max_bytes, "webhook")
    verify(spec, request.headers, body, secret)
    parsed = parse(spec, request.headers, body)
    delivery = delivery_id(spec, request.headers, body)
    # PostgreSQL unreachable: the delivery is spooled and answered 202 queued.
    return await found.deliveries.receive(spec.name, delivery, parsed, request.headers, body)


def _endpoint(spec: HostSpec[Any]) -> Callable[[Request], Awaitable[Response]]:
    async def receive(request: Request) -> Response:
        try:
            outcome = await _apply(request, spec)
        except ReviewbotError as exc:
            WEBHOOK_DELIVERIES.labels(spec.name, status_of(exc)[1].lower()).inc()
            raise
        WEBHOOK_DELIVERIES.labels(spec.name, str(outcome.body.get("status", "other"))).inc()
        # Accepted but not acted on (yet) is 202: the host shows it, and nothing needs a retry.
        later = outcome.ignored or outcome.accepted_later
        return json_response(outcome.body, 202 if later else 200)

    return receive


routes = [
    Route(f"/webhooks/{name}", _endpoint(spec), methods=["POST"]) for name, spec in HOSTS.items()
]
