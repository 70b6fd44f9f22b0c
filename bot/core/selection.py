"""Reviewer selection: a pure function over plain data.

The store fetches candidates and applies the result inside one transaction; the choice
itself needs no database, so it is tested on its own and is reproducible with a seeded
random source.

Strategies (per team):
- ``random``: any eligible member, uniformly (the reference contract's behaviour);
- ``round_robin``: the eligible member whose last turn is oldest goes next (ties by id),
  so members excluded for one PR (the author, say) keep their place in the queue;
- ``least_loaded``: the eligible members with the fewest open reviews, ties at random.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Strategy(StrEnum):
    RANDOM = "random"
    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"


class Skip(StrEnum):
    """Why a member of the team was not considered."""

    INACTIVE = "inactive"
    AWAY = "away"
    AT_CAPACITY = "at_capacity"
    AUTHOR = "author"
    REPLACED = "replaced"  # the reviewer being reassigned away from
    ALREADY_REVIEWING = "already_reviewing"
    EXCLUDED = "excluded"  # excluded by the caller for a reason it did not name
    UNAVAILABLE = "unavailable"  # changed (deactivated, moved) while we were choosing


@dataclass(frozen=True, slots=True)
class Candidate:
    user_id: str
    is_active: bool = True
    away: bool = False
    open_reviews: int | None = None  # None: not read (random strategy, no cap)
    max_open_reviews: int | None = None
    turn: int = 0  # round robin: the team cursor when last picked

    def at_capacity(self) -> bool:
        cap, load = self.max_open_reviews, self.open_reviews
        return cap is not None and load is not None and load >= cap

    def unavailable(self) -> Skip | None:
        """Why this member cannot review now (inactive, away, at capacity), if so."""
        if not self.is_active:
            return Skip.INACTIVE
        if self.away:
            return Skip.AWAY
        if self.at_capacity():
            return Skip.AT_CAPACITY
        return None


@dataclass(frozen=True, slots=True)
class Selection:
    strategy: Strategy
    count: int
    chosen: tuple[str, ...]
    considered: tuple[Candidate, ...]
    skipped: Mapping[str, Skip] = field(default_factory=dict)

    def explain(self) -> dict[str, Any]:
        """A JSON-ready account of the choice, stored with each assignment."""
        return {
            "strategy": self.strategy.value,
            "count": self.count,
            "chosen": list(self.chosen),
            "candidates": [_describe(c, self.strategy) for c in self.considered],
            "skipped": [{"user_id": u, "reason": r.value} for u, r in self.skipped.items()],
        }


def _describe(candidate: Candidate, strategy: Strategy) -> dict[str, Any]:
    described: dict[str, Any] = {"user_id": candidate.user_id}
    if candidate.open_reviews is not None:
        described["open_reviews"] = candidate.open_reviews
    if strategy is Strategy.ROUND_ROBIN:
        described["last_turn"] = candidate.turn
    return described


def exclusion_reasons(
    exclude: Iterable[str], *, author: str | None = None, replacing: str | None = None
) -> dict[str, Skip]:
    """Name the reason for each id a caller excludes."""
    reasons = dict.fromkeys(exclude, Skip.EXCLUDED)
    if author is not None:
        reasons[author] = Skip.AUTHOR
    if replacing is not None:
        reasons[replacing] = Skip.REPLACED
    if author is not None or replacing is not None:
        # Callers that name the author/replaced reviewer exclude the rest because they
        # already review this PR.
        for user_id, reason in reasons.items():
            if reason is Skip.EXCLUDED:
                reasons[user_id] = Skip.ALREADY_REVIEWING
    return reasons


def select(
    strategy: Strategy,
    candidates: Sequence[Candidate],
    exclusions: Mapping[str, Skip],
    count: int,
    rng: random.Random,
    *,
    already_chosen: Sequence[str] = (),
) -> Selection:
    """Choose up to ``count`` reviewers (``already_chosen`` first, then new ones).

    Fewer eligible candidates than wanted is not an error: all of them are chosen.
    """
    skipped: dict[str, Skip] = {}
    eligible: list[Candidate] = []
    for candidate in _unique(candidates):
        reason = _skip_reason(candidate, exclusions)
        if reason is not None:
            skipped[candidate.user_id] = reason
        elif candidate.user_id not in already_chosen:
            eligible.append(candidate)
    wanted = max(count - len(already_chosen), 0)
    picked = _pick(strategy, eligible, wanted, rng)
    considered = tuple(c for c in _unique(candidates) if c.user_id not in skipped)
    return Selection(strategy, count, (*already_chosen, *picked), considered, skipped)


def _unique(candidates: Sequence[Candidate]) -> list[Candidate]:
    return list({c.user_id: c for c in reversed(candidates)}.values())[::-1]


def _skip_reason(candidate: Candidate, exclusions: Mapping[str, Skip]) -> Skip | None:
    if candidate.user_id in exclusions:
        return exclusions[candidate.user_id]
    return candidate.unavailable()


def _pick(
    strategy: Strategy, eligible: list[Candidate], wanted: int, rng: random.Random
) -> list[str]:
    if wanted <= 0 or not eligible:
        return []
    if strategy is Strategy.ROUND_ROBIN:
        ordered = sorted(eligible, key=lambda c: (c.turn, c.user_id))
        return [c.user_id for c in ordered[:wanted]]
    if strategy is Strategy.LEAST_LOADED:
        shuffled = list(eligible)
        rng.shuffle(shuffled)  # ties at random; sorted() keeps this order among equals
        ordered = sorted(shuffled, key=lambda c: c.open_reviews or 0)
        return [c.user_id for c in ordered[:wanted]]
    ids = [c.user_id for c in eligible]
    if len(ids) <= wanted:
        rng.shuffle(ids)
        return ids
    return rng.sample(ids, wanted)


def select_reviewers(
    candidates: Sequence[str],
    exclude: Iterable[str],
    count: int,
    rng: random.Random,
    strategy: Strategy = Strategy.RANDOM,
) -> list[str]:
    """Choose up to ``count`` distinct ids from ``candidates`` that are not in ``exclude``."""
    excluded = dict.fromkeys(exclude, Skip.EXCLUDED)
    pool = [Candidate(user_id) for user_id in candidates]
    return list(select(strategy, pool, excluded, count, rng).chosen)
