"""Review follow-through (issue 15): nudge a silent reviewer, then escalate.

Every instance runs one ``ReviewScheduler``; a pass claims due requests with ``FOR UPDATE
SKIP LOCKED`` (store.review_requests), asks the pure ``bot.core.sla.follow_up`` what is due
and writes the answer — the nudge's comment in the outbox and ``nudged_at`` — in the same
transaction, so two instances never nudge twice and a restart repeats nothing.

An escalation replaces the silent reviewer (a PR has at most two reviewers, so adding one
is not always possible; replacing works the same on every PR: docs/decisions.md). It runs
in its own transaction that locks the PR first, like every reviewer change, then checks
the request again under its row lock; the claim only pushed the row's due time a lease
ahead, so a crash in between is retried by whoever claims it next.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from bot.core.delivery import exclusions
from bot.core.models import PrStatus, PullRequest
from bot.core.sla import Action, follow_up
from bot.hosts.registry import parse_pr_id
from bot.observability.metrics import REVIEW_FOLLOW_UPS as FOLLOW_UPS
from bot.services.changes import ChangeFeed, Origin, ReviewerChange
from bot.services.chooser import Chooser
from bot.services.outbox_kinds import enqueue_message, enqueue_messages
from bot.services.review_clock import utcnow
from config.team_sla import format_duration
from store import commands as seats
from store import outbox as outbox_store
from store import pull_requests as prs
from store import review_requests as store
from store.db import Connection, Db

log = logging.getLogger(__name__)

BATCH = 500  # due rows per claim (one transaction)
MAX_BATCHES = 200  # per pass: a pass is bounded, the next one continues
ESCALATION_LEASE = timedelta(seconds=60)


class ReviewScheduler:
    def __init__(
        self,
        db: Db,
        chooser: Chooser,
        changes: ChangeFeed,
        on_enqueued: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = utcnow,
        poll_seconds: float = 30.0,
    ) -> None:
        self.db = db
        self.chooser = chooser
        self.changes = changes
        self.on_enqueued = on_enqueued
        self.clock = clock
        self.poll_seconds = poll_seconds

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_pass()
            except Exception:  # a failing pass (database away) is retried next poll
                log.exception("review scheduler pass failed")
            await asyncio.sleep(self.poll_seconds)

    async def run_pass(self) -> int:
        """Handle every request due now (bounded); how many rows were looked at."""
        handled = 0
        for _ in range(MAX_BATCHES):
            now = self.clock()
            async with self.db.transaction() as conn:
                due = await store.claim_due(conn, now, BATCH)
                escalate = await self._decide(conn, due, now)
            for pr_id, user_id, after in escalate:
                await self.escalate(pr_id, user_id, after)
            handled += len(due)
            if len(due) < BATCH:
                break
        if handled:
            self.on_enqueued()
        return handled

    async def _decide(
        self, conn: Connection, due: list[store.Due], now: datetime
    ) -> list[tuple[str, str, int]]:
        later: list[tuple[str, str, datetime | None]] = []
        escalate: list[tuple[str, str, int]] = []
        late: list[store.Due] = []
        for row in due:
            if row.pr_status != PrStatus.OPEN or (
                row.sla.first_response is None and row.sla.escalate_after is None
            ):
                later.append((row.pull_request_id, row.user_id, None))
                continue
            # A passed target is always recorded (a breach); the comment only with nudge.
            sla = replace(row.sla, nudge=row.sla.first_response is not None)
            step = follow_up(sla, row.plan, row.request, now, row.paused, row.paused_now)
            if step.action is Action.NUDGE:
                late.append(row)
            elif step.action is Action.ESCALATE:
                escalate.append((row.pull_request_id, row.user_id, row.sla.escalate_after or 0))
                later.append((row.pull_request_id, row.user_id, now + ESCALATION_LEASE))
                continue
            later.append((row.pull_request_id, row.user_id, step.next_at))
        await store.set_due(conn, later)
        await self._nudge(conn, late, now)
        return escalate

    async def _nudge(self, conn: Connection, late: list[store.Due], now: datetime) -> None:
        """Record the breaches; one reminder comment per request whose team asks for it
        (a PR of the REST API has nowhere to comment: the record stays)."""
        pairs = [(row.pull_request_id, row.user_id) for row in late]
        await store.mark_late_many(conn, pairs, now, [row.sla.nudge for row in late])
        FOLLOW_UPS.labels("late").inc(len(late))
        wanted = [
            (row, ref)
            for row in late
            if row.sla.nudge and (ref := parse_pr_id(row.pull_request_id))
        ]
        names = await store.handles(conn, [(ref.host, row.user_id) for row, ref in wanted])
        await enqueue_messages(
            conn,
            "reply",
            [
                (
                    ref.host,
                    row.pull_request_id,
                    {"text": _reminder(names[(ref.host, row.user_id)], row)},
                )
                for row, ref in wanted
            ],
        )
        FOLLOW_UPS.labels("nudged").inc(len(wanted))

    async def escalate(self, pr_id: str, silent: str, after: int) -> str | None:
        """Replace ``silent`` on the PR; whom, or None (nobody else, or nothing to do)."""
        async with self.db.transaction() as conn:
            pr = await prs.fetch_pr(conn, pr_id, lock=True)
            if pr is None or not await store.lock_escalation(conn, pr_id, silent):
                return None
            now = self.clock()
            if pr.status != PrStatus.OPEN or silent not in pr.assigned_reviewers:
                await store.mark_escalated(conn, pr_id, silent, None, now)
                return None
            chosen = await self._replacement(conn, pr, silent, after)
            await store.mark_late(conn, pr_id, silent, now, nudged=False)  # a breach too
            await store.mark_escalated(conn, pr_id, silent, chosen, now)
            await self._announce(conn, pr_id, silent, chosen, after)
        FOLLOW_UPS.labels("escalated" if chosen else "unescalated").inc()
        self.on_enqueued()
        return chosen

    async def _replacement(
        self, conn: Connection, pr: PullRequest, silent: str, after: int
    ) -> str | None:
        pr_id, author, reviewers = pr.pull_request_id, pr.author_id, pr.assigned_reviewers
        team = await store.team_of(conn, silent)
        if team is None:
            return None
        refused = await outbox_store.rejected_users(conn, pr_id)
        # Nobody an escalation took off, nor anyone who handed this review off themselves.
        gone = await store.escalated_away(conn, pr_id) | await seats.released_away(conn, pr_id)
        exclude = exclusions(author, reviewers, refused) | gone
        reason = {"escalation": True, "silent": silent, "after": format_duration(after)}
        await conn.execute("SELECT set_config('reviewbot.reason', $1, true)", json.dumps(reason))
        chosen = await self.chooser.choose_and_lock(
            conn, team, exclude=exclude, count=1, author=author, replacing=silent, refused=refused
        )
        if not chosen:
            return None
        await prs.replace_reviewer(conn, pr_id, silent, chosen[0], "sla")
        await store.restart(conn, pr_id, chosen[0], self.clock())  # their clock: from now
        await self.changes.publish(
            conn, ReviewerChange(pr_id, (chosen[0],), (silent,), origin=Origin.SLA)
        )
        return chosen[0]

    async def _announce(
        self, conn: Connection, pr_id: str, silent: str, chosen: str | None, after: int
    ) -> None:
        ref = parse_pr_id(pr_id)
        if ref is None:
            return
        names = await seats.handles_of(conn, ref.host, [u for u in (silent, chosen) if u])
        await enqueue_message(
            conn, ref.host, pr_id, "reply", {"text": _why(names, silent, chosen, after)}
        )


def _reminder(handle: str, row: store.Due) -> str:
    target = format_duration(row.sla.first_response)
    return (
        f"@{handle}, a friendly reminder: your review of this pull request was requested"
        f" and the team's first-response target ({target} of working time) has passed."
        " A review, an approval or a comment here counts as a response."
    )


def _why(names: dict[str, str], silent: str, chosen: str | None, after: int) -> str:
    waited = f"@{names[silent]} has not responded within {format_duration(after)} of working time"
    if chosen is None:
        return f"⏰ {waited}, and nobody else in the team is available to take over."
    return (
        f"⏰ {waited} (the team's escalate_after), so reviewbot asked @{names[chosen]} to"
        f" review instead. @{names[chosen]}: you replace @{names[silent]}; a pull request"
        " has at most two reviewers."
    )
