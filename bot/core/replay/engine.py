"""Replaying past PRs against candidate teams with the real selection code, in memory.

Each PR, in creation order, is chosen for as a new PR would be: path-rule demands first
(``bot.core.routing``), then the author's team tops up to its ``reviewers`` number. The
choice is the strategy's own batch queue (``Strategy.queue`` — what bulk deactivation
uses to fill many PRs of one team in a row, "the result the per-PR choices would have
produced"): each team keeps one queue across the replay; a pick adds an open review and
takes the next turn; a member reaching their cap is dropped. When something the queue
cannot follow changes — a review closes (loads fall) for a strategy that reads loads, a
capped member has room again, someone's away period starts or ends — the queue is built
afresh from the team's current state before its next choice (``Strategy.queue_of``,
the same queue built from the team's id -> load and id -> turn columns). The simulated
reviewers stay open until the PR really closed (or the window ends). Nothing touches a
database.

Speed matters (100,000 PRs in seconds, docs/performance.md) but never at the cost of
the report: the same history, files and seed give the same figures, and every random
draw happens as it always did (tests/simulate/test_replay_golden.py holds it).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from bot.core.models import MAX_REVIEWERS, Member, Mode, Team
from bot.core.replay.history import HistoricPr, Window
from bot.core.replay.tally import Tally
from bot.core.routing import Routing, already_served, matched_rules, room, rule_demands
from bot.core.selection import BatchQueue, Candidate, Skip, select, strategy_named

NO_TEAM = "(author in no team of the file)"
# As bot.services.routing: a rule's hand-picked members share the load among them.
MEMBERS_STRATEGY = strategy_named("least_loaded")
# Reasons a member was not available, in the order a shortfall names them.
_SHORT_REASONS = (Skip.AT_CAPACITY, Skip.AWAY, Skip.INACTIVE)
_EPOCH = date(1970, 1, 1)


def _utc_day(seconds: float, days: dict[int, date]) -> date:
    """The UTC day of a POSIX time (``days`` caches them: a replay asks once per PR)."""
    number = int(seconds // 86400)
    found = days.get(number)
    if found is None:
        found = days[number] = _EPOCH + timedelta(days=number)
    return found


class _Seat:
    """A member as the next choice sees them, changed in place as the replay goes (a
    ``Candidate`` is made only where the selection code reads one)."""

    __slots__ = ("away", "cap", "is_active", "load", "team", "turn", "user_id")

    def __init__(self, member: Member, team: str) -> None:
        self.user_id = member.user_id
        self.team = team
        self.is_active = member.is_active
        self.cap = member.max_open_reviews
        self.away = False
        self.load = 0  # simulated open reviews
        self.turn = 0  # round robin: the team cursor when last picked

    def unavailable(self) -> Skip | None:
        """As ``Candidate.unavailable``."""
        if not self.is_active:
            return Skip.INACTIVE
        if self.away:
            return Skip.AWAY
        if self.cap is not None and self.load >= self.cap:
            return Skip.AT_CAPACITY
        return None

    def candidate(self) -> Candidate:
        return Candidate(self.user_id, self.is_active, self.away, self.load, self.cap, self.turn)


class _TeamQueue:
    """One team's members as its strategy takes them, kept current through the replay."""

    def __init__(self, team: Team, replay: Replay) -> None:
        self.team = team
        self.strategy = team.strategy
        self.replay = replay
        self.away_members = [m for m in team.members if m.away]
        self.day: date | None = None
        self.stale = True
        self.queue: BatchQueue | None = None
        # The eligible members (active, not away, under their cap) in the order they
        # became so, with their open loads and last turns (two dicts, the same keys).
        self.loads: dict[str, int] = {}
        self.turns: dict[str, int] = {}

    def take(self, taken: set[str], wanted: int, day: date) -> list[str]:
        if day != self.day:
            self._follow(day)
        if self.stale or self.queue is None:
            self._rebuild()
        assert self.queue is not None
        loads = self.loads
        free = len(loads) - sum(1 for u in taken if u in loads)
        chosen = self.queue.take(taken, wanted, free) if free else []
        if chosen and self.strategy.takes_turns:
            self.replay.record(self, chosen)
        return chosen

    def place(self, seat: _Seat) -> None:
        """The seat changed: the eligible follow it (a place kept, or lost, or taken last)."""
        user_id = seat.user_id
        if seat.unavailable() is None:
            self.loads[user_id] = seat.load
            self.turns[user_id] = seat.turn
        elif user_id in self.loads:
            del self.loads[user_id]
            del self.turns[user_id]

    def _follow(self, day: date) -> None:
        self.day = day
        for member in self.away_members:
            if self.replay.refresh(member.user_id, day):
                self.stale = True

    def _rebuild(self) -> None:
        # Ordered as members became eligible: the heaps order by their own keys, and the
        # random queue draws uniformly whatever the order.
        loads = self.loads
        self.queue = self.strategy.queue_of(
            loads.keys(), loads.values(), self.turns.values(), self.replay.rng
        )
        self.stale = False

    def put_back(self, user_id: str) -> None:
        if self.stale or self.queue is None:
            return  # built afresh before the next choice, with this member as they are
        seat = self.replay.seats[user_id]
        if seat.unavailable() is not None:
            self.queue.drop(user_id)
        else:
            self.queue.put_back(user_id, seat.load, seat.turn)


