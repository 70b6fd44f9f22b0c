"""Choosing with path rules and CODEOWNERS, inside the caller's transaction.

The caller holds the PR's row lock (REST create, the routing worker). Demands come from
the pure ``bot.core.routing``; each is filled through the same ``Chooser`` (team pools: the
team's strategy, caps, availability and locks) or, for a ``members:`` pool, with the least
loaded strategy over those members (share-locked in id order), and the reason — the rule,
the CODEOWNERS line — is added to the explanation recorded with each pick. Then the
author's team tops up as it always did. One ``ReviewerChange`` publishes every pick.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.core.models import MAX_REVIEWERS, Mode, PullRequest, Team, User
from bot.core.paths.codeowners import CodeOwners, owned
from bot.core.routing import (
    Demand,
    Owner,
    Routing,
    already_served,
    codeowner_demands,
    matched_rules,
    owner_kind,
    room,
    rule_demands,
    why_nobody,
)
from bot.core.selection import exclusion_reasons, select, strategy_named
from bot.services.changes import ChangeFeed, Origin, ReviewerChange
from bot.services.chooser import Chooser
from bot.services.suggest import OFF_NOTE, Suggestions, assigns, suggest_note
from bot.services.teams import TeamDirectory
from store import host_sync
from store import pull_requests as prs
from store import replay as replay_store
from store import routing as store
from store import selection as selection_store
from store import suggestions as suggestions_store
from store.db import Connection

# A hand-picked list of people is best served by spreading the load among them.
MEMBERS_STRATEGY = strategy_named("least_loaded")


@dataclass(frozen=True, slots=True)
class Facts:
    """What the choice knows about the PR beyond its row."""

    host: str | None = None  # None: a PR of the REST API
    repo: str | None = None
    files: Sequence[str] | None = None  # None: not known (no rule can match)
    codeowners: CodeOwners | None = None
    notes: tuple[str, ...] = ()  # e.g. why CODEOWNERS could not be read
    non_members: int = 0  # requested on the host, not members: they count toward the cap
    refused: Sequence[str] = ()


@dataclass(slots=True)
class Routed:
    added: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Router:
    def __init__(
        self,
        directory: TeamDirectory,
        chooser: Chooser,
        changes: ChangeFeed,
        suggestions: Suggestions | None = None,
    ) -> None:
        self.directory = directory
        self.chooser = chooser
        self.changes = changes
        self.suggestions = suggestions  # None: every team assigns (the REST API's PRs)

    async def routing(self, conn: Connection) -> Routing:
        return await store.load_routing(conn)

    async def assign(
        self,
        conn: Connection,
        pr: PullRequest,
        author: User,
        facts: Facts,
        origin: Origin,
        source: str,
        routing: Routing | None = None,
    ) -> Routed:
        routing = routing or await self.routing(conn)
        if facts.host is not None and self.suggestions is not None:
            team = await self.directory.team(author.team_name, conn, local_ok=True)
            if not assigns(team):
                return await self._not_assigning(conn, pr, author, facts, routing, team)
        routed = Routed(notes=list(facts.notes))
        demands = await self._demands(conn, routing, facts, routed.notes)
        reviewers = list(pr.assigned_reviewers)
        for demand in demands:
            chosen = await self._fill(conn, pr, demand, reviewers, facts, routed.notes)
            await self._add(conn, pr, chosen, demand.because, source, reviewers)
            routed.added.extend(chosen)
        chosen = await self._top_up(conn, pr, author, reviewers, facts, routed.notes)
        await self._add(conn, pr, chosen, {"team": author.team_name}, source, reviewers)
        routed.added.extend(chosen)
        if routed.added:
            change = ReviewerChange(pr.pull_request_id, added=tuple(routed.added), origin=origin)
            await self.changes.publish(conn, change)
        await self._save(conn, pr.pull_request_id, facts, routed.notes)
        return routed

    async def _save(self, conn: Connection, pr_id: str, facts: Facts, notes: list[str]) -> None:
        """The notes, and the changed files for later replays (``reviewbot simulate``)."""
        files = None if facts.files is None else list(facts.files)
        await store.save_notes(conn, pr_id, None if files is None else len(files), notes)
        await replay_store.save_changed_files(conn, pr_id, files)

    async def _not_assigning(
        self,
        conn: Connection,
        pr: PullRequest,
        author: User,
        facts: Facts,
        routing: Routing,
        team: Team | None,
    ) -> Routed:
        """Mode off: nothing. Suggest: the same demands and top-up, into the suggestion."""
        routed = Routed(notes=list(facts.notes))
        assert self.suggestions is not None and facts.host is not None
        if team is None or team.mode is Mode.OFF:
            routed.notes.append(OFF_NOTE)
        else:
            suggested = await self.suggestions.current(conn, pr.pull_request_id, team)
            reviewers = [*pr.assigned_reviewers, *suggested]
            explains: list[dict[str, Any]] = []
            demands = await self._demands(conn, routing, facts, routed.notes)
            for demand in demands:
                chosen = await self._fill(conn, pr, demand, reviewers, facts, routed.notes)
                await self._note_choice(conn, chosen, demand.because, reviewers, explains)
            chosen = await self._top_up(conn, pr, author, reviewers, facts, routed.notes)
            await self._note_choice(conn, chosen, {"team": author.team_name}, reviewers, explains)
            mine = reviewers[len(pr.assigned_reviewers) :]  # the suggested, then the new picks
            await self.suggestions.post(
                conn, facts.host, pr.pull_request_id, team.team_name, mine, explains
            )
            routed.notes.append(suggest_note(mine))
        await self._save(conn, pr.pull_request_id, facts, routed.notes)
        return routed

    async def _note_choice(
        self,
        conn: Connection,
        chosen: Sequence[str],
        because: dict[str, object],
        reviewers: list[str],
        explains: list[dict[str, Any]],
    ) -> None:
        if chosen:
            await store.annotate_explain(conn, because)
            explains.append(await suggestions_store.last_explain(conn))
            reviewers.extend(chosen)

    async def _demands(
        self, conn: Connection, routing: Routing, facts: Facts, notes: list[str]
    ) -> list[Demand]:
        if facts.files is None:
            return []
        demands = rule_demands(matched_rules(routing, facts.repo, facts.files))
        if facts.codeowners is not None and facts.host is not None:
            lines = owned(facts.codeowners, facts.files)
            tokens = {t for entry in lines for t in entry.line.owners}
            owners = {t: await self._owner(conn, facts.host, t) for t in tokens}
            more, skipped = codeowner_demands(
                lines, facts.codeowners.path, owners.__getitem__, routing.codeowners.reviewers
            )
            demands.extend(more)
            notes.extend(skipped)
        return demands

    async def _owner(self, conn: Connection, host: str, token: str) -> Owner:
        kind = owner_kind(token)
        if kind == "team":
            team = await store.team_by_handle(conn, host, token[1:])
            return Owner(token, team=team) if team else Owner(token, skipped="no team has it")
        if kind == "user":
            user = await host_sync.member_by_handle(conn, host, token[1:])
            return Owner(token, user_id=user.user_id) if user else Owner(token, skipped="no member")
        if kind == "email":
            return Owner(token, skipped="e-mail owners are not mapped to members")
        return Owner(token, skipped="not an @user or @org/team owner")

    async def _fill(
        self,
        conn: Connection,
        pr: PullRequest,
        demand: Demand,
        reviewers: list[str],
        facts: Facts,
        notes: list[str],
    ) -> list[str]:
        label = demand.because.get("rule") or demand.because.get("codeowners")
        space = room(reviewers, facts.non_members, MAX_REVIEWERS)
        pool = await self._pool(conn, demand)
        wanted = demand.count - already_served(pool, reviewers)
        if wanted <= 0:  # someone of its pool reviews already (new commits, a redelivery)
            return []
        need = min(wanted, space)
        if need <= 0:
            notes.append(f"{label}: not applied, the PR already has {MAX_REVIEWERS} reviewers")
            return []
        if need < wanted:
            notes.append(f"{label}: {need} of {wanted} reviewers, a PR has at most {MAX_REVIEWERS}")
        exclude = {pr.author_id, *reviewers, *facts.refused}
        if demand.team is not None:
            team = await self.directory.team(demand.team, conn, local_ok=True)
            chosen = await self.chooser.choose_in(
                conn, team, exclude, need, author=pr.author_id, refused=facts.refused
            )
        else:
            chosen = await self._from_members(conn, pool, exclude, need, pr, facts)
        if not chosen:
            why = await self._why_nobody(conn, pool, exclude, pr, facts)
            notes.append(f"{label}: skipped, nobody in its pool is eligible ({why})")
        return chosen

    async def _why_nobody(
        self,
        conn: Connection,
        pool: Sequence[str],
        exclude: set[str],
        pr: PullRequest,
        facts: Facts,
    ) -> str:
        """Each member's reason, read again only when a choice came back empty."""
        candidates = await store.pool_candidates(conn, pool, self.chooser.today())
        skip = exclusion_reasons(exclude, author=pr.author_id, refused=facts.refused)
        return why_nobody(candidates, skip)

    async def _pool(self, conn: Connection, demand: Demand) -> list[str]:
        teams = [demand.team] if demand.team else list(demand.member_teams)
        found = await store.members_of(conn, teams) if teams else {}
        return [*demand.members, *(u for t in teams for u in found.get(t, []))]

    async def _from_members(
        self,
        conn: Connection,
        pool: Sequence[str],
        exclude: set[str],
        need: int,
        pr: PullRequest,
        facts: Facts,
    ) -> list[str]:
        candidates = await store.pool_candidates(conn, pool, self.chooser.today())
        skip = exclusion_reasons(exclude, author=pr.author_id, refused=facts.refused)
        selection = select(MEMBERS_STRATEGY, candidates, skip, need, self.chooser.rng)
        explain = selection.explain()
        await selection_store.record_choice(conn, "", (), explain, advance_cursor=False)
        return list(selection.chosen)

    async def _top_up(
        self,
        conn: Connection,
        pr: PullRequest,
        author: User,
        reviewers: list[str],
        facts: Facts,
        notes: list[str],
    ) -> list[str]:
        """The author's team brings the PR to its number; rule picks count toward it."""
        team = await self.directory.team(author.team_name, conn, local_ok=True)
        if team is None:
            return []
        count = min(
            team.reviewers - len(reviewers) - facts.non_members,
            room(reviewers, facts.non_members, MAX_REVIEWERS),
        )
        if count <= 0:
            return []
        exclude = {pr.author_id, *reviewers, *facts.refused}
        chosen = await self.chooser.choose_in(
            conn, team, exclude, count, author=pr.author_id, refused=facts.refused
        )
        if not chosen:
            pool = [m.user_id for m in team.members]
            why = await self._why_nobody(conn, pool, exclude, pr, facts)
            notes.append(f"team {team.team_name}: nobody eligible to top up ({why})")
        return chosen

    async def _add(
        self,
        conn: Connection,
        pr: PullRequest,
        chosen: Sequence[str],
        because: dict[str, object],
        source: str,
        reviewers: list[str],
    ) -> None:
        if not chosen:
            return
        await store.annotate_explain(conn, because)
        slot = 0 if not reviewers else await host_sync.next_slot(conn, pr.pull_request_id)
        await prs.add_reviewers(conn, pr.pull_request_id, chosen, slot, source=source)
        reviewers.extend(chosen)
