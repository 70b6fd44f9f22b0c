"""The team leads' page: one overview read from the store, summarized by the pure core.

Reads only; the page's one write (retrying failed post-backs) is the outbox admin's use
case (``bot.services.outbox_admin``), exactly what ``POST /outbox/retry`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.dashboard import Overview
from bot.core.errors import NotFound
from store import dashboard as store
from store import stats as stats_store
from store.db import Db

# What the page lists at most; the counts beside each list are always complete.
OLDEST_LIMIT = 20
SHORT_LIMIT = 20
OUTBOX_LIMIT = 50
WINDOWS = (timedelta(days=7), timedelta(days=30))


@dataclass(frozen=True, slots=True)
class Filters:
    team: str | None = None
    host: str | None = None  # a registry name, "" for REST API PRs, None for all


class Dashboard:
    def __init__(self, db: Db, clock: Callable[[], datetime], hosts: Sequence[str]) -> None:
        self._db = db
        self._clock = clock
        self._hosts = list(hosts)

    def now(self) -> datetime:
        return self._clock()

    async def overview(self, filters: Filters, now: datetime) -> Overview:
        """Everything the page shows for ``filters``, as of ``now`` (UTC)."""
        team, host = filters.team, filters.host
        week, month = (now - w for w in WINDOWS)
        async with self._db.connection() as conn:
            if team is not None and not await stats_store.team_exists(conn, team):
                raise NotFound(f"team '{team}' not found")
            teams = await store.team_figures(conn, team, now.date(), week, month)
            members = await store.members(conn, team, now.date(), week, month) if team else []
            open_prs = await store.open_count(conn, team, host, self._hosts)
            oldest = await store.oldest_open(conn, team, host, self._hosts, OLDEST_LIMIT)
            short, short_total = await store.understaffed(
                conn, team, host, self._hosts, SHORT_LIMIT
            )
            outbox, counts = await store.outbox(conn, team, host, OUTBOX_LIMIT)
            names = await store.team_names(conn)
        return Overview(
            teams=tuple(teams),
            members=tuple(members),
            open_prs=open_prs,
            oldest=tuple(oldest),
            short=tuple(short),
            short_total=short_total,
            outbox=tuple(outbox),
            outbox_counts=counts,
            team_names=tuple(names),
        )
