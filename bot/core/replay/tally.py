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
from datetime import datetime

from bot.core.replay.history import Window


@dataclass(slots=True)
class MemberTally:
    assigned: int = 0
    open_now: int = 0
    peak_open: int = 0
    open_seconds: float = 0.0


@dataclass(slots=True)
class Tally:
    window: Window
    on_release: Callable[[str], None] | None = None
    members: dict[str, MemberTally] = field(default_factory=lambda: defaultdict(MemberTally))
    prs: Counter[str] = field(default_factory=Counter)  # PRs per team
    short: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    _ends: list[tuple[float, int, str]] = field(default_factory=list)  # (POSIX end, seq, id)
    _seq: int = 0
    _since: float = 0.0
    _until: float = 0.0

    def __post_init__(self) -> None:
        # POSIX seconds: a replay adds and compares these a few times per review.
        self._since = self.window.since.timestamp()
        self._until = self.window.until.timestamp()

    def advance(self, now: datetime) -> None:
        """Release every review that ended at or before ``now``."""
        ends, at = self._ends, now.timestamp()
        while ends and ends[0][0] <= at:
            _, _, user_id = heapq.heappop(ends)
            self.members[user_id].open_now -= 1
            if self.on_release is not None:
                self.on_release(user_id)

    def open(self, user_id: str, start: datetime, end: datetime | None) -> None:
        until, begun = self._until, start.timestamp()
        stop = until if end is None else min(end.timestamp(), until)
        member = self.members[user_id]
        member.assigned += 1
        member.open_seconds += max(stop - max(begun, self._since), 0.0)
        if stop <= begun:
            return  # closed as soon as opened: never open at a PR start
        member.open_now += 1
        member.peak_open = max(member.peak_open, member.open_now)
        self._seq += 1
        heapq.heappush(self._ends, (stop, self._seq, user_id))

    def pr(self, team: str, wanted: int, got: int, why: str | None) -> None:
        self.prs[team] += 1
        if got < wanted:
            self.short[team][why or "unknown"] += 1

    def open_load(self, user_id: str) -> int:
        found = self.members.get(user_id)
        return found.open_now if found is not None else 0
