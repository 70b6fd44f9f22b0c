"""Reading history for the replay simulator: stored PRs in a window, streamed in creation
order through a server-side cursor in batches (bounded memory whatever the window),
read-only.

A PR's real reviews come from ``assignment_events``: a reviewer is on the PR from the event
that put them there until the event that took them off (reassigned away, removed), or
until the PR merged or closed. Times come as POSIX seconds (float8: exact to the
microsecond, and far cheaper to decode than timestamps). Runs in a READ ONLY
transaction: the replay cannot write.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Mapping, Sequence
from datetime import datetime
from typing import Any

from store.db import Connection

BATCH = 5000  # rows per round trip

_HISTORY = """
SELECT p.pull_request_id, p.author_id, extract(epoch FROM p.created_at)::float8 AS created_at,
       extract(epoch FROM COALESCE(p.merged_at, p.closed_at))::float8 AS closed_at,
       u.team_name AS author_team,
       r.changed_files, ev.on_ids, ev.on_at, ev.off_ids, ev.off_at
  FROM pull_requests p
  JOIN users u ON u.user_id = p.author_id
  LEFT JOIN pr_routing r ON r.pull_request_id = p.pull_request_id
  LEFT JOIN LATERAL (
       SELECT array_agg(e.user_id ORDER BY e.id) FILTER (WHERE e.user_id IS NOT NULL) AS on_ids,
              array_agg(extract(epoch FROM e.at)::float8 ORDER BY e.id)
                  FILTER (WHERE e.user_id IS NOT NULL) AS on_at,
              array_agg(e.replaced_user_id ORDER BY e.id)
                  FILTER (WHERE e.replaced_user_id IS NOT NULL) AS off_ids,
              array_agg(extract(epoch FROM e.at)::float8 ORDER BY e.id)
                  FILTER (WHERE e.replaced_user_id IS NOT NULL) AS off_at
         FROM assignment_events e WHERE e.pull_request_id = p.pull_request_id) ev ON true
 WHERE p.created_at >= $1 AND p.created_at < $2
 ORDER BY p.created_at, p.pull_request_id
"""


async def stream_history(
    conn: Connection, since: datetime, until: datetime, batch: int = BATCH
) -> AsyncGenerator[Sequence[Mapping[str, Any]], None]:
    """Rows of PRs created in [since, until), oldest first, a batch at a time (a step of
    an async generator per row would cost more than reading it); the caller holds a
    transaction and closes this generator (``contextlib.aclosing``) before leaving it.

    Double-buffered: the next batch is asked for before this one is handed out, so the
    server reads and aggregates it while the caller replays (it yields to the event loop
    now and then) — at most two batches in memory.
    """
    cursor = await conn.cursor(_HISTORY, since, until)
    pending = asyncio.ensure_future(cursor.fetch(batch))
    try:
        while rows := await pending:
            pending = asyncio.ensure_future(cursor.fetch(batch))
            yield rows
    finally:
        # Never leave a fetch running on the connection the transaction ends on.
        if not pending.done():
            with contextlib.suppress(Exception):
                await pending
        elif not pending.cancelled():
            pending.exception()  # retrieved: no "never retrieved" warning


async def read_only(conn: Connection) -> None:
    """Make the caller's transaction refuse every write (the simulator writes nothing)."""
    await conn.execute("SET TRANSACTION READ ONLY")


async def save_changed_files(conn: Connection, pr_id: str, files: list[str] | None) -> None:
    """Keep the changed file names the routing read, for later replays (None: unknown)."""
    await conn.execute(
        "UPDATE pr_routing SET changed_files = $2 WHERE pull_request_id = $1", pr_id, files
    )
