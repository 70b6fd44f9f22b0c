"""The team leads' page: one overview read from the store, summarized by the pure core.

Reads only; the page's one write (retrying failed post-backs) is the outbox admin's use
case (``bot.services.outbox_admin``), exactly what ``POST /outbox/retry`` does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core.dashboard import (
    MemberRow,
    Overview,
    TeamFigures,
    counts_hold_until,
    figures_from_members,
)
from bot.core.errors import NotFound
from bot.services.dashboard_cache import OverviewCache, Read
from store import dashboard as store
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
        self._cache = OverviewCache()

    def now(self) -> datetime:
        return self._clock()

    async def overview(self, filters: Filters, now: datetime) -> Overview:
        """Everything the page shows for ``filters``, as of ``now`` (UTC).

        The database's snapshot is read first: when no transaction has committed since
        the last read for these filters (and time has moved no count), that read is the
        answer (``bot.services.dashboard_cache``). Else two groups of reads run at once,
        each on a pooled connection of its own (the team figures are the heaviest
        statement, the PR lists together about as heavy): the page waits for the slower
        group, not for the sum. Each group sees its own snapshot, both taken after the
        one the read is kept under; for a page read by people, moments apart is the same
        moment.
        """
        key = (filters.team, filters.host)
        async with self._db.connection() as conn:
            snapshot = await store.snapshot(conn)
        kept = self._cache.get(key, snapshot, now)
        if kept is not None:
            return kept
        found, holds_until = await self._read(filters, now)
        self._cache.put(key, Read(snapshot, now, holds_until, found))
        return found

    async def _read(self, filters: Filters, now: datetime) -> tuple[Overview, datetime | None]:
        try:
            async with asyncio.TaskGroup() as group:  # one failing (no such team) stops both
                people = group.create_task(self._people(filters, now))
                work = group.create_task(self._work(filters))
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None  # the error table maps the error itself
        teams, members, holds_until = people.result()
        open_prs, oldest, (short, short_total), (outbox, counts), names = work.result()
        found = Overview(
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
        return found, holds_until

    async def _people(
        self, filters: Filters, now: datetime
    ) -> tuple[list[TeamFigures], list[MemberRow], datetime | None]:
        """Every team's figures summed in SQL, or one team's members, figured from them;
        and until when their 7- and 30-day counts hold."""
        team, today = filters.team, now.date()
        week, month = (now - w for w in WINDOWS)
        async with self._db.connection() as conn:
            if team is None:
                teams, members = await store.team_figures(conn, None, today, week, month), []
            else:
                found = await store.team_settings(conn, team)
                if found is None:
                    raise NotFound(f"team '{team}' not found")
                members = await store.members(conn, team, today, week, month)
                teams = [figures_from_members(team, *found, members)]
            edges = await store.window_edges(conn, week, month)
        return teams, members, counts_hold_until(edges, WINDOWS)

    async def _work(self, filters: Filters) -> tuple[Any, ...]:
        team, host, hosts = filters.team, filters.host, self._hosts
        async with self._db.connection() as conn:
            return (
                await store.open_count(conn, team, host, hosts),
                await store.oldest_open(conn, team, host, hosts, OLDEST_LIMIT),
                await store.understaffed(conn, team, host, hosts, SHORT_LIMIT),
                await store.outbox(conn, team, host, OUTBOX_LIMIT),
                await store.team_names(conn),
            )
