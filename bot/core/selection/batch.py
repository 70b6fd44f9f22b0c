"""Choosing replacements for many PRs at once, against one snapshot of the team.

Bulk deactivation empties hundreds of review slots in one transaction. Choosing them one
``select`` call at a time costs O(team) Python work and a few statements per PR; here the
team is read once (locked), and every choice updates the state the next one sees, so the
result is what the per-PR choices would have produced. The strategy's queue
(``Strategy.queue``) says who goes next; the rules are the same for every strategy:

- each pick adds one open review; for a strategy that takes turns it also takes the next
  turn of the team cursor, exactly as ``record_choice`` stamps it, so the queue carries on
  afterwards;
- caps: a member who reaches their cap through this batch is not chosen again;
- never the author, never someone already on the PR, never a skipped member (inactive,
  being deactivated, away, changed concurrently).

Each PR's choice comes with a compact explanation (see ``_explain``).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.selection.candidates import Candidate, Skip
from bot.core.selection.strategy import Strategy

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
    turns: dict[str, int]  # strategies that take turns: each picked member's last turn
    cursor: int  # the team cursor after every pick (moves only if the strategy takes turns)


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
        self.strategy_name = strategy.name
        self.takes_turns = strategy.takes_turns
        self.cursor = cursor
        self.turns: dict[str, int] = {}
        self.members = {c.user_id: c for c in pool if c.user_id not in skipped}
        self.loads = {u: c.open_reviews or 0 for u, c in self.members.items()}
        all_skipped = dict(skipped)
        for user_id, candidate in self.members.items():
            reason = candidate.unavailable()
            if reason is not None:
                all_skipped[user_id] = reason
        eligible = sorted(u for u in self.members if u not in all_skipped)
        self.eligible = set(eligible)
        self.queue = strategy.queue([self.members[u] for u in eligible], rng)
        self.inactive = sum(1 for r in all_skipped.values() if r is Skip.INACTIVE)
        # Skipped for availability: named in every explanation (see _explain).
        self.notable = {u: r.value for u, r in all_skipped.items() if r is not Skip.INACTIVE}

    def fill(self, vacancy: Vacancy) -> Pick:
        taken = {vacancy.author_id, *vacancy.reviewers}
        wanted = len(vacancy.leaving)
        considered = len(self.eligible) - len(taken & self.eligible)
        chosen = self.queue.take(taken, wanted, considered)
        described = [self._describe(u) for u in chosen]
        self._record(chosen)
        explain = _explain(self, vacancy, chosen, described, considered)
        return Pick(vacancy.pull_request_id, tuple(chosen), explain)

    def _describe(self, user_id: str) -> dict[str, Any]:
        """The chosen member as the choice saw them (before this pick)."""
        described: dict[str, Any] = {"user_id": user_id}
        if self.members[user_id].open_reviews is not None:
            described["open_reviews"] = self.loads[user_id]
        if self.takes_turns:
            described["last_turn"] = self.turns.get(user_id, self.members[user_id].turn)
        return described

    def _record(self, chosen: list[str]) -> None:
        """Each pick adds one open review and, when taking turns, takes the next turn."""
        for position, user_id in enumerate(chosen, start=1):
            member = self.members[user_id]
            load = self.loads[user_id] = self.loads[user_id] + 1
            if self.takes_turns:
                turn = self.turns[user_id] = self.cursor + position
            else:
                turn = member.turn
            cap = member.max_open_reviews
            if cap is not None and load >= cap:
                self.eligible.discard(user_id)
                self.queue.drop(user_id)
                self.notable[user_id] = _AT_CAPACITY
            else:
                self.queue.put_back(user_id, load, turn)
        if self.takes_turns:
            self.cursor += len(chosen)


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
