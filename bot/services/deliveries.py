"""Applying a parsed delivery to the store: one transaction, the delivery claimed first.

The handler never calls a host: reviewers chosen here reach the host through the outbox
rows that ``bot.services.outbox.outbox_listener`` writes in this same transaction. Reviewer
changes that copy what a human did on the host are published as ``Origin.HOST``: no echo.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot.core.events import Kind
from bot.core.models import MAX_REVIEWERS, PrStatus, PullRequest, User
from bot.hosts.events import Host, Ignored, Parsed, Ping, PrEvent
from bot.services.changes import ChangeFeed, Origin, ReviewerChange
from bot.services.chooser import Chooser
from bot.services.teams import TeamDirectory
from store import host_sync, users
from store import outbox as outbox_store
from store import pull_requests as prs
from store.db import Connection, Db
from store.retry import retry_transient

log = logging.getLogger(__name__)

OPENING = (Kind.OPENED, Kind.DRAFT_OPENED)


@dataclass
class Outcome:
    status: int
    body: dict[str, Any]


@dataclass
class _Run:
    """What one delivery did, for the response body."""

    pr: PullRequest
    assigned: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    non_members: int = 0
    author: User | None = None  # known when this delivery created the PR
    new: bool = False


def ignored(reason: str) -> Outcome:
    return Outcome(202, {"status": "ignored", "reason": reason})


class WebhookSync:
    def __init__(
        self,
        db: Db,
        directory: TeamDirectory,
        chooser: Chooser,
        changes: ChangeFeed,
        on_enqueued: Callable[[], None],
    ) -> None:
        self.db = db
        self.directory = directory
        self.chooser = chooser
        self.changes = changes
        self.on_enqueued = on_enqueued
        # Installations this process already saved: saves a query on every delivery.
        self._installations: dict[str, int] = {}

    @retry_transient
    async def handle(self, host: Host, delivery: str, parsed: Parsed) -> Outcome:
        if isinstance(parsed, Ping):
            return Outcome(200, {"status": "pong", "note": parsed.note})
        if isinstance(parsed, Ignored):
            log.info("%s delivery %s ignored: %s", host, delivery, parsed.reason)
            return ignored(parsed.reason)
        async with self.db.transaction() as conn:
            if not await host_sync.record_delivery(conn, host, delivery):
                return Outcome(200, {"status": "duplicate", "delivery": delivery})
            outcome = await self._apply(conn, parsed)
            if outcome.status == 202:
                # Not remembered: a redelivery after fixing the team config is applied.
                await host_sync.forget_delivery(conn, host, delivery)
        if parsed.installation_id is not None:  # committed: no need to write it again
            self._installations[parsed.ref.repo] = parsed.installation_id
        if outcome.status == 202:
            log.info("%s delivery %s ignored: %s", host, delivery, outcome.body["reason"])
        elif outcome.body.get("assigned"):
            self.on_enqueued()
        return outcome

    async def _apply(self, conn: Connection, ev: PrEvent) -> Outcome:
        await self._remember(conn, ev)
        pr_id = ev.ref.pr_id
        pr = await prs.fetch_pr(conn, pr_id, lock=True)
        if pr is None:
            if not any(k in OPENING for k in ev.kinds):
                return ignored(f"pull request '{pr_id}' is not known to reviewbot")
            author = await self._author(conn, ev)
            if author is None:
                return ignored(
                    f"unknown author: no member has the {ev.ref.host} handle "
                    f"'{ev.author or ev.author_numeric_id}'"
                )
            run = await self._create(conn, ev, author)
        else:
            run = _Run(pr)
        for kind in ev.kinds:  # each step keeps run.pr up to date itself
            await self._step(conn, ev, kind, run)
        return Outcome(
            200,
            {
                "status": "applied",
                "pull_request_id": pr_id,
                "actions": [str(k) for k in ev.kinds],
                "assigned": run.assigned,
                "reviewers": list(run.pr.assigned_reviewers),
                "pr_status": str(run.pr.status),
                "notes": run.notes,
            },
        )

    async def _create(self, conn: Connection, ev: PrEvent, author: User) -> _Run:
        pr_id = ev.ref.pr_id
        created_at = await prs.insert_pr(conn, pr_id, ev.title, author.user_id)
        if created_at is None:  # a concurrent delivery created it first: use theirs
            pr = await prs.fetch_pr(conn, pr_id, lock=True)
            assert pr is not None
            return _Run(pr)
        pr = PullRequest(pr_id, ev.title, author.user_id, PrStatus.OPEN, (), created_at, None)
        return _Run(pr, author=author, new=True)

    async def _remember(self, conn: Connection, ev: PrEvent) -> None:
        repo, installation = ev.ref.repo, ev.installation_id
        if installation is not None and self._installations.get(repo) != installation:
            await host_sync.save_installation(conn, repo, installation)
        await host_sync.save_gitlab_users(conn, ev.known_users)

    async def _author(self, conn: Connection, ev: PrEvent) -> User | None:
        handle = ev.author
        if handle is None and ev.author_numeric_id is not None:
            handle = await host_sync.gitlab_username(conn, ev.author_numeric_id)
        if handle is None:
            return None
        return await host_sync.member_by_handle(conn, ev.ref.host, handle)

    async def _step(self, conn: Connection, ev: PrEvent, kind: Kind, run: _Run) -> None:
        pr_id = run.pr.pull_request_id
        if kind is Kind.RENAMED:
            await host_sync.rename(conn, pr_id, ev.title)
            run.pr = replace(run.pr, pull_request_name=ev.title)
        elif kind is Kind.MERGED:
            run.pr = await prs.merge(conn, pr_id) or run.pr
        elif run.pr.status is PrStatus.MERGED:
            run.notes.append(f"{kind}: the PR is merged; its reviewers never change")
        elif kind is Kind.CLOSED:
            await host_sync.set_open_status(conn, pr_id, PrStatus.CLOSED)
            run.pr = replace(run.pr, status=PrStatus.CLOSED)
        elif kind is Kind.REVIEWERS_ADDED:
            await self._mirror_added(conn, ev.ref.host, ev.added, run)
        elif kind is Kind.REVIEWERS_REMOVED:
            await self._mirror_removed(conn, ev.ref.host, ev.removed, run)
        else:  # OPENED or DRAFT_OPENED: (re)open, copy the host's requests, top up if ready
            if run.pr.status is PrStatus.CLOSED:
                await host_sync.set_open_status(conn, pr_id, PrStatus.OPEN)
                run.pr = replace(run.pr, status=PrStatus.OPEN)
            await self._mirror_added(conn, ev.ref.host, ev.requested, run)
            if kind is Kind.OPENED:
                await self._top_up(conn, run)
            else:
                run.notes.append("draft: reviewers are chosen when it is ready for review")

    async def _mirror_added(
        self, conn: Connection, host: Host, handles: tuple[str, ...], run: _Run
    ) -> None:
        pr = run.pr
        reviewers = list(pr.assigned_reviewers)
        named = [(h, await host_sync.member_by_handle(conn, host, h)) for h in handles]
        active = await host_sync.lock_active(conn, [u.user_id for _, u in named if u])
        for handle, user in named:
            if user is None or user.user_id not in active:
                run.non_members += 1
                run.notes.append(f"'{handle}' is not an active member; left to the host")
                continue
            if user.user_id == pr.author_id or user.user_id in reviewers:
                continue
            if len(reviewers) >= MAX_REVIEWERS:
                run.notes.append(f"'{handle}' not stored: the PR already has {len(reviewers)}")
                continue
            slot = await self._next_slot(conn, pr.pull_request_id, reviewers)
            await prs.add_reviewers(conn, pr.pull_request_id, [user.user_id], slot, source="host")
            reviewers.append(user.user_id)
            change = ReviewerChange(pr.pull_request_id, (user.user_id,), origin=Origin.HOST)
            await self.changes.publish(conn, change)
        run.pr = replace(pr, assigned_reviewers=tuple(reviewers))

    async def _mirror_removed(
        self, conn: Connection, host: Host, handles: tuple[str, ...], run: _Run
    ) -> None:
        pr_id = run.pr.pull_request_id
        for handle in handles:
            user = await host_sync.member_by_handle(conn, host, handle)
            if user is None:
                continue
            if not await host_sync.remove_reviewer(conn, pr_id, user.user_id, "host"):
                continue
            kept = tuple(r for r in run.pr.assigned_reviewers if r != user.user_id)
            run.pr = replace(run.pr, assigned_reviewers=kept)
            change = ReviewerChange(pr_id, removed=(user.user_id,), origin=Origin.HOST)
            await self.changes.publish(conn, change)

    async def _next_slot(self, conn: Connection, pr_id: str, reviewers: Sequence[str]) -> int:
        # With nobody on the PR every slot is free; otherwise removals may have left gaps.
        return 0 if not reviewers else await host_sync.next_slot(conn, pr_id)

    async def _top_up(self, conn: Connection, run: _Run) -> None:
        """Bring the PR to the team's count; people requested on the host count too."""
        pr = run.pr
        author = run.author or await users.fetch_user(conn, pr.author_id)
        if author is None:
            return
        team = await self.directory.team(author.team_name, conn, local_ok=True)
        target = team.reviewers if team is not None else MAX_REVIEWERS
        wanted = target - len(pr.assigned_reviewers) - run.non_members
        if wanted <= 0:
            return
        refused = [] if run.new else await outbox_store.rejected_users(conn, pr.pull_request_id)
        exclude = {pr.author_id, *pr.assigned_reviewers, *refused}
        chosen = await self.chooser.choose_and_lock(
            conn, author.team_name, exclude=exclude, count=wanted
        )
        if not chosen:
            run.notes.append(f"no active member of team '{author.team_name}' is left to review")
            return
        slot = await self._next_slot(conn, pr.pull_request_id, pr.assigned_reviewers)
        await prs.add_reviewers(conn, pr.pull_request_id, chosen, slot, source="webhook")
        change = ReviewerChange(pr.pull_request_id, added=tuple(chosen), origin=Origin.WEBHOOK)
        await self.changes.publish(conn, change)
        run.assigned.extend(chosen)
        run.pr = replace(pr, assigned_reviewers=(*pr.assigned_reviewers, *chosen))
