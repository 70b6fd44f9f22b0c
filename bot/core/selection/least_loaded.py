"""``least_loaded``: the eligible members with the fewest open reviews, ties at random.

Reads every member's open load; in a batch the loads grow as reviews are handed out.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat

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
        loads = [c.open_reviews or 0 for c in eligible]
        return self.queue_of([c.user_id for c in eligible], loads, (), rng)

    def queue_of(
        self, ids: Collection[str], loads: Iterable[int], turns: Iterable[int], rng: random.Random
    ) -> LeastLoadedQueue:
        # One tie-break per member, drawn in the members' order (as rng.random() in a loop).
        ties = list(map(type(rng).random, repeat(rng, len(ids))))
        return LeastLoadedQueue(list(zip(loads, ties, ids, strict=True)), rng)


class LeastLoadedQueue(HeapQueue):
    """Entries (open load, random tie-break, id): the lowest load first."""

    def __init__(self, entries: list[tuple[int, float, str]], rng: random.Random) -> None:
        super().__init__(entries)
        self.rng = rng

    def put_back(self, user_id: str, load: int, turn: int) -> None:
        self.push((load, self.rng.random(), user_id))


LEAST_LOADED = LeastLoadedStrategy()
