"""Assignment statistics for ``GET /stats``: per user, per team and per PR, in one window."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.errors import NotFound
from bot.core.stats import PrStats, ResponseFigures, TeamStats, UserStats, Window
from store import review_stats, stats
from store.db import Db


@dataclass(frozen=True, slots=True)
class StatsReport:
    users: list[UserStats]
    teams: list[TeamStats]
    pull_requests: list[PrStats]
    reviews_by_user: dict[str, ResponseFigures] = field(default_factory=dict)
    reviews_by_team: dict[str, ResponseFigures] = field(default_factory=dict)


class Stats:
    def __init__(self, db: Db) -> None:
        self._db = db

    async def report(self, window: Window, pr_limit: int) -> StatsReport:
        async with self._db.connection() as conn:
            team = window.team_name
            if team is not None and not await stats.team_exists(conn, team):
                raise NotFound(f"team '{team}' not found")
            users = await stats.per_user(conn, window)
            teams = await stats.per_team(conn, window)
            prs = await stats.per_pr(conn, window, pr_limit)
            by_user = await review_stats.by_user(conn, window)
            by_team = await review_stats.by_team(conn, window)
        return StatsReport(users, teams, prs, by_user, by_team)
