"""``least_loaded``: the eligible members with the fewest open reviews, ties at random.

Reads every member's open load; in a batch the loads grow as reviews are handed out.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.selection.candidates import Candidate
from bot.core.selection.heap import HeapQueue


@dataclass(frozen=True, slots=True)
class LeastLoadedStrategy:
    name = "least_loaded"
    summary = "fewest open reviews, ties at random"
    reads_loads = True
    takes_turns = False

    def pick(self, eligible: Sequence[Candidate], wanted: int, rng: random.Random) -> list[str]:
        shuffled = list(eligible)
        rng.shuffle(shuffled)  # ties at random; sorted() keeps this order among equals
        ordered = sorted(shuffled, key=lambda c: c.open_reviews or 0)
        return [c.user_id for c in ordered[:wanted]]

    def queue(self, eligible: Sequence[Candidate], rng: random.Random) -> LeastLoadedQueue:
        entries = [(c.open_reviews or 0, rng.random(), c.user_id) for c in eligible]
        return LeastLoadedQueue(entries, rng)


class LeastLoadedQueue(HeapQueue):
    """Entries (open load, random tie-break, id): the lowest load first."""

    def __init__(self, entries: list[tuple[int, float, str]], rng: random.Random) -> None:
        super().__init__(entries)
        self.rng = rng

    def put_back(self, user_id: str, load: int, turn: int) -> None:
        self.push((load, self.rng.random(), user_id))


LEAST_LOADED = LeastLoadedStrategy()
