"""Whom to assign: every assignment path (create, reassign, webhooks, the outbox, bulk
deactivation) chooses through one ``Chooser``, so the team's strategy, availability and
caps apply to all of them, and the explanation of the choice is recorded with the
assignment events inserted afterwards in the same transaction."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence, Set
from datetime import UTC, date, datetime

from bot.core.models import Team
from bot.core.selection import Pick, Vacancy, exclusion_reasons
from bot.services.choosing import choose, choose_many
from bot.services.teams import TeamDirectory
from store.db import Connection


def utc_today() -> date:
    # Away periods are calendar days in UTC: one answer for every instance, whatever its TZ.
    return datetime.now(UTC).date()


class Chooser:
    def __init__(
        self,
        directory: TeamDirectory,
        rng: random.Random,
        today: Callable[[], date] = utc_today,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.directory = directory
        self.rng = rng
        self.today = today
        self.clock = clock  # working hours (prefer_working_hours) are read at this time

    async def choose_and_lock(
        self,
        conn: Connection,
        team_name: str,
        *,
        exclude: set[str],
        count: int | None,
        author: str | None = None,
        replacing: str | None = None,
        refused: Sequence[str] = (),
    ) -> list[str]:
        """Choose up to ``count`` reviewers from the team and lock them as still eligible.

        ``count`` None means the team's configured number of reviewers per PR.
        ``author`` / ``replacing`` / ``refused`` only name the reason for excluding those
        ids in the explanation; anyone else in ``exclude`` already reviews the PR.
        """
        team = await self.directory.team(team_name, conn, local_ok=True)
        return await self.choose_in(
            conn, team, exclude, count, author=author, replacing=replacing, refused=refused
        )

    async def choose_in(
        self,
        conn: Connection,
        team: Team | None,
        exclude: set[str],
        count: int | None,
        *,
        author: str | None = None,
        replacing: str | None = None,
        refused: Sequence[str] = (),
    ) -> list[str]:
        """``choose_and_lock`` for a team already read (None: no such team, nobody)."""
        if team is None:
            return []
        wanted = team.reviewers if count is None else count
        reasons = exclusion_reasons(exclude, author=author, replacing=replacing, refused=refused)
        return await choose(conn, team, reasons, wanted, self.rng, self.today(), self.clock())

    async def choose_many_and_lock(
        self, conn: Connection, team_name: str, vacancies: Sequence[Vacancy], leaving: Set[str]
    ) -> list[Pick]:
        """Replacements for many PRs of one team at once (bulk deactivation).

        The same strategy, availability and caps, against one locked snapshot of the team
        read from the database, each choice seeing the ones before it. ``leaving`` are the
        members being deactivated in this transaction. Nothing is written but the
        round-robin cursor: the caller writes the moves with each pick's ``explain``.
        """
        return await choose_many(conn, team_name, vacancies, leaving, self.rng, self.today())
