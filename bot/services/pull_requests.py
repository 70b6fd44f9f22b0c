"""Pull requests through the management API: create, merge, reassign, read, explain.

One transaction each; whom to choose comes from the ``Chooser``, and every reviewer
change is published on the ``ChangeFeed`` inside the transaction that makes it. Create
and reassign first try ``OneTripWrites`` (one statement, for random teams and PRs no
listener writes for) and take the transactional path when it declines; merge is always
one statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.core.errors import BadRequest, NoCandidate, NotAssigned, NotFound, PrExists, PrMerged
from bot.core.models import PrFilter, PrStatus, PullRequest, User
from bot.hosts.registry import host_prefix
from bot.services.changes import ChangeFeed, Origin, ReviewerChange
from bot.services.chooser import Chooser
from bot.services.one_trip import OneTripWrites
from bot.services.routing import Facts, Router
from bot.services.teams import TeamDirectory
from store import pull_requests as prs
from store import review_timeline as review_store
from store import routing as routing_store
from store import selection as selection_store
from store.db import Db
from store.retry import retry_transient


class PullRequests:
    def __init__(
        self, db: Db, directory: TeamDirectory, chooser: Chooser, changes: ChangeFeed
    ) -> None:
        self._db = db
        self._directory = directory
        self._chooser = chooser
        self._changes = changes
        self._router = Router(directory, chooser, changes)
        self._one_trip = OneTripWrites(db, directory, chooser)

    @retry_transient
    async def create(
        self, pr_id: str, name: str, author_id: str, changed_files: Sequence[str] | None = None
    ) -> PullRequest:
        host = host_prefix(pr_id)
        if host is not None:  # else a reassign would post back to a PR that is not there
            raise BadRequest(
                f"pull_request_id '{pr_id[:80]}': ids starting '{host}:' are kept for"
                f" pull requests that arrive from {host} by webhook; choose another id"
            )
        if changed_files is None and self._changes.quiet_for(pr_id):
            done = await self._one_trip.create(pr_id, name, author_id)
            if done is not None:
                return done
        async with self._db.transaction() as conn:
            created = await prs.insert_pr_for_author(conn, pr_id, name, author_id)
            if created is None:
                raise NotFound(f"author '{author_id}' not found")
            team_name, created_at = created
            self._one_trip.learn(author_id, team_name)
            if created_at is None:
                raise PrExists(f"pull request '{pr_id}' already exists")
            if changed_files is not None:
                pr = PullRequest(pr_id, name, author_id, PrStatus.OPEN, (), created_at, None)
                author = User(author_id, author_id, team_name, True)
                facts = Facts(files=changed_files)
                routed = await self._router.assign(conn, pr, author, facts, Origin.API, "api")
                return replace(pr, assigned_reviewers=tuple(routed.added))
            team = await self._directory.team(team_name, conn, local_ok=True)
            reviewers = await self._chooser.choose_in(
                conn, team, {author_id}, None, author=author_id
            )
            await prs.add_reviewers(conn, pr_id, reviewers, first_slot=0)
            change = ReviewerChange(pr_id, added=tuple(reviewers), origin=Origin.API)
            await self._changes.publish(conn, change)
        return PullRequest(
            pr_id, name, author_id, PrStatus.OPEN, tuple(reviewers), created_at, None
        )

    async def merge(self, pr_id: str) -> PullRequest:
        async with self._db.connection() as conn:
            pr = await prs.merge_in_one_trip(conn, pr_id)
        if pr is None:
            raise NotFound(f"pull request '{pr_id}' not found")
        return pr

    @retry_transient
    async def reassign(self, pr_id: str, old_user_id: str) -> tuple[PullRequest, str]:
        if self._changes.quiet_for(pr_id):
            done = await self._one_trip.reassign(pr_id, old_user_id)
            if done is not None:
                return done
        async with self._db.transaction() as conn:
            pr, old = await prs.fetch_locked_pr_and_user(conn, pr_id, old_user_id)
            if pr is None:
                raise NotFound(f"pull request '{pr_id}' not found")
            if old is None:
                raise NotFound(f"user '{old_user_id}' not found")
            self._one_trip.learn(old_user_id, old.team_name)
            if pr.status is PrStatus.MERGED:
                raise PrMerged(f"pull request '{pr_id}' is merged; its reviewers cannot change")
            if old_user_id not in pr.assigned_reviewers:
                raise NotAssigned(f"user '{old_user_id}' is not a reviewer of '{pr_id}'")
            exclude = {pr.author_id, old_user_id, *pr.assigned_reviewers}
            chosen = await self._chooser.choose_and_lock(
                conn,
                old.team_name,
                exclude=exclude,
                count=1,
                author=pr.author_id,
                replacing=old_user_id,
            )
            if not chosen:
                raise NoCandidate(
                    f"no active member of team '{old.team_name}' can replace '{old_user_id}'"
                )
            new_id = chosen[0]
            await prs.replace_reviewer(conn, pr_id, old_user_id, new_id)
            change = ReviewerChange(pr_id, (new_id,), (old_user_id,), origin=Origin.API)
            await self._changes.publish(conn, change)
        reviewers = tuple(new_id if r == old_user_id else r for r in pr.assigned_reviewers)
        return replace(pr, assigned_reviewers=reviewers), new_id

    async def get(self, pr_id: str) -> PullRequest:
        async with self._db.connection() as conn:
            pr = await prs.fetch_pr(conn, pr_id)
        if pr is None:
            raise NotFound(f"pull request '{pr_id}' not found")
        return pr

    async def page(
        self, where: PrFilter, after: tuple[datetime, str] | None, limit: int
    ) -> list[PullRequest]:
        """Up to ``limit`` PRs matching ``where``, in (created_at, id) order after ``after``."""
        async with self._db.connection() as conn:
            return await prs.page_of_prs(conn, where, after, limit)

    async def explain(
        self, pr_id: str
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None, list[dict[str, Any]]]:
        """Every assignment event of the PR with the recorded reasons, oldest first; what
        path rules and CODEOWNERS noted (None: they played no part); and its review
        follow-through (requests, responses, nudges, escalations, pauses)."""
        async with self._db.connection() as conn:
            events = await selection_store.explain_of(conn, pr_id)
            if events is None:
                raise NotFound(f"pull request '{pr_id}' not found")
            routing = await routing_store.notes_of(conn, pr_id)
            follow_up = await review_store.timeline(conn, pr_id)
        return events, routing, follow_up
