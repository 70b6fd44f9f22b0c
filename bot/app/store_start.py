"""Starting while PostgreSQL is away: the instance serves at once (liveness, readiness 503,
webhooks spooled, the API 503) and applies migrations and ``TEAMS_FILE`` when it answers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from store.db import UNREACHABLE, migrate

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0


@contextlib.asynccontextmanager
async def store_prepared(
    database_url: str, after: Callable[[], Awaitable[object]]
) -> AsyncIterator[None]:
    """Migrate now and run ``after`` (applying TEAMS_FILE); if PostgreSQL is unreachable,
    do both in the background as soon as it answers, retried every second."""
    try:
        await migrate(database_url)
    except UNREACHABLE as exc:
        log.warning(
            "PostgreSQL is unreachable at start (%s): serving anyway; migrations and "
            "TEAMS_FILE wait for it",
            type(exc).__name__,
        )
        task = asyncio.create_task(_when_reachable(database_url, after))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        return
    await after()
    yield


async def _when_reachable(database_url: str, after: Callable[[], Awaitable[object]]) -> None:
    while True:
        try:
            await migrate(database_url)
        except UNREACHABLE:
            await asyncio.sleep(RETRY_SECONDS)
            continue
        log.info("PostgreSQL answers again: migrations applied")
        await after()
        return
