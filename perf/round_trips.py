"""PostgreSQL round trips per write kind: the hook of the issue-18 table's row.

``make perf`` calls ``round_trips_per_write`` once, after the load phases and while the
service still runs, and stores what it returns as ``results["round_trips_per_write"]``:
``{kind: round_trips}`` with kinds among ``create``, ``reassign``, ``merge`` and
``setIsActive``, each counted for one request of that kind, its commit included. An empty
answer means "not measured": the report says so rather than showing a number nobody took.

The write path's work fills this in (it knows how to count its own statements, e.g. from
``pg_stat_statements`` or by counting protocol messages per request).
"""

from __future__ import annotations

from perf.scenario import World
from perf.servers import Server

KINDS = ("create", "reassign", "merge", "setIsActive")


async def round_trips_per_write(service: Server, world: World) -> dict[str, float]:
    """{kind: round trips of one request of that kind}; {} while nothing measures them."""
    del service, world
    return {}
