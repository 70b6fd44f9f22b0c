"""Comment commands (issue 13): a comment's commands applied inside the delivery's
transaction, with the same dedupe, locks, selection and outbox as PR deliveries.

``WebhookSync`` hands a ``CommentEvent`` here after claiming its delivery id. The PR row is
locked first (so commands on one PR take turns with each other and with PR deliveries);
a PR reviewbot has not seen is recorded from the comment payload. Each command then runs
in a savepoint (``bot.services.command_steps``): refused, it leaves nothing behind. The
acknowledgement — one reaction, and one reply when there is something to say — is written
to the outbox in the same transaction, so it is sent exactly like reviewer changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.core.command_rules import (
    Actor,
    PrFacts,
    Report,
    command_word,
    needs_pr,
    refusal,
    refused,
)
from bot.core.commands import BadCommand, Parsed, parse_comment
from bot.core.delivery import Outcome, ignored
from bot.core.models import PrStatus, PullRequest
from bot.hosts.base import HostMemory
from bot.hosts.events import CommentEvent
from bot.services.changes import ChangeFeed
from bot.services.chooser import Chooser
from bot.services.command_steps import Refused, Step, run
from bot.services.outbox_kinds import enqueue_message
from bot.services.teams import TeamDirectory
from store import commands as store
from store import host_sync, users
from store import pull_requests as prs
from store.db import Connection


def own_names(bot: str) -> set[str]:
    return {bot.lower(), f"{bot.lower()}[bot]"}


class CommentCommands:
    def __init__(
        self,
        bot_name: str,
        chooser: Chooser,
        directory: TeamDirectory,
        changes: ChangeFeed,
        memories: Mapping[str, HostMemory],
    ) -> None:
        self.bot = bot_name
        self.chooser = chooser
        self.directory = directory
        self.changes = changes
        self.memories = memories

    def commands_of(self, ev: CommentEvent) -> list[Parsed] | Outcome:
        """The comment's commands, or why it is ignored (the bot's own, or none at all);
        decided before the store is touched."""
        if ev.author is None or ev.author.lower() in own_names(self.bot):
            return ignored("a comment by reviewbot itself")
        found = parse_comment(ev.body, self.bot)
        return found if found else ignored("the comment holds no command")

    async def apply(
        self, conn: Connection, ev: CommentEvent, commands: Sequence[Parsed]
    ) -> tuple[Outcome, set[str]]:
        """Apply the commands; the answer and the teams whose cached data changed."""
        await self.memories[ev.ref.host].remember(conn, ev)
        actor = await self._actor(conn, ev)
        pr = await self._pr(conn, ev, commands)
        step = Step(
            conn,
            ev.ref.host,
            actor,
            pr,
            self.bot,
            self.chooser.today(),
            self.chooser,
            self.directory,
            self.changes,
            set(),
        )
        report = Report()
        for command in commands:
            await self._one(step, command, report)
        await self._acknowledge(conn, ev, report)
        return self._answer(ev, step, commands, report), step.touched_teams

    async def _actor(self, conn: Connection, ev: CommentEvent) -> Actor:
        handle = ev.author or ""
        member = await host_sync.member_by_handle(conn, ev.ref.host, handle)
        if member is None:
            return Actor(handle)
        return Actor(handle, member.user_id, member.team_name)

    async def _pr(
        self, conn: Connection, ev: CommentEvent, commands: Sequence[Parsed]
    ) -> PullRequest | None:
        """The PR, locked; recorded from the payload first when reviewbot has not seen it."""
        pr_id = ev.ref.pr_id
        pr = await prs.fetch_pr(conn, pr_id, lock=True)
        wanted = any(not isinstance(c, BadCommand) and needs_pr(c) for c in commands)
        if pr is not None or not wanted:
            return pr
        handle = await self.memories[ev.ref.host].pr_author_handle(conn, ev)
        author = await host_sync.member_by_handle(conn, ev.ref.host, handle) if handle else None
        if author is None:
            return None
        await prs.insert_pr(conn, pr_id, ev.title, author.user_id)  # a racing twin: theirs
        pr = await prs.fetch_pr(conn, pr_id, lock=True)
        if pr is not None and ev.pr_state == "merged":
            return await prs.merge(conn, pr_id)
        if pr is not None and ev.pr_state == "closed" and pr.status is PrStatus.OPEN:
            await host_sync.set_open_status(conn, pr_id, PrStatus.CLOSED.value)
            return await prs.fetch_pr(conn, pr_id)
        return pr

    async def _facts(self, conn: Connection, pr: PullRequest | None) -> PrFacts | None:
        if pr is None:
            return None
        author = await users.fetch_user(conn, pr.author_id)
        team = author.team_name if author else None
        return PrFacts(pr.author_id, team, pr.assigned_reviewers, pr.status)

    async def _one(self, step: Step, command: Parsed, report: Report) -> None:
        if isinstance(command, BadCommand):
            report.refuse(refused(command, command.problem, self.bot))
            return
        facts = await self._facts(step.conn, step.pr)
        problem = refusal(command, step.actor, facts, self.bot)
        if problem is not None:
            report.refuse(refused(command, problem, self.bot))
            return
        before = step.pr
        try:
            async with step.conn.transaction():  # a savepoint: a refusal undoes it all
                word = command_word(command)
                await store.set_reason(step.conn, command.line, step.actor.handle, word)
                said = await run(command, step)
        except Refused as exc:
            step.pr = before
            report.refuse(refused(command, exc.problem, self.bot))
            return
        report.ok(said)

    async def _acknowledge(self, conn: Connection, ev: CommentEvent, report: Report) -> None:
        host, pr_id = ev.ref.host, ev.ref.pr_id
        reaction = {"comment_id": ev.comment_id, "reaction": report.reaction.value}
        await enqueue_message(conn, host, pr_id, "react", reaction)
        text = report.reply()
        if text is not None:
            await enqueue_message(conn, host, pr_id, "reply", {"text": text})

    def _answer(
        self, ev: CommentEvent, step: Step, commands: Sequence[Parsed], report: Report
    ) -> Outcome:
        pr = step.pr
        return Outcome(
            {
                "status": "applied",
                "pull_request_id": ev.ref.pr_id,
                "commands": [c.line for c in commands],
                "reaction": report.reaction.value,
                "reply": report.reply(),
                "reviewers": list(pr.assigned_reviewers) if pr else [],
            }
        )
