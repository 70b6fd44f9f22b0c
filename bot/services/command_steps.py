"""What each comment command does to the store, once ``refusal`` let it run.

Each step runs inside its own savepoint of the delivery's transaction and either returns
what to say (None: nothing beyond the 👍) or raises ``Refused`` — the savepoint is then
rolled back, so a refused command changes nothing. Reviewer changes go through the same
``Chooser`` (strategy, availability, caps, locks, explanation) and ``ChangeFeed`` (the
outbox) as every other path; their assignment events carry source ``command``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.core.command_rules import Actor, away_problem, explain_text, help_text
from bot.core.commands import (
    Away,
    Back,
    Command,
    Explain,
    Help,
    Release,
    RequestTeam,
    RequestUser,
    Reroll,
)
from bot.core.delivery import exclusions
from bot.core.models import MAX_REVIEWERS, PullRequest
from bot.services.changes import ChangeFeed, Origin, ReviewerChange
from bot.services.chooser import Chooser
from bot.services.suggest import reroll_suggestion
from bot.services.teams import TeamDirectory
from store import commands as store
from store import host_sync, users
from store import outbox as outbox_store
from store import pull_requests as prs
from store import selection as selection_store
from store.db import Connection

SOURCE = "command"


class Refused(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


@dataclass
class Step:
    """One command's surroundings; ``pr`` is kept current as commands change it."""

    conn: Connection
    host: str
    actor: Actor
    pr: PullRequest | None
    bot: str
    today: date
    chooser: Chooser
    directory: TeamDirectory
    changes: ChangeFeed
    touched_teams: set[str]

    @property
    def locked_pr(self) -> PullRequest:
        assert self.pr is not None  # refusal() let only commands with a PR through
        return self.pr

    @property
    def me(self) -> str:
        assert self.actor.user_id is not None
        return self.actor.user_id


async def run(command: Command, step: Step) -> str | None:
    match command:
        case RequestUser(handle=handle):
            return await _request_user(step, handle)
        case RequestTeam(team=team):
            return await _request_team(step, team)
        case Reroll():
            return await _reroll(step)
        case Release():
            return await _release(step)
        case Away(until=until):
            return await _away(step, until)
        case Back():
            return await _back(step)
        case Explain():
            return await _explain(step)
        case Help():
            return help_text(step.bot)


async def _request_user(step: Step, handle: str) -> str | None:
    pr, conn = step.locked_pr, step.conn
    target = await host_sync.member_by_handle(conn, step.host, handle)
    if target is None:
        raise Refused(f"no member has the {step.host} handle @{handle}")
    if target.user_id == pr.author_id:
        raise Refused(f"@{handle} wrote this pull request")
    if target.user_id in pr.assigned_reviewers:
        return f"@{handle} already reviews this pull request."
    if target.user_id not in await host_sync.lock_active(conn, [target.user_id]):
        raise Refused(f"@{handle} is inactive")
    notes = await _warnings(step, target.user_id, handle)
    made_room = await _seat(step, target.user_id)
    return " ".join([f"Requested @{handle}.", *made_room, *notes])


async def _warnings(step: Step, user_id: str, handle: str) -> list[str]:
    found = await store.availability(step.conn, user_id, step.today)
    notes = []
    if found.away:
        notes.append(f"⚠️ @{handle} is away today, so they may answer late.")
    if found.at_capacity:
        notes.append(f"⚠️ @{handle} is at their limit of {found.max_open_reviews} open reviews.")
    return notes


async def _request_team(step: Step, team_name: str) -> str | None:
    pr, conn = step.locked_pr, step.conn
    team = await step.directory.team(team_name, conn, local_ok=True)
    if team is None:
        raise Refused(f"there is no team '{team_name}'")
    victim = await _room(step)
    refused = await outbox_store.rejected_users(conn, pr.pull_request_id)
    exclude = exclusions(pr.author_id, pr.assigned_reviewers, refused)
    chosen = await step.chooser.choose_in(
        conn, team, exclude, 1, author=pr.author_id, refused=refused
    )
    if not chosen:
        raise Refused(f"no member of team '{team_name}' is available to review")
    made_room = await _seat(step, chosen[0], victim=victim)
    handle = (await store.handles_of(conn, step.host, chosen))[chosen[0]]
    return " ".join([f"Requested @{handle} from team {team_name}.", *made_room])


async def _room(step: Step) -> str | None:
    """Whom to replace so that a PR with two reviewers stays at two (None: room left)."""
    pr = step.locked_pr
    if len(pr.assigned_reviewers) < MAX_REVIEWERS:
        return None
    picked = [s for s in await store.seats(step.conn, pr.pull_request_id) if s.picked]
    if not picked:
        raise Refused(
            f"the pull request already has {MAX_REVIEWERS} reviewers and none of them was"
            " picked by reviewbot; remove one on the host first"
        )
    return max(picked, key=lambda s: s.event_id).user_id


