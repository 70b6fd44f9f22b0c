"""Starlette endpoints only: parse the request, call a use case, shape the response.

One module per managed thing; each contributes its ``routes`` (and its OpenAPI fragment,
``openapi/<module>.yaml``).
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from handlers import (
    dashboard,
    operations,
    outbox,
    pull_requests,
    simulate,
    stats,
    teams,
    users,
    webhooks,
)


def all_routes() -> list[BaseRoute]:
    # Order only matters for overlapping paths (none today).
    return [
        *teams.routes,
        *users.routes,
        *pull_requests.routes,
        *stats.routes,
        *operations.routes(),
        *webhooks.routes,
        *outbox.routes,
        *dashboard.routes(),
        *simulate.routes,
    ]