class Replay:
    def __init__(
        self, teams: Sequence[Team], routing: Routing, window: Window, rng: random.Random
    ) -> None:
        self.teams = {t.team_name: t for t in teams}
        self.team_of = {m.user_id: t.team_name for t in teams for m in t.members}
        self.members: dict[str, Member] = {m.user_id: m for t in teams for m in t.members}
        self.routing = routing
        self.rng = rng
        self.simulated = Tally(window, on_release=self._released)
        self.actual = Tally(window)
        self.cursor: Counter[str] = Counter()  # round robin: each team's cursor
        self._days: dict[int, date] = {}
        self.pools = {t.team_name: frozenset(m.user_id for m in t.members) for t in teams}
        self.seats = {u: _Seat(m, self.team_of[u]) for u, m in self.members.items()}
        self.queues = {name: _TeamQueue(team, self) for name, team in self.teams.items()}
        for seat in self.seats.values():
            self.queues[seat.team].place(seat)

    def run(self, prs: Iterable[HistoricPr]) -> None:
        for pr in prs:
            self.feed(pr)

    def feed(self, pr: HistoricPr) -> None:
        created = pr.created_at
        self.simulated.advance(created)
        self.actual.advance(created)
        self._count_actual(pr)
        team = self.teams.get(self.team_of.get(pr.author_id, ""))
        if team is None:
            self.simulated.pr(NO_TEAM, 1, 0, "author in no team of the file")
            return
        if team.mode is Mode.OFF:
            self.simulated.pr(team.team_name, team.reviewers, 0, "mode off")
            return
        chosen, why = self._choose(pr, team)
        if chosen:
            self.simulated.open(tuple(chosen), created, pr.closed_at)
            seats, queues, loads = self.seats, self.queues, self.simulated.members
            for user_id in chosen:
                seat = seats[user_id]
                seat.load = loads[user_id].open_now
                queues[seat.team].place(seat)
            for user_id in chosen:
                queues[seats[user_id].team].put_back(user_id)
        self.simulated.pr(team.team_name, team.reviewers, len(chosen), why)

    def _count_actual(self, pr: HistoricPr) -> None:
        actual = self.actual
        # Reviewers put on together and staying until the PR closed: one entry in the sweep.
        run: list[str] = []
        start, end = 0.0, None
        for review in pr.actual:
            if run and (review.start != start or review.end != end):
                actual.open(tuple(run), start, end)
                run = []
            if not run:
                start, end = review.start, review.end
            run.append(review.user_id)
        if run:
            actual.open(tuple(run), start, end)
        team = self.team_of.get(pr.author_id) or pr.actual_team or NO_TEAM
        known = self.teams.get(team)
        wanted = known.reviewers if known is not None else MAX_REVIEWERS
        got = len({r.user_id for r in pr.actual})
        actual.pr(team, wanted, got, "as recorded")

    def _choose(self, pr: HistoricPr, team: Team) -> tuple[list[str], str | None]:
        """The reviewers chosen, and the main reason when fewer than wanted."""
        day = _utc_day(pr.created_at, self._days)
        chosen: list[str] = []
        if self.routing.rules and pr.changed_files:
            for demand in rule_demands(matched_rules(self.routing, pr.repo, pr.changed_files)):
                pool_team = self.teams.get(demand.team or "")
                # A team's pool as a set made once (not a list of 200 ids per matched rule).
                pool = self.pools[pool_team.team_name] if pool_team else demand.members
                served = already_served(pool, chosen)
                count = min(demand.count - served, room(chosen, 0, MAX_REVIEWERS))
                if count <= 0:
                    continue
                if pool_team is not None:
                    taken = {pr.author_id, *chosen}
                    chosen += self.queues[pool_team.team_name].take(taken, count, day)
                else:
                    chosen += self._from_members(demand.members, pr, chosen, count, day)
        count = min(team.reviewers, MAX_REVIEWERS) - len(chosen)
        if count > 0:
            chosen += self.queues[team.team_name].take({pr.author_id, *chosen}, count, day)
        why = None if len(chosen) >= team.reviewers else self._why(team, day)
        return chosen, why

    def _from_members(
        self, pool: Sequence[str], pr: HistoricPr, chosen: Sequence[str], count: int, day: date
    ) -> list[str]:
        for user_id in pool:
            self.refresh(user_id, day)
        candidates = [self.seats[u].candidate() for u in pool if u in self.seats]
        exclusions = dict.fromkeys(chosen, Skip.ALREADY_REVIEWING)
        exclusions[pr.author_id] = Skip.AUTHOR
        picked = list(select(MEMBERS_STRATEGY, candidates, exclusions, count, self.rng).chosen)
        # Not from a queue: the teams' queues learn of these loads when put back.
        for user_id in picked:
            self.queues[self.team_of[user_id]].stale = True
        return picked

    def record(self, queue: _TeamQueue, chosen: list[str]) -> None:
        """Round robin: the picks take the team cursor's next turns (as record_choice)."""
        name = queue.team.team_name
        base = self.cursor[name]
        self.cursor[name] = base + len(chosen)
        for position, user_id in enumerate(chosen, 1):
            seat = self.seats[user_id]
            seat.turn = base + position
            self.queues[seat.team].place(seat)

    def refresh(self, user_id: str, day: date) -> bool:
        """Availability on ``day``; True when it changed."""
        member, seat = self.members[user_id], self.seats[user_id]
        away = bool(member.away) and member.is_away(day)
        if away == seat.away:
            return False
        seat.away = away
        self.queues[seat.team].place(seat)
        return True

    def _released(self, user_id: str) -> None:
        """A simulated review closed: the member's load fell."""
        seat = self.seats.get(user_id)
        if seat is None:
            return
        queue = self.queues[seat.team]
        was_eligible = user_id in queue.loads
        seat.load = self.simulated.members[user_id].open_now
        queue.place(seat)
        if queue.strategy.reads_loads or (not was_eligible and user_id in queue.loads):
            queue.stale = True

    def _why(self, team: Team, day: date) -> str:
        """The main reason a PR got fewer reviewers than its team wants."""
        reasons = Counter(self.seats[m.user_id].unavailable() for m in team.members)
        for reason in _SHORT_REASONS:
            if reasons[reason]:
                return f"not enough available members ({reason.value})"
        return "team too small"