async def _seat(step: Step, user_id: str, victim: str | None = None) -> list[str]:
    """Put ``user_id`` on the PR (in ``victim``'s seat when given, or when it is full)."""
    if victim is None:
        victim = await _room(step)
    pr, conn = step.locked_pr, step.conn
    pr_id = pr.pull_request_id
    if victim is None:
        await prs.add_reviewers(
            conn, pr_id, [user_id], await host_sync.next_slot(conn, pr_id), SOURCE
        )
        change = ReviewerChange(pr_id, added=(user_id,), origin=Origin.COMMAND)
        notes = []
    else:
        await prs.replace_reviewer(conn, pr_id, victim, user_id, SOURCE)
        change = ReviewerChange(pr_id, (user_id,), (victim,), origin=Origin.COMMAND)
        gone = (await store.handles_of(conn, step.host, [victim]))[victim]
        notes = [f"It replaces @{gone}: a pull request has at most {MAX_REVIEWERS} reviewers."]
    await step.changes.publish(conn, change)
    step.pr = await prs.fetch_pr(conn, pr_id)
    return notes


async def _replace_one(step: Step, old: str, never: set[str]) -> str | None:
    """Swap ``old`` for a fresh choice from their team, never one of ``never``."""
    pr, conn = step.locked_pr, step.conn
    user = await users.fetch_user(conn, old)
    if user is None:
        return None
    refused = await outbox_store.rejected_users(conn, pr.pull_request_id)
    exclude = exclusions(pr.author_id, pr.assigned_reviewers, refused) | never
    chosen = await step.chooser.choose_and_lock(
        conn,
        user.team_name,
        exclude=exclude,
        count=1,
        author=pr.author_id,
        replacing=old,
        refused=refused,
    )
    if not chosen:
        return None
    await prs.replace_reviewer(conn, pr.pull_request_id, old, chosen[0], SOURCE)
    change = ReviewerChange(pr.pull_request_id, (chosen[0],), (old,), origin=Origin.COMMAND)
    await step.changes.publish(conn, change)
    step.pr = await prs.fetch_pr(conn, pr.pull_request_id)
    return chosen[0]


async def _reroll(step: Step) -> str | None:
    pr = step.locked_pr
    picked = [s.user_id for s in await store.seats(step.conn, pr.pull_request_id) if s.picked]
    if not picked:
        rerolled = await reroll_suggestion(
            step.conn, step.host, pr, step.chooser, step.directory, step.bot
        )
        if rerolled is not None:
            return rerolled
        raise Refused("no current reviewer was picked by reviewbot, so there is nothing to reroll")
    # Never the ones being replaced, nor anyone an earlier reroll took off: racing rerolls
    # each replace whom they find, and nobody is rerolled away twice.
    earlier = await store.rerolled_away(step.conn, pr.pull_request_id)
    never = set(picked) | earlier
    swaps = [(old, await _replace_one(step, old, never)) for old in picked]
    ids = [u for pair in swaps for u in pair if u is not None]
    names = await store.handles_of(step.conn, step.host, ids)
    done = [f"@{names[old]} → @{names[new]}" for old, new in swaps if new is not None]
    if not done:
        raise Refused("nobody else is available to review" + _rerolled_note(earlier))
    kept = [f"@{names[old]}" for old, new in swaps if new is None]
    tail = [f"⚠️ Kept {', '.join(kept)}: nobody else is available."] if kept else []
    return " ".join([f"Rerolled: {', '.join(done)}.", *tail])


def _rerolled_note(earlier: set[str]) -> str:
    if not earlier:
        return ""
    return (
        f" ({len(earlier)} member(s) an earlier reroll took off this pull request are not"
        " picked again by a reroll; ask for one by name with r? @handle)"
    )


async def _release(step: Step) -> str | None:
    new = await _replace_one(step, step.me, set())
    if new is None:
        raise Refused("nobody else in your team is available to take over")
    names = await store.handles_of(step.conn, step.host, [new])
    return f"@{step.actor.handle} handed the review to @{names[new]}."


async def _away(step: Step, until: date) -> str | None:
    problem = away_problem(until, step.today)
    if problem is not None:
        raise Refused(problem)
    await store.set_away_until(step.conn, step.me, until)
    await _touch_team(step)
    return f"@{step.actor.handle} is away up to and including {until.isoformat()} (UTC)."


async def _back(step: Step) -> str | None:
    cleared = await store.clear_away(step.conn, step.me)
    await _touch_team(step)
    by_file = await store.away_by_file_until(step.conn, step.me, step.today)
    if by_file is not None:
        return (
            f"⚠️ The team file still has @{step.actor.handle} away until"
            f" {by_file.isoformat()}; ask your team lead to change it."
        )
    if not cleared:
        return f"@{step.actor.handle} was not away."
    return f"Welcome back, @{step.actor.handle}."


async def _touch_team(step: Step) -> None:
    user = await users.fetch_user(step.conn, step.me)
    if user is not None:
        step.touched_teams.add(user.team_name)


async def _explain(step: Step) -> str | None:
    pr, conn = step.locked_pr, step.conn
    events = await selection_store.explain_of(conn, pr.pull_request_id) or []
    names = await store.handles_of(conn, step.host, pr.assigned_reviewers)
    return explain_text(pr.assigned_reviewers, events, names)
