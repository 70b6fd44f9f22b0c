"""Applying a parsed delivery to the store: one transaction, the delivery claimed first.

What to do is decided by the pure ``bot.core.delivery`` (``plan``, ``mirror``, ``wanted``,
the answers); this module reads the facts those decisions need and runs the steps. The
handler never calls a host: reviewers chosen here reach the host through the outbox rows
that ``bot.services.outbox.outbox_listener`` writes in this same transaction. Reviewer
changes that copy what a human did on the host are published as ``Origin.HOST``: no echo.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from bot.core.delivery import (
    Merge,
    Mirror,
    Note,
    Outcome,
    Progress,
    Rename,
    SetStatus,
    Step,
    TopUp,
    Unmirror,
    duplicate,
    exclusions,
    ignored,
    mirror,
    nobody_left,
    plan,
    pong,
    queued,
    unknown_author,
    unknown_pr,
    wanted,
)
from bot.core.errors import BadRequest, Unavailable
from bot.core.events import Kind
from bot.core.models import Mode, Team, User
from bot.hosts.base import HostMemory
from bot.hosts.dispatch import parse
from bot.hosts.events import ActivityEvent, CommentEvent, Ignored, Parsed, Ping, PrEvent, Pushed
from bot.hosts.registry import HOSTS, parse_pr_id
from bot.services.changes import ChangeFeed, Origin, ReviewerChange
from bot.services.chooser import Chooser
from bot.services.commands import CommentCommands, own_names
from bot.services.review_clock import ReviewClock
from bot.services.suggest import OFF_NOTE, Suggestions, assigns, suggest_note
from bot.services.teams import TeamDirectory
from store import host_sync, users
from store import outbox as outbox_store
from store import pull_requests as prs
from store import routing as routing_store
from store.db import Connection, Db
from store.retry import retry_transient
from store.spool import Entry, Spool

__all__ = ["Outcome", "WebhookSync"]

# With path rules or CODEOWNERS the choice waits for the changed files, which only the host
# knows: the routing worker reads them (this handler never calls a host) and chooses.
ROUTED_NOTE = "reviewers are chosen once the changed files are read from the host"

log = logging.getLogger(__name__)


def replay_headers(host: str) -> tuple[str, ...]:
    """What parsing reads besides the body: the event header(s) and the content type."""
    return (*HOSTS[host].event_headers, "content-type")


class WebhookSync:
    def __init__(
        self,
        db: Db,
        directory: TeamDirectory,
        chooser: Chooser,
        changes: ChangeFeed,
        on_enqueued: Callable[[], None],
        memories: Mapping[str, HostMemory],
        spool: Spool | None = None,
        on_spooled: Callable[[], None] = lambda: None,
        bot_name: str = "reviewbot",
        on_routed: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.directory = directory
        self.chooser = chooser
        self.changes = changes
        self.on_enqueued = on_enqueued
        self.memories = memories  # per host: what its payloads teach beyond the PR
        self.spool = spool  # None: deliveries are refused (503) while PostgreSQL is down
        self.on_spooled = on_spooled
        self.comments = CommentCommands(bot_name, chooser, directory, changes, memories)
        self.suggestions = Suggestions(bot_name)
        self.on_routed = on_routed  # wakes the routing worker
        self.bot_name = bot_name
        self.review_clock = ReviewClock()

    async def receive(
        self, host: str, delivery: str, parsed: Parsed, headers: Mapping[str, str], body: bytes
    ) -> Outcome:
        """A verified delivery: applied now, or spooled while PostgreSQL is unreachable.

        While the spool holds anything, PR events queue behind it so that they are applied
        in arrival order; pings and ignored events never touch the store.
        """
        if self.spool is None or not isinstance(parsed, PrEvent | CommentEvent | ActivityEvent):
            return await self.handle(host, delivery, parsed)
        if not self.spool.pending():  # one stat(): cheaper than a hop to a thread
            try:
                return await self.handle(host, delivery, parsed)
            except Unavailable as exc:
                log.warning("%s delivery %s spooled: %s", host, delivery, exc.message)
        kept = {k: v for k in replay_headers(host) if (v := headers.get(k))}
        await asyncio.to_thread(self.spool.append, host, delivery, kept, body)
        self.on_spooled()
        return queued(delivery)

    async def apply_spooled(self, entry: Entry) -> Outcome:
        """A spooled delivery, parsed again from what was kept; the same dedupe applies."""
        r = entry.record
        spec = HOSTS.get(r.host)
        if spec is None:
            raise BadRequest(f"no code host {r.host!r} in this version of reviewbot")
        parsed = parse(spec, r.headers, r.body.encode())
        if isinstance(parsed, PrEvent):
            parsed = replace(parsed, received_at=datetime.fromtimestamp(r.at, UTC))
        return await self.handle(r.host, r.delivery, parsed)

    @retry_transient
    async def handle(self, host: str, delivery: str, parsed: Parsed) -> Outcome:
        if isinstance(parsed, Ping):
            return pong(parsed.note)
        if isinstance(parsed, Ignored):
            log.info("%s delivery %s ignored: %s", host, delivery, parsed.reason)
            return ignored(parsed.reason)
        if isinstance(parsed, CommentEvent):
            return await self._comment(host, delivery, parsed)
        if isinstance(parsed, Pushed):
            return await self._pushed(host, parsed)
        if isinstance(parsed, ActivityEvent):
            return await self._activity(host, delivery, parsed)
        async with self.db.transaction() as conn:
            claimed, routed = await host_sync.claim_pr_delivery(conn, host, delivery)
            if not claimed:
                return duplicate(delivery)
            outcome = await self._apply(conn, parsed, routed)
            if outcome.ignored:
                # Not remembered: a redelivery after fixing the team config is applied.
                await host_sync.forget_delivery(conn, host, delivery)
        self.memories[host].committed(parsed)
        if outcome.ignored:
            log.info("%s delivery %s ignored: %s", host, delivery, outcome.body["reason"])
        elif outcome.enqueued:
            self.on_enqueued()
        if ROUTED_NOTE in outcome.body.get("notes", ()):
            self.on_routed()
        return outcome

    async def _activity(self, host: str, delivery: str, ev: ActivityEvent) -> Outcome:
        """A review, push or back-to-draft: the review clock's facts, once per delivery."""
        async with self.db.transaction() as conn:
            if not await host_sync.record_delivery(conn, host, delivery):
                return duplicate(delivery)
            outcome = await self.review_clock.activity(conn, ev)
            if outcome.ignored:
                await host_sync.forget_delivery(conn, host, delivery)
        if outcome.ignored:
            log.info("%s delivery %s ignored: %s", host, delivery, outcome.body["reason"])
        return outcome

    async def _comment(self, host: str, delivery: str, ev: CommentEvent) -> Outcome:
        """A comment's commands, applied once per delivery like a PR event; a comment
        by a requested reviewer is also their response (issue 15)."""
        commands = self.comments.commands_of(ev)
        if isinstance(commands, Outcome):  # the bot's own comment, or no command in it
            if ev.author is not None and ev.author.lower() not in own_names(self.bot_name):
                return await self._plain_comment(host, delivery, ev, commands)
            log.info("%s delivery %s ignored: %s", host, delivery, commands.body["reason"])
            return commands
        async with self.db.transaction() as conn:
            if not await host_sync.record_delivery(conn, host, delivery):
                return duplicate(delivery)
            # A resend may carry a new delivery id (some hosts' event UUIDs do); the comment's
            # own id is what must run once. Delivery ids are UUIDs, so the key cannot clash.
            if not await host_sync.record_delivery(conn, host, f"comment:{ev.comment_id}"):
                return duplicate(delivery)
            responded = await self.review_clock.respond(conn, ev.ref, ev.author)
            outcome, touched = await self.comments.apply(conn, ev, commands)
            outcome.body["responded"] = responded
        self.memories[host].committed(ev)
        if touched:  # away / back changed who may be chosen
            await self.directory.invalidate(touched)
        self.on_enqueued()  # at least the reaction waits in the outbox
        return outcome

    async def _pushed(self, host: str, push: Pushed) -> Outcome:
        """A push to the default branch drops its cached CODEOWNERS; nothing else to do."""
        if not push.to_default_branch:
            return ignored("push to a branch other than the default one")
        async with self.db.connection() as conn:
            await routing_store.forget_codeowners(conn, host, push.repo)
        return ignored("push to the default branch: its CODEOWNERS is read again when needed")

    async def _plain_comment(
        self, host: str, delivery: str, ev: CommentEvent, no_command: Outcome
    ) -> Outcome:
        """A comment without commands: a response when a requested reviewer wrote it."""
        async with self.db.transaction() as conn:
            if not await host_sync.record_delivery(conn, host, delivery):
                return duplicate(delivery)
            who = await self.review_clock.respond(conn, ev.ref, ev.author)
            if who is None:
                await host_sync.forget_delivery(conn, host, delivery)
        if who is None:
            log.info("%s delivery %s ignored: %s", host, delivery, no_command.body["reason"])
            return no_command
        body = {"status": "applied", "pull_request_id": ev.ref.pr_id, "actions": ["comment"]}
        return Outcome({**body, "responded": who, "notes": []})

    async def _apply(self, conn: Connection, ev: PrEvent, routed: bool) -> Outcome:
        """``routed``: path rules or CODEOWNERS are on (read with the delivery's claim)."""
        if ev.kinds == (Kind.NEW_COMMITS,) and not routed:
            return await self.review_clock.new_commits(conn, ev.ref.pr_id)  # reviewers stay
        await self.memories[ev.ref.host].remember(conn, ev)
        run = await self._start(conn, ev)
        if isinstance(run, Outcome):
            return run
        for step in plan(ev, run.pr.status):
            run = await self._step(conn, ev, step, run, routed)
        pr_id = run.pr.pull_request_id
        await self.review_clock.after_pr_event(conn, pr_id, ev.kinds, created=run.new)
        return run.answer(ev.kinds)

    async def _start(self, conn: Connection, ev: PrEvent) -> Progress | Outcome:
        """The stored PR (locked), or the one this delivery creates, or why it is ignored."""
        pr = await prs.fetch_pr(conn, ev.ref.pr_id, lock=True)
        if pr is not None:
            return Progress(pr)
        unknown = unknown_pr(ev.ref.pr_id, ev.kinds)
        if unknown is not None:
            return unknown
        author = await self._author(conn, ev)
        if author is None:
            return unknown_author(ev.ref.host, ev.author or ev.author_numeric_id)
        return await self._create(conn, ev, author)

    async def _create(self, conn: Connection, ev: PrEvent, author: User) -> Progress:
        pr_id = ev.ref.pr_id
        created_at = await prs.insert_pr(conn, pr_id, ev.title, author.user_id, ev.received_at)
        if created_at is None:  # a concurrent delivery created it first: use theirs
            pr = await prs.fetch_pr(conn, pr_id, lock=True)
            assert pr is not None
            return Progress(pr)
        return Progress.created(pr_id, ev.title, author, created_at)

    async def _author(self, conn: Connection, ev: PrEvent) -> User | None:
        handle = await self.memories[ev.ref.host].author_handle(conn, ev)
        if handle is None:
            return None
        return await host_sync.member_by_handle(conn, ev.ref.host, handle)

    async def _step(
        self, conn: Connection, ev: PrEvent, step: Step, run: Progress, routed: bool
    ) -> Progress:
        pr_id, host = run.pr.pull_request_id, ev.ref.host
        match step:
            case Rename(title=title):
                await host_sync.rename(conn, pr_id, title)
                return run.renamed(title)
            case Merge():
                return run.with_pr(await prs.merge(conn, pr_id, ev.received_at))
            case SetStatus(status=status):
                await host_sync.set_open_status(conn, pr_id, status)
                return run.with_status(status)
            case Mirror(handles=handles):
                return await self._mirror_added(conn, host, handles, run)
            case Unmirror(handles=handles):
                return await self._mirror_removed(conn, host, handles, run)
            case TopUp(new_commits=new_commits):
                if routed:
                    await self._route(conn, ev, run, new_commits)
                    return run.noted(ROUTED_NOTE)
                if new_commits:
                    return run.noted("new commits do not change reviewers")
                return await self._top_up(conn, run)
            case Note(text=text):
                return run.noted(text)

    async def _mirror_added(
        self, conn: Connection, host: str, handles: tuple[str, ...], run: Progress
    ) -> Progress:
        named = [(h, await host_sync.member_by_handle(conn, host, h)) for h in handles]
        ids = [(h, u.user_id if u else None) for h, u in named]
        known = [u for _, u in ids if u]
        active = await host_sync.lock_active(conn, known) if known else set()
        decided = mirror(ids, active, run.pr.author_id, run.pr.assigned_reviewers)
        pr_id, reviewers = run.pr.pull_request_id, list(run.pr.assigned_reviewers)
        for user_id in decided.add:
            slot = await self._next_slot(conn, pr_id, reviewers)
            await prs.add_reviewers(conn, pr_id, [user_id], slot, source="host")
            reviewers.append(user_id)
            change = ReviewerChange(pr_id, (user_id,), origin=Origin.HOST)
            await self.changes.publish(conn, change)
        return run.mirrored(decided)

    async def _mirror_removed(
        self, conn: Connection, host: str, handles: tuple[str, ...], run: Progress
    ) -> Progress:
        pr_id = run.pr.pull_request_id
        for handle in handles:
            user = await host_sync.member_by_handle(conn, host, handle)
            if user is None:
                continue
            if not await host_sync.remove_reviewer(conn, pr_id, user.user_id, "host"):
                continue
            run = run.unmirrored(user.user_id)
            change = ReviewerChange(pr_id, removed=(user.user_id,), origin=Origin.HOST)
            await self.changes.publish(conn, change)
        return run

    async def _route(self, conn: Connection, ev: PrEvent, run: Progress, new: bool) -> None:
        """With path rules or CODEOWNERS on, leave the choice to the routing worker."""
        reason = "new_commits" if new else "opened"
        await routing_store.enqueue_job(
            conn, ev.ref.host, run.pr.pull_request_id, reason, ev.default_branch, run.non_members
        )

    async def _next_slot(self, conn: Connection, pr_id: str, reviewers: Sequence[str]) -> int:
        # With nobody on the PR every slot is free; otherwise removals may have left gaps.
        return 0 if not reviewers else await host_sync.next_slot(conn, pr_id)

    async def _top_up(self, conn: Connection, run: Progress) -> Progress:
        """Bring the PR to the team's count; people requested on the host count too."""
        pr = run.pr
        author = run.author or await users.fetch_user(conn, pr.author_id)
        if author is None:
            return run
        team = await self.directory.team(author.team_name, conn, local_ok=True)
        if not assigns(team):
            return await self._not_assigning(conn, run, team)
        count = wanted(team, pr.assigned_reviewers, run.non_members)
        if count <= 0:
            return run
        refused = [] if run.new else await outbox_store.rejected_users(conn, pr.pull_request_id)
        exclude = exclusions(pr.author_id, pr.assigned_reviewers, refused)
        chosen = await self.chooser.choose_and_lock(
            conn,
            author.team_name,
            exclude=exclude,
            count=count,
            author=pr.author_id,
            refused=refused,
        )
        if not chosen:
            return run.noted(nobody_left(author.team_name))
        slot = await self._next_slot(conn, pr.pull_request_id, pr.assigned_reviewers)
        await prs.add_reviewers(conn, pr.pull_request_id, chosen, slot, source="webhook")
        change = ReviewerChange(pr.pull_request_id, added=tuple(chosen), origin=Origin.WEBHOOK)
        await self.changes.publish(conn, change)
        return run.topped_up(chosen)

    async def _not_assigning(self, conn: Connection, run: Progress, team: Team | None) -> Progress:
        """Mode off: nothing; suggest: the choice goes to the suggestion comment."""
        if team is None or team.mode is Mode.OFF:
            return run.noted(OFF_NOTE)
        ref = parse_pr_id(run.pr.pull_request_id)
        if ref is None:
            return run
        chosen, posted = await self.suggestions.top_up(
            conn, self.chooser, ref.host, run.pr, team, run.non_members
        )
        return run.suggested(chosen, posted).noted(suggest_note(chosen))
