"""Choosing replacements for many PRs at once, against one snapshot of the team.

Bulk deactivation empties hundreds of review slots in one transaction. Choosing them one
``select`` call at a time costs O(team) Python work and a few statements per PR; here the
team is read once (locked), and every choice updates the state the next one sees, so the
result is what the per-PR choices would have produced:

- ``random``: uniform among the eligible members;
- ``round_robin``: oldest turn first (ties by id); each pick takes the next turn of the
  team cursor, exactly as ``record_choice`` stamps it, so the queue carries on afterwards;
- ``least_loaded``: fewest open reviews, ties at random, loads growing as we assign;
- caps: a member who reaches their cap through this batch is not chosen again;
- never the author, never someone already on the PR, never a skipped member (inactive,
  being deactivated, away, changed concurrently).

Each PR's choice comes with a compact explanation (see ``_explain``).
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.selection import Candidate, Skip, Strategy

# Enum .value lookups are slow enough to matter at hundreds of explanations per call.
_AUTHOR = Skip.AUTHOR.value
_REPLACED = Skip.REPLACED.value
_ALREADY_REVIEWING = Skip.ALREADY_REVIEWING.value
_AT_CAPACITY = Skip.AT_CAPACITY.value


@dataclass(frozen=True, slots=True)
class Vacancy:
    """Reviewers leaving one PR; ``reviewers`` are all of its reviewers before the change."""

    pull_request_id: str
    author_id: str
    reviewers: tuple[str, ...]
    leaving: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Pick:
    pull_request_id: str
    chosen: tuple[str, ...]  # at most one per leaving reviewer, possibly fewer
    explain: dict[str, Any]


@dataclass(frozen=True, slots=True)
class BatchChoice:
    picks: list[Pick]
    turns: dict[str, int]  # round robin: each picked member's last turn
    cursor: int  # round robin: the team cursor after every pick


def choose_batch(
    strategy: Strategy,
    pool: Sequence[Candidate],
    skipped: Mapping[str, Skip],
    vacancies: Iterable[Vacancy],
    rng: random.Random,
    cursor: int = 0,
) -> BatchChoice:
    """Fill ``vacancies`` in order from ``pool`` (members not in ``skipped``)."""
    state = _State(strategy, pool, skipped, rng, cursor)
    picks = [state.fill(v) for v in vacancies]
    return BatchChoice(picks, state.turns, state.cursor)


class _State:
    """The team as the batch goes: who is still eligible, loads, turns, the cursor."""

    def __init__(
        self,
        strategy: Strategy,
        pool: Sequence[Candidate],
        skipped: Mapping[str, Skip],
        rng: random.Random,
        cursor: int,
    ) -> None:
        self.strategy = strategy
        self.strategy_name = strategy.value
        self.rng = rng
        self.cursor = cursor
        self.turns: dict[str, int] = {}
        self.members = {c.user_id: c for c in pool if c.user_id not in skipped}
        self.loads = {u: c.open_reviews or 0 for u, c in self.members.items()}
        self.skipped = dict(skipped)
        for user_id, candidate in self.members.items():
            reason = candidate.unavailable()
            if reason is not None:
                self.skipped[user_id] = reason
        self.eligible = sorted(u for u in self.members if u not in self.skipped)
        self.eligible_set = set(self.eligible)
        self.queue = self._queue()
        self.inactive = sum(1 for r in self.skipped.values() if r is Skip.INACTIVE)
        # Skipped for availability: named in every explanation (see _explain).
        self.notable = {u: r.value for u, r in self.skipped.items() if r is not Skip.INACTIVE}

    def _queue(self) -> list[tuple[Any, ...]]:
        queue: list[tuple[Any, ...]]
        if self.strategy is Strategy.ROUND_ROBIN:
            queue = [(self.members[u].turn, u) for u in self.eligible]
        elif self.strategy is Strategy.LEAST_LOADED:
            queue = [(self.loads[u], self.rng.random(), u) for u in self.eligible]
        else:
            return []
        heapq.heapify(queue)
        return queue

    def fill(self, vacancy: Vacancy) -> Pick:
        taken = {vacancy.author_id, *vacancy.reviewers}
        wanted = len(vacancy.leaving)
        considered = len(self.eligible) - len(taken & self.eligible_set)
        if self.strategy is Strategy.RANDOM:
            chosen = self._sample(taken, wanted, considered)
        else:
            chosen = self._pop(taken, wanted)
        described = [self._describe(u) for u in chosen]
        self._record(chosen)
        explain = _explain(self, vacancy, chosen, described, considered)
        return Pick(vacancy.pull_request_id, tuple(chosen), explain)

    def _sample(self, taken: set[str], wanted: int, free: int) -> list[str]:
        """Uniform among the eligible not in ``taken`` (``free`` of them)."""
        if free > 2 * wanted and 2 * free > len(self.eligible):
            # Most are free: draw and redraw (on average < 2 draws), no O(team) list.
            chosen: list[str] = []
            while len(chosen) < wanted:
                user_id = self.eligible[self.rng.randrange(len(self.eligible))]
                if user_id not in taken and user_id not in chosen:
                    chosen.append(user_id)
            return chosen
        pool = [u for u in self.eligible if u not in taken]
        return self.rng.sample(pool, min(wanted, len(pool)))

    def _pop(self, taken: set[str], wanted: int) -> list[str]:
        """The first ``wanted`` in queue order that may review this PR; the rest keep place."""
        chosen: list[str] = []
        passed_over: list[tuple[Any, ...]] = []
        while self.queue and len(chosen) < wanted:
            entry = heapq.heappop(self.queue)
            if entry[-1] in taken:
                passed_over.append(entry)
            else:
                chosen.append(entry[-1])
        for entry in passed_over:
            heapq.heappush(self.queue, entry)
        return chosen

    def _describe(self, user_id: str) -> dict[str, Any]:
        """The chosen member as the choice saw them (before this pick)."""
        described: dict[str, Any] = {"user_id": user_id}
        if self.members[user_id].open_reviews is not None:
            described["open_reviews"] = self.loads[user_id]
        if self.strategy is Strategy.ROUND_ROBIN:
            described["last_turn"] = self.turns.get(user_id, self.members[user_id].turn)
        return described

    def _record(self, chosen: list[str]) -> None:
        """Each pick adds one open review and, for round robin, takes the next turn."""
        for position, user_id in enumerate(chosen, start=1):
            self.loads[user_id] += 1
            if self.strategy is Strategy.ROUND_ROBIN:
                self.turns[user_id] = self.cursor + position
            if _full(self.members[user_id], self.loads[user_id]):
                self.eligible.remove(user_id)
                self.eligible_set.discard(user_id)
                self.skipped[user_id] = Skip.AT_CAPACITY
                self.notable[user_id] = _AT_CAPACITY
            elif self.strategy is Strategy.ROUND_ROBIN:
                heapq.heappush(self.queue, (self.turns[user_id], user_id))
            elif self.strategy is Strategy.LEAST_LOADED:
                heapq.heappush(self.queue, (self.loads[user_id], self.rng.random(), user_id))
        if self.strategy is Strategy.ROUND_ROBIN:
            self.cursor += len(chosen)


def _full(candidate: Candidate, load: int) -> bool:
    cap = candidate.max_open_reviews
    return cap is not None and load >= cap


def _explain(
    state: _State,
    vacancy: Vacancy,
    chosen: list[str],
    described: list[dict[str, Any]],
    considered: int,
) -> dict[str, Any]:
    """Why these reviewers: the same keys as ``Selection.explain``, kept small.

    One batch writes hundreds of these, so the lists name only what matters for this PR:
    ``candidates`` describes the chosen (their load / turn when chosen) and
    ``considered`` counts every eligible member; ``skipped`` names the PR's own
    exclusions and every member skipped for availability (away, at capacity, changed
    concurrently), while inactive members, most of them the ones being deactivated,
    are only counted (``inactive``): the deactivated are listed in the same response
    and in the events themselves.
    """
    reasons = dict(state.notable)
    reasons[vacancy.author_id] = _AUTHOR
    for reviewer in vacancy.reviewers:
        reasons[reviewer] = _REPLACED if reviewer in vacancy.leaving else _ALREADY_REVIEWING
    return {
        "strategy": state.strategy_name,
        "count": len(vacancy.leaving),
        "chosen": chosen,
        "candidates": described,
        "considered": considered,
        "skipped": [{"user_id": u, "reason": r} for u, r in reasons.items()],
        "inactive": state.inactive,
    }
