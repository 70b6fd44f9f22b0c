"""What webhooks tell the review clock (issue 15): a reviewer's first response, and the
pauses while a PR is a draft or waits on its author.

Runs inside the delivery's transaction (same dedupe as every delivery). Responses come
from reviews, review comments and PR comments; a comment is a response *and* may hold
commands — both happen.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from bot.core.delivery import Outcome, ignored
from bot.core.events import Kind
from bot.hosts.events import Activity, ActivityEvent, PrRef
from store import host_sync
from store import pull_requests as prs
from store import review_requests as store
from store.db import Connection


def utcnow() -> datetime:
    return datetime.now(UTC)


class ReviewClock:
    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self.clock = clock

    async def activity(self, conn: Connection, ev: ActivityEvent) -> Outcome:
        """Apply one review event; ignored for an unknown PR."""
        pr_id = ev.ref.pr_id
        pr = await prs.fetch_pr(conn, pr_id)
        if pr is None:
            return ignored(f"pull request '{pr_id}' is not known to reviewbot")
        now = self.clock()
        notes: list[str] = []
        who = await self.respond(conn, ev.ref, ev.actor) if ev.activity.responds else None
        if ev.activity is Activity.CHANGES_REQUESTED:
            await store.pause(conn, pr_id, "author", now)
            notes.append("the review clock waits on the author until new commits")
        return Outcome(
            {
                "status": "applied",
                "pull_request_id": pr_id,
                "actions": [str(ev.activity)],
                "responded": who,
                "reviewers": list(pr.assigned_reviewers),
                "pr_status": str(pr.status),
                "notes": notes,
            }
        )

    async def respond(self, conn: Connection, ref: PrRef, actor: str | None) -> str | None:
        """Record ``actor``'s first response on the PR; their user id when it was one."""
        if actor is None:
            return None
        user = await host_sync.member_by_handle(conn, ref.host, actor)
        if user is None:
            return None
        first = await store.respond(conn, ref.pr_id, user.user_id, self.clock())
        return user.user_id if first else None

    async def new_commits(self, conn: Connection, pr_id: str) -> Outcome:
        """New commits with no path rules: reviewers stay, the author has answered."""
        pr = await prs.fetch_pr(conn, pr_id)
        if pr is None:
            return ignored(f"pull request '{pr_id}' is not known to reviewbot")
        await store.resume(conn, pr_id, "author", self.clock())
        return Outcome(
            {
                "status": "applied",
                "pull_request_id": pr_id,
                "actions": [str(Kind.NEW_COMMITS)],
                "responded": None,
                "reviewers": list(pr.assigned_reviewers),
                "pr_status": str(pr.status),
                "notes": [],
            }
        )

    async def after_pr_event(
        self, conn: Connection, pr_id: str, kinds: tuple[Kind, ...], *, created: bool = False
    ) -> None:
        """A PR opened as (or back to) a draft stops the clock; ready starts it again; new
        commits end a wait on the author. Time closed never counts: closing pauses the
        clock, reopening resumes it (a reopened PR is not late for its closed days).
        ``created``: the PR was inserted in this transaction: it has no pause to end, and
        its requests were just started due now (the trigger of migration 0010), so the
        resumes and the look again (a round trip each) are left out."""
        resumes = not created
        if Kind.NEW_COMMITS in kinds and resumes:
            await store.resume(conn, pr_id, "author", self.clock())
        if Kind.CLOSED in kinds:
            await store.pause(conn, pr_id, "closed", self.clock())
        if (Kind.OPENED in kinds or Kind.DRAFT_OPENED in kinds) and resumes:
            await store.resume(conn, pr_id, "closed", self.clock())
        if Kind.DRAFT_OPENED in kinds or Kind.TO_DRAFT in kinds:
            await store.pause(conn, pr_id, "draft", self.clock())
        elif Kind.OPENED in kinds and resumes:  # ready, or reopened: looked at again
            await store.resume(conn, pr_id, "draft", self.clock())
            await store.look_again(conn, pr_id, self.clock())
