"""The single choice: reviewers for one PR, a pure function over plain data.

The store fetches candidates and applies the result inside one transaction; the choice
itself needs no database, so it is tested on its own and is reproducible with a seeded
random source. Who is eligible is decided here, whatever the strategy; the strategy
only orders or draws among the eligible (``Strategy.pick``).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.core.selection.candidates import Candidate, Skip
from bot.core.selection.strategy import Strategy


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
            "strategy": self.strategy.name,
            "count": self.count,
            "chosen": list(self.chosen),
            "candidates": [_describe(c, self.strategy) for c in self.considered],
            "skipped": [{"user_id": u, "reason": r.value} for u, r in self.skipped.items()],
        }


def _describe(candidate: Candidate, strategy: Strategy) -> dict[str, Any]:
    described: dict[str, Any] = {"user_id": candidate.user_id}
    if candidate.open_reviews is not None:
        described["open_reviews"] = candidate.open_reviews
    if strategy.takes_turns:
        described["last_turn"] = candidate.turn
    return described


def exclusion_reasons(
    exclude: Iterable[str],
    *,
    author: str | None = None,
    replacing: str | None = None,
    refused: Iterable[str] = (),
) -> dict[str, Skip]:
    """Name the reason for each id a caller excludes: the author, the reviewer being
    replaced, whom the host refused; anyone else excluded already reviews the PR."""
    reasons = dict.fromkeys(exclude, Skip.ALREADY_REVIEWING)
    reasons.update(dict.fromkeys(refused, Skip.REFUSED))
    if replacing is not None:
        reasons[replacing] = Skip.REPLACED
    if author is not None:
        reasons[author] = Skip.AUTHOR
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
    picked = strategy.pick(eligible, wanted, rng) if wanted and eligible else []
    considered = tuple(c for c in _unique(candidates) if c.user_id not in skipped)
    return Selection(strategy, count, (*already_chosen, *picked), considered, skipped)


def _unique(candidates: Sequence[Candidate]) -> list[Candidate]:
    return list({c.user_id: c for c in reversed(candidates)}.values())[::-1]


def _skip_reason(candidate: Candidate, exclusions: Mapping[str, Skip]) -> Skip | None:
    if candidate.user_id in exclusions:
        return exclusions[candidate.user_id]
    return candidate.unavailable()
