"""Counting one side of a replay (simulated or actual): reviews, open load, shortfalls.

Open load is tracked by a sweep: every review is open from its start until its end (the
PR's merge or close, a removal, or the end of the window). Before each PR is counted, the
reviews that ended by its creation are released, so ``peak`` is exact at every PR start
(where load can only go up). ``mean`` is the time-weighted average over the window:
the summed open time of a member's reviews divided by the window's length.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.core.replay.history import Window


@dataclass(slots=True)
class MemberTally:
    assigned: int = 0
    open_now: int = 0
    peak_open: int = 0
    open_seconds: float = 0.0


@dataclass(slots=True)
class Tally:
    """Times are POSIX seconds: a replay adds and compares them a few times per review."""

    window: Window
    on_release: Callable[[str], None] | None = None
    members: dict[str, MemberTally] = field(default_factory=lambda: defaultdict(MemberTally))
    prs: Counter[str] = field(default_factory=Counter)  # PRs per team
    short: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    # (end, seq, ids): the reviews of one PR that end together, released in the order
    # they were opened (``on_release`` sees them so).
    _ends: list[tuple[float, int, tuple[str, ...]]] = field(default_factory=list)
    _seq: int = 0
    _since: float = 0.0
    _until: float = 0.0

    def __post_init__(self) -> None:
        self._since = self.window.since.timestamp()
        self._until = self.window.until.timestamp()

    def advance(self, at: float) -> None:
        """Release every review that ended at or before ``at``."""
        ends, members, on_release = self._ends, self.members, self.on_release
        while ends and ends[0][0] <= at:
            for user_id in heapq.heappop(ends)[2]:
                members[user_id].open_now -= 1
                if on_release is not None:
                    on_release(user_id)

    def open(self, user_ids: tuple[str, ...], start: float, end: float | None) -> None:
        """Reviews of one PR by ``user_ids``, each open from ``start`` to ``end``."""
        until = self._until
        stop = until if end is None or end > until else end
        seconds = stop - (start if start > self._since else self._since)
        opens = stop > start  # else closed as soon as opened: never open at a PR start
        members = self.members
        for user_id in user_ids:
            member = members[user_id]
            member.assigned += 1
            if seconds > 0.0:
                member.open_seconds += seconds
            if opens:
                open_now = member.open_now = member.open_now + 1
                if open_now > member.peak_open:
                    member.peak_open = open_now
        if opens and user_ids:
            self._seq += 1
            heapq.heappush(self._ends, (stop, self._seq, user_ids))

    def pr(self, team: str, wanted: int, got: int, why: str | None) -> None:
        self.prs[team] += 1
        if got < wanted:
            self.short[team][why or "unknown"] += 1
