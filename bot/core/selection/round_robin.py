"""``round_robin``: the eligible member whose last turn is oldest goes next (ties by id).

Members excluded from one PR (the author, say) keep their place in the queue. Every pick
takes the next turn of the team cursor, as the store stamps it, so the queue carries on
from one choice (or batch) to the next.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from bot.core.selection.candidates import Candidate
from bot.core.selection.heap import HeapQueue


@dataclass(frozen=True, slots=True)
class RoundRobinStrategy:
    name = "round_robin"
    summary = "the member whose turn is oldest"
    reads_loads = False
    takes_turns = True

    def pick(self, eligible: Sequence[Candidate], wanted: int, rng: random.Random) -> list[str]:
        ordered = sorted(eligible, key=lambda c: (c.turn, c.user_id))
        return [c.user_id for c in ordered[:wanted]]

    def queue(self, eligible: Sequence[Candidate], rng: random.Random) -> RoundRobinQueue:
        return RoundRobinQueue([(c.turn, c.user_id) for c in eligible])

    def queue_of(
        self, ids: Collection[str], loads: Iterable[int], turns: Iterable[int], rng: random.Random
    ) -> RoundRobinQueue:
        return RoundRobinQueue(list(zip(turns, ids, strict=True)))


class RoundRobinQueue(HeapQueue):
    """Entries (last turn, id): oldest turn first, ties by id."""

    def put_back(self, user_id: str, load: int, turn: int) -> None:
        self.push((turn, user_id))


ROUND_ROBIN = RoundRobinStrategy()
