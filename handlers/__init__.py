"""Starlette endpoints only: parse the request, call the service, shape the response."""

from __future__ import annotations

from starlette.routing import BaseRoute

from handlers import reference, webhooks


def all_routes() -> list[BaseRoute]:
    # Each feature module contributes its own list; order only matters for overlapping paths.
    return [*reference.routes, *webhooks.routes]
