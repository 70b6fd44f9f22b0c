"""Bulk deactivation (``POST /team/deactivate``): one transaction, safe under concurrency.

1. Lock the open PRs that the targets review (PR rows first, like every other writer).
2. Lock and deactivate the targets (user rows, in id order). From here on no create or
   reassign can commit a new assignment of them: choosers either wait on the row lock and
   then see the user inactive, or (strategies under the team lock) skip locked rows.
3. Lock again the open PRs they review: this catches assignments committed between
   steps 1 and 2. Then read those PRs' reviewers (a statement of its own, after every
   lock): nothing can change them before we commit.
4. Choose every replacement at once (``Chooser.choose_many_and_lock``: the team's
   strategy, availability and caps, against one locked snapshot of the team; never the
   author, never someone on the PR, never anyone being deactivated), write all moves
   and their events in one statement, and publish each changed PR on the ``ChangeFeed``
   (the webhook outbox), all in the same transaction.

Step 3 takes PR locks while holding user locks, and step 4 waits for the team row, so
a deadlock with a concurrent writer is possible in rare interleavings. A short
``lock_timeout`` makes *this* transaction the one that gives up (PostgreSQL's deadlock
detector would only act after ``deadlock_timeout``, 1 s by default, and might abort the
other request); we then retry from scratch with a little jitter.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.deactivation import Move, OpenReview, leaving, pair_moves
from bot.core.errors import Busy, NotFound
from bot.core.selection import Vacancy
from bot.services.changes import ChangeFeed, Origin, ReviewerChange
from bot.services.chooser import Chooser
from bot.services.teams import TeamDirectory
from store import deactivation as store
from store.db import Connection, Db
from store.retry import LOCK_RACES, retrying
from store.selection import encode_explain

log = logging.getLogger(__name__)

LOCK_TIMEOUT_MS = 200
MAX_ATTEMPTS = 5


def _lock_race_pause(attempt: int) -> float:
    return random.uniform(0.005, 0.02) * attempt


@dataclass(frozen=True, slots=True)
class Deactivation:
    team_name: str
    deactivated: list[str]
    moves: list[Move]


class Deactivations:
    def __init__(
        self, db: Db, directory: TeamDirectory, chooser: Chooser, changes: ChangeFeed
    ) -> None:
        self._db = db
        self._directory = directory
        self._chooser = chooser
        self._changes = changes

    async def deactivate(self, team_name: str, user_ids: Sequence[str] | None) -> Deactivation:
        """Deactivate ``user_ids`` (every member when None) and move their open reviews."""
        try:
            result, attempts = await retrying(
                lambda: self._attempt(team_name, user_ids),
                what=f"bulk deactivation of {team_name}",
                errors=LOCK_RACES,
                attempts=MAX_ATTEMPTS,
                pause=_lock_race_pause,
            )
        except LOCK_RACES:
            raise Busy(
                f"team '{team_name}' is too busy to deactivate members now; try again"
            ) from None
        await self._directory.invalidate({team_name})
        _log_done(result, attempts)
        return result

    async def _attempt(self, team_name: str, user_ids: Sequence[str] | None) -> Deactivation:
        async with self._db.transaction() as conn:
            await store.set_lock_timeout(conn, LOCK_TIMEOUT_MS)
            members = await store.team_member_ids(conn, team_name)
            if members is None:
                raise NotFound(f"team '{team_name}' not found")
            targets = sorted(set(members if user_ids is None else user_ids))
            authors = await store.lock_open_prs_reviewed_by(conn, targets)
            deactivated = await store.deactivate_members(conn, team_name, targets)
            # With no list, a member who moved to another team meanwhile is simply not ours.
            missing = sorted(set(targets) - set(deactivated))
            if user_ids is not None and missing:
                raise NotFound(f"not members of team '{team_name}': {_some(missing)}")
            # Those locked in step 1 again too: relocking our own rows costs little.
            authors |= await store.lock_open_prs_reviewed_by(conn, deactivated)
            reviews = await store.open_reviews(conn, authors, set(deactivated))
            moves = await self._move_reviews(conn, team_name, reviews, set(deactivated))
        return Deactivation(team_name, deactivated, moves)

    async def _move_reviews(
        self,
        conn: Connection,
        team_name: str,
        reviews: Sequence[OpenReview],
        deactivated: set[str],
    ) -> list[Move]:
        """Choose every replacement at once, write them all, then announce PR by PR.

        ``choose_many_and_lock`` accounts for its own earlier picks (loads, caps, turns), so
        the moves need not be written before the next choice.
        """
        vacancies = [
            Vacancy(r.pull_request_id, r.author_id, r.reviewers, tuple(leaving(r, deactivated)))
            for r in reviews
        ]
        picks = await self._chooser.choose_many_and_lock(conn, team_name, vacancies, deactivated)
        moves: list[Move] = []
        explains: list[str] = []
        for vacancy, pick in zip(vacancies, picks, strict=True):
            pr_moves = pair_moves(vacancy.pull_request_id, vacancy.leaving, pick.chosen)
            moves += pr_moves
            explains += [encode_explain(pick.explain)] * len(pr_moves)
        await store.apply_moves(conn, moves, explains)
        for vacancy, pick in zip(vacancies, picks, strict=True):
            change = ReviewerChange(
                vacancy.pull_request_id,
                added=pick.chosen,
                removed=vacancy.leaving,
                origin=Origin.DEACTIVATION,
            )
            await self._changes.publish(conn, change)
        return moves


def _some(ids: list[str]) -> str:
    """The first ten ids, and how many more."""
    return ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")


def _log_done(result: Deactivation, attempts: int) -> None:
    removed = sum(1 for m in result.moves if m.new_reviewer is None)
    log.info(
        "deactivated %d members of %s; %d reviews moved, %d removed",
        len(result.deactivated),
        result.team_name,
        len(result.moves) - removed,
        removed,
        extra={"team_name": result.team_name, "attempts": attempts},
    )
