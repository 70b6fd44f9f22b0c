"""Suggest mode: choose as usual, record the choice, request nobody, say it in one comment.

A team in ``mode: suggest`` gets, for each PR of its members that arrives from a host, the
same choice as in assign mode (strategy, availability, caps, path rules), recorded in
``pr_suggestions`` with its explanation — not in ``pr_reviewers``, so it is never anyone's
open load (``/stats``, caps and ``least_loaded`` read only real reviews). The outbox posts
one comment "would request @a and @b (why)" and edits it when the suggestion changes; a
suggestion that names the same people as before posts nothing. Like assigned reviewers, a
suggested member stays suggested on later events (new commits never reshuffle it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.core.delivery import exclusions, wanted
from bot.core.models import Mode, PullRequest, Team
from bot.core.suggestion import names, reason, suggestion_text
from bot.services.chooser import Chooser
from bot.services.outbox_kinds import enqueue_message
from bot.services.teams import TeamDirectory
from store import commands as handles_store
from store import suggestions as store
from store import users
from store.db import Connection

OFF_NOTE = "team mode off: nothing chosen, nothing posted"


def suggest_note(chosen: Sequence[str]) -> str:
    named = ", ".join(chosen) if chosen else "nobody"
    return f"suggest mode: would request {named}; nothing requested on the host"


class Suggestions:
    def __init__(self, bot_name: str) -> None:
        self.bot = bot_name

    async def current(self, conn: Connection, pr_id: str, team: Team) -> tuple[str, ...]:
        """The PR's suggestion as it stands: a suggested member who has since left the
        team or been deactivated drops out (and someone else is suggested)."""
        active = {m.user_id for m in team.members if m.is_active}
        return tuple(u for u in await store.reviewers(conn, pr_id) if u in active)

    async def post(
        self,
        conn: Connection,
        host: str,
        pr_id: str,
        team: str,
        chosen: Sequence[str],
        explains: Sequence[dict[str, Any]],
        *,
        fresh: bool = False,
    ) -> bool:
        """Record the suggestion and queue the comment when it changed; True if queued.
        ``fresh``: a new draw (reroll), not a top-up; its explanations replace the old."""
        if not await store.save(conn, pr_id, team, chosen, list(explains), fresh=fresh):
            return False
        stored = await store.explains(conn, pr_id)
        handles = await handles_store.handles_of(conn, host, list(chosen))
        reasons = [reason(e, team) for e in stored]
        text = suggestion_text([handles[u] for u in chosen], reasons, team, self.bot)
        await enqueue_message(conn, host, pr_id, "suggest", {"text": text})
        return True

    async def top_up(
        self,
        conn: Connection,
        chooser: Chooser,
        host: str,
        pr: PullRequest,
        team: Team,
        non_members: int,
    ) -> tuple[list[str], bool]:
        """Suggest mode's version of the webhook top-up: (the suggestion, comment queued)."""
        suggested = await self.current(conn, pr.pull_request_id, team)
        count = wanted(team, (*pr.assigned_reviewers, *suggested), non_members)
        chosen, explains = list(suggested), []
        if count > 0:
            exclude = exclusions(pr.author_id, (*pr.assigned_reviewers, *suggested), ())
            more = await chooser.choose_and_lock(
                conn, team.team_name, exclude=exclude, count=count, author=pr.author_id
            )
            if more:
                explains.append(await store.last_explain(conn))
                chosen += more
        posted = await self.post(conn, host, pr.pull_request_id, team.team_name, chosen, explains)
        return chosen, posted


async def reroll_suggestion(
    conn: Connection,
    host: str,
    pr: PullRequest,
    chooser: Chooser,
    directory: TeamDirectory,
    bot: str,
) -> str | None:
    """``@reviewbot reroll`` on a PR of a suggest-mode team: draw a new suggestion, never
    the people suggested now, and edit the comment. None: not such a PR (the command goes
    on as in assign mode)."""
    author = await users.fetch_user(conn, pr.author_id)
    team = await directory.team(author.team_name, conn, local_ok=True) if author else None
    old = await store.reviewers(conn, pr.pull_request_id)
    if team is None or team.mode is not Mode.SUGGEST or not old:
        return None
    exclude = exclusions(pr.author_id, (*pr.assigned_reviewers, *old), ())
    chosen = await chooser.choose_and_lock(
        conn, team.team_name, exclude=exclude, count=len(old), author=pr.author_id
    )
    if not chosen:
        return f"Kept the suggestion: nobody else in {team.team_name} is available."
    explain = [await store.last_explain(conn)]
    # As a reroll of reviewers: whom nobody can replace stays (here: the last ones).
    now = [*chosen, *old[len(chosen) :]]
    await Suggestions(bot).post(
        conn, host, pr.pull_request_id, team.team_name, now, explain, fresh=True
    )
    handles = await handles_store.handles_of(conn, host, now)
    listed = names([handles[u] for u in now])
    return f"New suggestion: {listed} (suggest mode: nothing requested)."


def assigns(team: Team | None) -> bool:
    return team is None or team.mode is Mode.ASSIGN
