"""Create and reassign in one PostgreSQL round trip (issue 18), for the common case.

The common case: a team with the random strategy, no caps and no working-hours
preference, and a PR no ``ChangeFeed`` listener writes for. The app chooses from the
cached team as the transactional path does (``bot.services.choosing``) and one function
of migration 0013 locks, re-checks and writes. Whenever that cannot give exactly what
the transactional path would, the answer is None and the caller takes that path: the
cached team turned out stale, the team needs its lock, or the user's team is unknown.

Reassign cannot choose before the call (the exclusions are the PR's reviewers, read under
its lock), so the function draws itself, as ``random.sample(eligible, 1)`` would, from
32-bit words of the chooser's generator passed along (see migration 0013).
"""

from __future__ import annotations

import random

from asyncpg import Record

from bot.core.errors import NoCandidate, NotAssigned, NotFound, PrExists, PrMerged
from bot.core.models import PrStatus, PullRequest, Team
from bot.core.selection import exclusion_reasons, select
from bot.core.selection.random import RANDOM
from bot.services.chooser import Chooser
from bot.services.choosing import cached_candidates, needs_team_lock
from bot.services.teams import TeamDirectory
from store import pull_requests as prs
from store.db import Db
from store.selection import encode_explain

# Words for the reassign draw: a draw of randbelow(n) takes one word with probability > 1/2,
# so 16 words run out (and the transactional path is taken) with probability < 2^-16 per
# round that needs them.
WORDS = 16

# user id -> team name, learned from cached teams and from the functions' answers; only a
# hint (the functions check it), bounded so a huge user base cannot grow it forever.
MAX_KNOWN_USERS = 50_000  # ≈ 8 MB at most


def fast_choosable(team: Team) -> bool:
    """The random strategy from cached data, without the team lock or schedules."""
    return team.strategy is RANDOM and not needs_team_lock(team) and not team.prefer_working_hours


class OneTripWrites:
    def __init__(self, db: Db, directory: TeamDirectory, chooser: Chooser) -> None:
        self._db = db
        self._directory = directory
        self._chooser = chooser
        self._team_of: dict[str, str] = {}
        self._indexed: dict[str, Team] = {}

    def learn(self, user_id: str, team_name: str) -> None:
        if len(self._team_of) >= MAX_KNOWN_USERS:
            self._team_of.clear()
        self._team_of[user_id] = team_name

    async def _team(self, team_name: str) -> Team | None:
        team = await self._directory.team(team_name, local_ok=True)
        if team is not None and self._indexed.get(team_name) is not team:
            self._indexed[team_name] = team  # a new copy of the team: learn its members
            for m in team.members:
                self.learn(m.user_id, team_name)
        return team

    async def create(self, pr_id: str, name: str, author_id: str) -> PullRequest | None:
        """The created PR, an error as the transactional path raises it, or None."""
        team_name = self._team_of.get(author_id)
        for _ in range(2):  # a second time only after learning the author's team
            chosen: tuple[str, ...] = ()
            explain = ""
            if team_name is not None:
                team = await self._team(team_name)
                if team is None or not fast_choosable(team):
                    return None
                chosen, explain = self._choose_for_create(team, author_id)
            async with self._db.connection() as conn:
                row = await prs.create_in_one_trip(
                    conn, pr_id, name, author_id, team_name, chosen, self._chooser.today(), explain
                )
            status = row["status"]
            if status == "no_author":
                raise NotFound(f"author '{author_id}' not found")
            if status == "exists":
                raise PrExists(f"pull request '{pr_id}' already exists")
            if status == "ok":
                return PullRequest(
                    pr_id, name, author_id, PrStatus.OPEN, chosen, row["created_at"], None
                )
            if team_name is not None:
                return None  # stale: chosen from a cached team that has changed since
            team_name = row["team_name"]
            self.learn(author_id, team_name)
        return None

    def _choose_for_create(self, team: Team, author_id: str) -> tuple[tuple[str, ...], str]:
        """What the transactional path's first round chooses, and its explanation."""
        if team.reviewers <= 0:
            return (), ""
        reasons = exclusion_reasons({author_id}, author=author_id)
        candidates = cached_candidates(team, self._chooser.today())
        selection = select(team.strategy, candidates, reasons, team.reviewers, self._chooser.rng)
        return selection.chosen, encode_explain(selection.explain())

    async def reassign(self, pr_id: str, old_user_id: str) -> tuple[PullRequest, str] | None:
        """The PR after the change and the new reviewer, an error, or None."""
        rng = self._chooser.rng
        if type(rng) is not random.Random:
            return None  # the draw in SQL follows random.Random's algorithm only
        team_name = self._team_of.get(old_user_id)
        for _ in range(2):
            members: tuple[list[str], list[str | None]] = ([], [])
            words: list[int] = []
            if team_name is not None:
                team = await self._team(team_name)
                if team is None or not fast_choosable(team):
                    return None
                members = _cached_reasons(team, self._chooser)
                words = [rng.getrandbits(32) for _ in range(WORDS)]
            async with self._db.connection() as conn:
                row = await prs.reassign_in_one_trip(
                    conn, pr_id, old_user_id, team_name, members, words, self._chooser.today()
                )
            status = row["status"]
            if status == "ok":
                return _reassigned(pr_id, old_user_id, row), row["new_id"]
            if status not in ("stale", "slow"):
                _raise_for(status, pr_id, old_user_id, row["team_name"])
            if team_name is not None:
                return None
            team_name = row["team_name"]
            self.learn(old_user_id, team_name)
        return None


def _cached_reasons(team: Team, chooser: Chooser) -> tuple[list[str], list[str | None]]:
    """The team's members in order, each with why the cache says they cannot review."""
    candidates = cached_candidates(team, chooser.today())
    reasons = [c.unavailable() for c in candidates]
    return [c.user_id for c in candidates], [None if r is None else r.value for r in reasons]


def _reassigned(pr_id: str, old_user_id: str, row: Record) -> PullRequest:
    new_id = row["new_id"]
    reviewers = tuple(new_id if r == old_user_id else r for r in row["reviewers"])
    return PullRequest(
        pr_id,
        row["pull_request_name"],
        row["author_id"],
        PrStatus(row["pr_status"]),
        reviewers,
        row["created_at"],
        row["merged_at"],
    )


def _raise_for(status: str, pr_id: str, old_user_id: str, team_name: str | None) -> None:
    """The transactional path's error for a status of reviewbot_reassign."""
    if status == "no_pr":
        raise NotFound(f"pull request '{pr_id}' not found")
    if status == "no_user":
        raise NotFound(f"user '{old_user_id}' not found")
    if status == "merged":
        raise PrMerged(f"pull request '{pr_id}' is merged; its reviewers cannot change")
    if status == "not_assigned":
        raise NotAssigned(f"user '{old_user_id}' is not a reviewer of '{pr_id}'")
    if status == "no_candidate":
        raise NoCandidate(f"no active member of team '{team_name}' can replace '{old_user_id}'")
    raise RuntimeError(f"reviewbot_reassign answered an unknown status {status!r}")
