"""The use cases of the management API: one transaction each, decisions from the pure core.

Handlers call these; these call the store and the cache, and ask ``bot.core.selection``
whom to choose. Nothing here knows about HTTP.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence, Set
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from bot.core.errors import NoCandidate, NotAssigned, NotFound, PrExists, PrMerged, TeamExists
from bot.core.models import Member, PrStatus, PullRequest, Team, User
from bot.core.selection import Pick, Vacancy, exclusion_reasons
from bot.services.choosing import choose, choose_many
from store import pull_requests as prs
from store import selection as selection_store
from store import teams, users
from store.cache import TeamCache
from store.db import Connection, Db
from store.retry import retry_transient

ChangeListener = Callable[[Connection, "ReviewerChange"], Awaitable[None]]


def utc_today() -> date:
    # Away periods are calendar days in UTC: one answer for every instance, whatever its TZ.
    return datetime.now(UTC).date()


@dataclass(frozen=True, slots=True)
class ReviewerChange:
    """Reviewers added to / removed from a PR inside a transaction that is about to commit."""

    pull_request_id: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


class ReviewService:
    def __init__(self, db: Db, cache: TeamCache, rng: random.Random) -> None:
        self.db = db
        self.cache = cache
        self.rng = rng
        self.today: Callable[[], date] = utc_today
        # Called inside the writing transaction for every change of a PR's reviewers, so
        # that e.g. the webhook outbox records the post-back atomically with the change.
        self.change_listeners: list[ChangeListener] = []

    async def notify(self, conn: Connection, change: ReviewerChange) -> None:
        for listener in self.change_listeners:
            await listener(conn, change)

    # -- teams and users -------------------------------------------------------------

    @retry_transient
    async def add_team(self, team_name: str, members: Sequence[Member]) -> Team:
        async with self.db.transaction() as conn:
            if not await teams.insert_team(conn, team_name):
                raise TeamExists(f"team '{team_name}' already exists")
            moved_from = await teams.upsert_members(conn, team_name, members)
        await self.cache.invalidate({team_name, *moved_from})
        return Team(team_name, tuple(members))

    async def get_team(self, team_name: str) -> Team:
        team = await self.team(team_name)
        if team is None:
            raise NotFound(f"team '{team_name}' not found")
        return team

    async def set_is_active(self, user_id: str, is_active: bool) -> User:
        async with self.db.connection() as conn:
            user = await users.set_active(conn, user_id, is_active)
        if user is None:
            raise NotFound(f"user '{user_id}' not found")
        await self.cache.invalidate({user.team_name})
        return user

    async def get_reviews_json(self, user_id: str) -> bytes:
        """The user's reviews (every status, oldest first) as the contract's JSON answer."""
        async with self.db.connection() as conn:
            body = await users.reviews_json(conn, user_id)
        if body is None:
            raise NotFound(f"user '{user_id}' not found")
        return body

    # -- pull requests ---------------------------------------------------------------

    @retry_transient
    async def create_pr(self, pr_id: str, name: str, author_id: str) -> PullRequest:
        async with self.db.transaction() as conn:
            created = await prs.insert_pr_for_author(conn, pr_id, name, author_id)
            if created is None:
                raise NotFound(f"author '{author_id}' not found")
            team_name, created_at = created
            if created_at is None:
                raise PrExists(f"pull request '{pr_id}' already exists")
            team = await self.team(team_name, conn, local_ok=True)
            reviewers = await self._choose(conn, team, {author_id}, None, author=author_id)
            await prs.add_reviewers(conn, pr_id, reviewers, first_slot=0)
            await self.notify(conn, ReviewerChange(pr_id, added=tuple(reviewers)))
        return PullRequest(
            pr_id, name, author_id, PrStatus.OPEN, tuple(reviewers), created_at, None
        )

    async def merge_pr(self, pr_id: str) -> PullRequest:
        async with self.db.connection() as conn:
            pr = await prs.merge(conn, pr_id)
        if pr is None:
            raise NotFound(f"pull request '{pr_id}' not found")
        return pr

    @retry_transient
    async def reassign(self, pr_id: str, old_user_id: str) -> tuple[PullRequest, str]:
        async with self.db.transaction() as conn:
            pr, old = await prs.fetch_locked_pr_and_user(conn, pr_id, old_user_id)
            if pr is None:
                raise NotFound(f"pull request '{pr_id}' not found")
            if old is None:
                raise NotFound(f"user '{old_user_id}' not found")
            if pr.status is PrStatus.MERGED:
                raise PrMerged(f"pull request '{pr_id}' is merged; its reviewers cannot change")
            if old_user_id not in pr.assigned_reviewers:
                raise NotAssigned(f"user '{old_user_id}' is not a reviewer of '{pr_id}'")
            exclude = {pr.author_id, old_user_id, *pr.assigned_reviewers}
            chosen = await self.choose_and_lock(
                conn, old.team_name, exclude=exclude, count=1, replacing=old_user_id
            )
            if not chosen:
                raise NoCandidate(
                    f"no active member of team '{old.team_name}' can replace '{old_user_id}'"
                )
            new_id = chosen[0]
            await prs.replace_reviewer(conn, pr_id, old_user_id, new_id)
            await self.notify(conn, ReviewerChange(pr_id, (new_id,), (old_user_id,)))
        reviewers = tuple(new_id if r == old_user_id else r for r in pr.assigned_reviewers)
        return replace(pr, assigned_reviewers=reviewers), new_id

    # -- shared by every assignment path -----------------------------------------

    async def team(
        self, team_name: str, conn: Connection | None = None, *, local_ok: bool = False
    ) -> Team | None:
        """The team through the cache (read-through); None when it does not exist.

        ``local_ok``: this process's copy will do (see ``TeamCache.get_team``); only for
        deciding whom to consider, never for answering a client.
        """
        cached, key = await self.cache.get_team(team_name, local_ok=local_ok)
        if cached is not None:
            return cached
        if conn is None:
            async with self.db.connection() as own:
                team = await teams.fetch_team(own, team_name)
        else:
            team = await teams.fetch_team(conn, team_name)
        if team is not None:
            await self.cache.put_team(key, team)
        return team

    async def choose_and_lock(
        self,
        conn: Connection,
        team_name: str,
        *,
        exclude: set[str],
        count: int | None,
        author: str | None = None,
        replacing: str | None = None,
    ) -> list[str]:
        """Choose up to ``count`` reviewers from the team and lock them as still eligible.

        ``count`` None means the team's configured number of reviewers per PR.

        Every path that assigns reviewers (create, reassign, webhooks, bulk deactivation)
        goes through here, so the team's strategy, availability and capacity apply to all
        of them, and the explanation of the choice is recorded with the assignment events
        inserted afterwards in the same transaction. ``author`` / ``replacing`` (optional)
        only name the reason for excluding those ids in that explanation.
        """
        team = await self.team(team_name, conn, local_ok=True)
        return await self._choose(conn, team, exclude, count, author=author, replacing=replacing)

    async def choose_many_and_lock(
        self, conn: Connection, team_name: str, vacancies: Sequence[Vacancy], leaving: Set[str]
    ) -> list[Pick]:
        """Replacements for many PRs of one team at once (bulk deactivation).

        The batch form of ``choose_and_lock``: the same strategy, availability and caps,
        against one locked snapshot of the team read from the database, each choice
        seeing the ones before it. ``leaving`` are the members being deactivated in this
        transaction. Nothing is written but the round-robin cursor: the caller writes the
        moves with each pick's ``explain``.
        """
        return await choose_many(conn, team_name, vacancies, leaving, self.rng, self.today())

    async def _choose(
        self,
        conn: Connection,
        team: Team | None,
        exclude: set[str],
        count: int | None,
        *,
        author: str | None = None,
        replacing: str | None = None,
    ) -> list[str]:
        """``count`` None: the team's configured number of reviewers per PR."""
        if team is None:
            return []
        wanted = team.reviewers if count is None else count
        reasons = exclusion_reasons(exclude, author=author, replacing=replacing)
        return await choose(conn, team, reasons, wanted, self.rng, self.today())

    async def explain(self, pr_id: str) -> list[dict[str, Any]]:
        """Every assignment event of the PR with the recorded reasons, oldest first."""
        async with self.db.connection() as conn:
            events = await selection_store.explain_of(conn, pr_id)
        if events is None:
            raise NotFound(f"pull request '{pr_id}' not found")
        return events
