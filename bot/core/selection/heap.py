"""A batch queue kept as a heap of entries whose last item is the user id."""

from __future__ import annotations

import heapq
from collections.abc import Set
from typing import Any


class HeapQueue:
    """The first members in heap order that may review a PR; the rest keep their place.

    Subclasses build the entries and say what entry a member goes back in with.
    """

    def __init__(self, entries: list[tuple[Any, ...]]) -> None:
        heapq.heapify(entries)
        self.entries = entries

    def take(self, taken: Set[str], wanted: int, free: int) -> list[str]:
        chosen: list[str] = []
        passed_over: list[tuple[Any, ...]] = []
        entries = self.entries
        while entries and len(chosen) < wanted:
            entry = heapq.heappop(entries)
            if entry[-1] in taken:
                passed_over.append(entry)
            else:
                chosen.append(entry[-1])
        for entry in passed_over:
            heapq.heappush(entries, entry)
        return chosen

    def push(self, entry: tuple[Any, ...]) -> None:
        heapq.heappush(self.entries, entry)

    def drop(self, user_id: str) -> None:
        """Taken members are out of the heap until put back: nothing to do."""
