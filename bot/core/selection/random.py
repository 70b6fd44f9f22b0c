"""``random``: any eligible member, uniformly (the reference contract's behaviour).

Reads no loads and no turns, so a team with this strategy and no caps is chosen from
cached data without the team lock.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Sequence, Set
from dataclasses import dataclass

from bot.core.selection.candidates import Candidate


@dataclass(frozen=True, slots=True)
class RandomStrategy:
    name = "random"
    summary = "any available member"
    reads_loads = False
    takes_turns = False

    def pick(self, eligible: Sequence[Candidate], wanted: int, rng: random.Random) -> list[str]:
        ids = [c.user_id for c in eligible]
        if len(ids) <= wanted:
            rng.shuffle(ids)
            return ids
        return rng.sample(ids, wanted)

    def queue(self, eligible: Sequence[Candidate], rng: random.Random) -> RandomQueue:
        return RandomQueue([c.user_id for c in eligible], rng)

    def queue_of(
        self, ids: Collection[str], loads: Iterable[int], turns: Iterable[int], rng: random.Random
    ) -> RandomQueue:
        return RandomQueue(list(ids), rng)


class RandomQueue:
    """Uniform draws among the members still eligible (sorted by id)."""

    def __init__(self, eligible: list[str], rng: random.Random) -> None:
        self.eligible = eligible
        self.rng = rng

    def take(self, taken: Set[str], wanted: int, free: int) -> list[str]:
        eligible = self.eligible
        if free > 2 * wanted and 2 * free > len(eligible):
            # Most are free: draw and redraw (on average < 2 draws), no O(team) list.
            chosen: list[str] = []
            while len(chosen) < wanted:
                user_id = eligible[self.rng.randrange(len(eligible))]
                if user_id not in taken and user_id not in chosen:
                    chosen.append(user_id)
            return chosen
        pool = [u for u in eligible if u not in taken]
        return self.rng.sample(pool, min(wanted, len(pool)))

    def put_back(self, user_id: str, load: int, turn: int) -> None:
        """Still in ``eligible``: nothing to do."""

    def drop(self, user_id: str) -> None:
        self.eligible.remove(user_id)


RANDOM = RandomStrategy()
