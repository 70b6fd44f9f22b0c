"""Readiness: can this instance serve requests that need the store right now?

Liveness (``/health``) only says the process answers. Readiness asks PostgreSQL for one
round trip, within a bound, and pings Redis when caching is on. PostgreSQL decides: without
it nothing but liveness can be answered. Redis only caches (every read falls back to
PostgreSQL), so a Redis that is down is reported but does not make the instance unready —
otherwise one shared Redis going away would take every instance out of its load balancer.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.core.errors import Unavailable
from store.cache import TeamCache
from store.db import Db

# A readiness probe must answer before the prober gives up (Docker's timeout is 3 s here).
POSTGRES_CHECK_SECONDS = 2.0


@dataclass(frozen=True)
class ReadyReport:
    postgres: str  # "ok"
    redis: str  # "ok", "down" or "off"


class Readiness:
    def __init__(self, db: Db, cache: TeamCache, *, timeout: float = POSTGRES_CHECK_SECONDS):
        self._db = db
        self._cache = cache
        self._timeout = timeout

    async def check(self) -> ReadyReport:
        """The report when PostgreSQL answers; raises ``Unavailable`` when it does not."""
        await self._check_postgres()
        if not self._cache.enabled:
            return ReadyReport(postgres="ok", redis="off")
        return ReadyReport(postgres="ok", redis="ok" if await self._cache.reachable() else "down")

    async def _check_postgres(self) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                async with self._db.connection() as conn:
                    await conn.fetchval("SELECT 1")
        except TimeoutError:
            raise Unavailable(
                f"not ready: PostgreSQL did not answer within {self._timeout:g} s"
            ) from None
        except Unavailable as exc:
            raise Unavailable(f"not ready: {exc.message}") from exc
