"""Starlette endpoints only: parse the request, call the service, shape the response."""

from __future__ import annotations

from starlette.routing import BaseRoute

from handlers import extensions, operations, reference, stats, teams_config, webhooks


def all_routes() -> list[BaseRoute]:
    # Each feature module contributes its own list; order only matters for overlapping paths.
    return [
        *reference.routes,
        *teams_config.routes,
        *extensions.routes,
        *stats.routes,
        *operations.routes(),
        *webhooks.routes,
    ]
