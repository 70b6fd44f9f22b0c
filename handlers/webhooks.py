"""Webhook endpoints, one per host.

A delivery is read with a size cap, verified, parsed by the pure ``bot.hosts`` parsers and
applied by ``WebhookSync`` in one transaction; the answer never waits for the host.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.core.errors import ReviewbotError
from bot.hosts.dispatch import parse
from bot.hosts.events import Host
from bot.hosts.verify import delivery_id, verify
from bot.observability.metrics import WEBHOOK_DELIVERIES
from bot.services.deliveries import Outcome
from config.settings import Settings
from handlers.codec import json_response, read_raw
from handlers.deps import services
from handlers.errors import status_of


def _secret(settings: Settings, host: Host) -> str | None:
    secret = {
        Host.GITHUB: settings.github_webhook_secret,
        Host.GITLAB: settings.gitlab_webhook_secret,
        Host.GITEA: settings.gitea_webhook_secret,
    }[host]
    return secret.reveal() if secret else None


async def _apply(request: Request, host: Host) -> Outcome:
    found = services(request)
    settings = found.settings
    body = await read_raw(request, settings.webhook_max_bytes, "webhook")
    verify(host, request.headers, body, _secret(settings, host))
    parsed = parse(host, request.headers, body)
    return await found.deliveries.handle(host, delivery_id(host, request.headers, body), parsed)


def _endpoint(host: Host) -> Callable[[Request], Awaitable[Response]]:
    async def receive(request: Request) -> Response:
        try:
            outcome = await _apply(request, host)
        except ReviewbotError as exc:
            WEBHOOK_DELIVERIES.labels(host.value, status_of(exc)[1].lower()).inc()
            raise
        WEBHOOK_DELIVERIES.labels(host.value, str(outcome.body.get("status", "other"))).inc()
        return json_response(outcome.body, outcome.status)

    return receive


routes = [
    Route("/webhooks/github", _endpoint(Host.GITHUB), methods=["POST"]),
    Route("/webhooks/gitlab", _endpoint(Host.GITLAB), methods=["POST"]),
    Route("/webhooks/gitea", _endpoint(Host.GITEA), methods=["POST"]),
]
