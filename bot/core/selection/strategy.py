"""The one protocol every strategy implements, for the single choice and the batch choice.

A strategy is a module (``random``, ``round_robin``, ``least_loaded``) holding one object
that says:
- what it reads: every member's open load (``reads_loads``), and whether it takes turns
  (``takes_turns``: it reads each member's last turn, and every pick takes the next turn
  of the team cursor). The store reads, and the service locks, only what is read;
- ``pick``: the single choice of ``select`` among the eligible members of one PR;
- ``queue``: the batch choice of ``choose_batch``: the eligible members of the team in
  the order this strategy takes them, kept up to date as the batch hands out reviews
  (``queue_of``: the same from plain columns, for the replay simulator).

The shared rules (who is eligible, caps, turns and cursor, explanations) live in
``select`` and ``choose_batch``, not in the strategies. Names are in ``registry``.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Sequence, Set
from typing import Protocol

from bot.core.selection.candidates import Candidate


class Strategy(Protocol):
    name: str  # as in the team file, the database and every explanation
    summary: str  # one line for the docs (the JSON Schema describes each strategy with it)
    reads_loads: bool  # needs every member's open load, not only the capped members'
    takes_turns: bool  # reads each member's last turn; each pick takes the cursor's next

    def pick(self, eligible: Sequence[Candidate], wanted: int, rng: random.Random) -> list[str]:
        """Single choice: ``wanted`` ids from ``eligible`` (never empty, ``wanted`` >= 1).

        ``eligible`` are in the caller's order; all of them when there are not enough.
        """
        ...

    def queue(self, eligible: Sequence[Candidate], rng: random.Random) -> BatchQueue:
        """Batch choice: ``eligible`` (sorted by id, never changed) ready to be taken from."""
        ...

    def queue_of(
        self, ids: Collection[str], loads: Iterable[int], turns: Iterable[int], rng: random.Random
    ) -> BatchQueue:
        """``queue`` from columns: the eligible ids with their open loads and last turns, in
        the same order (the replay keeps its teams so, rather than as candidates)."""
        ...


class BatchQueue(Protocol):
    """The eligible members of one batch, as a strategy takes them, PR after PR."""

    def take(self, taken: Set[str], wanted: int, free: int) -> list[str]:
        """Up to ``wanted`` members not in ``taken``; ``free`` of the eligible are not."""
        ...

    def put_back(self, user_id: str, load: int, turn: int) -> None:
        """A member just taken may be taken again, with this open load and last turn."""
        ...

    def drop(self, user_id: str) -> None:
        """A member just taken has reached their cap: never take them again."""
        ...
