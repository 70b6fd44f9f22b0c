"""Replaying past PRs against candidate teams with the real selection code, in memory.

Each PR, in creation order, is chosen for as a new PR would be today: path-rule demands
first (``bot.core.routing``), then the author's team tops up to its ``reviewers`` number,
through ``bot.core.selection.select`` with the team's strategy, availability on the PR's
day, caps against the simulated open load and round-robin turns of the simulated cursor.
The simulated reviewers stay open until the PR really closed (or the window ends). The
choices of the real history are counted beside them. Nothing here touches a database.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from bot.core.models import MAX_REVIEWERS, Member, Mode, Team
from bot.core.replay.history import HistoricPr, Window
from bot.core.replay.tally import Tally
from bot.core.routing import Routing, already_served, matched_rules, room, rule_demands
from bot.core.selection import Candidate, Skip, Strategy, select, strategy_named

NO_TEAM = "(author in no team of the file)"
# As bot.services.routing: a rule's hand-picked members share the load among them.
MEMBERS_STRATEGY = strategy_named("least_loaded")
# Reasons a member was not available, in the order a shortfall names them.
_SHORT_REASONS = (Skip.AT_CAPACITY, Skip.AWAY, Skip.INACTIVE)


@dataclass(frozen=True, slots=True)
class _Choice:
    chosen: list[str]
    why: str | None  # when fewer than wanted: the main reason


class Replay:
    def __init__(
        self, teams: Sequence[Team], routing: Routing, window: Window, rng: random.Random
    ) -> None:
        self.teams = {t.team_name: t for t in teams}
        self.team_of = {m.user_id: t.team_name for t in teams for m in t.members}
        self.members: dict[str, Member] = {m.user_id: m for t in teams for m in t.members}
        self.routing = routing
        self.rng = rng
        self.simulated = Tally(window)
        self.actual = Tally(window)
        self.cursor: Counter[str] = Counter()  # round robin: each team's cursor
        self.turn: dict[str, int] = {}
        self._base = {
            u: Candidate(u, m.is_active, False, 0, m.max_open_reviews)
            for u, m in self.members.items()
        }
        self._away = [u for u, m in self.members.items() if m.away]

    def run(self, prs: Iterable[HistoricPr]) -> None:
        for pr in prs:
            self.feed(pr)

    def feed(self, pr: HistoricPr) -> None:
        self.simulated.advance(pr.created_at)
        self.actual.advance(pr.created_at)
        self._count_actual(pr)
        team = self.teams.get(self.team_of.get(pr.author_id, ""))
        if team is None:
            self.simulated.pr(NO_TEAM, 1, 0, "author in no team of the file")
            return
        if team.mode is Mode.OFF:
            self.simulated.pr(team.team_name, team.reviewers, 0, "mode off")
            return
        choice = self._choose(pr, team)
        for user_id in choice.chosen:
            self.simulated.open(user_id, pr.created_at, pr.closed_at)
        self.simulated.pr(team.team_name, team.reviewers, len(choice.chosen), choice.why)

    def _count_actual(self, pr: HistoricPr) -> None:
        for review in pr.actual:
            self.actual.open(review.user_id, review.start, review.end)
        team = self.team_of.get(pr.author_id) or pr.actual_team or NO_TEAM
        known = self.teams.get(team)
        wanted = known.reviewers if known is not None else MAX_REVIEWERS
        got = len({r.user_id for r in pr.actual})
        self.actual.pr(team, wanted, got, "as recorded")

    def _choose(self, pr: HistoricPr, team: Team) -> _Choice:
        day = pr.created_at.date()
        chosen: list[str] = []
        skipped: Counter[Skip] = Counter()
        if self.routing.rules and pr.changed_files:
            for demand in rule_demands(matched_rules(self.routing, pr.repo, pr.changed_files)):
                pool_team = self.teams.get(demand.team or "")
                pool = [m.user_id for m in pool_team.members] if pool_team else list(demand.members)
                served = already_served(pool, chosen)
                count = min(demand.count - served, room(chosen, 0, MAX_REVIEWERS))
                strategy = pool_team.strategy if pool_team else MEMBERS_STRATEGY
                chosen += self._select(strategy, pool_team, pool, pr, chosen, count, day, skipped)
        count = min(team.reviewers, MAX_REVIEWERS) - len(chosen)
        pool = [m.user_id for m in team.members]
        chosen += self._select(team.strategy, team, pool, pr, chosen, count, day, skipped)
        return _Choice(chosen, None if len(chosen) >= team.reviewers else _why(skipped))

    def _select(
        self,
        strategy: Strategy,
        team: Team | None,
        pool: Sequence[str],
        pr: HistoricPr,
        chosen: Sequence[str],
        count: int,
        day: date,
        skipped: Counter[Skip],
    ) -> list[str]:
        if count <= 0:
            return []
        candidates = [self._candidate(u, day) for u in pool if u in self.members]
        exclusions = dict.fromkeys(chosen, Skip.ALREADY_REVIEWING)
        exclusions[pr.author_id] = Skip.AUTHOR
        selection = select(strategy, candidates, exclusions, count, self.rng)
        skipped.update(selection.skipped.values())
        picked = list(selection.chosen)
        if strategy.takes_turns and team is not None and picked:
            base = self.cursor[team.team_name]
            self.cursor[team.team_name] = base + len(picked)
            for i, user_id in enumerate(picked, 1):
                self.turn[user_id] = base + i
        return picked

    def _candidate(self, user_id: str, day: date) -> Candidate:
        base = self._base[user_id]
        load = self.simulated.open_load(user_id)
        turn = self.turn.get(user_id, 0)
        away = bool(self.members[user_id].away) and self.members[user_id].is_away(day)
        if load == base.open_reviews and turn == base.turn and away == base.away:
            return base
        fresh = replace(base, open_reviews=load, turn=turn, away=away)
        self._base[user_id] = fresh
        return fresh


def _why(skipped: Counter[Skip]) -> str:
    """The main reason a PR got fewer reviewers than its team wants."""
    for reason in _SHORT_REASONS:
        if skipped[reason]:
            return f"not enough available members ({reason.value})"
    return "team too small"
