"""The last overview read for each filter, given again while nothing it depends on changed.

Keyed by the database's snapshot (``store.dashboard.snapshot``), read from PostgreSQL on
every request: an equal snapshot means no transaction has committed since the read, so
PostgreSQL would return the same rows; a write acknowledged by any worker or instance has
committed and changed it, so the next page reads again (the freshness rule of
docs/performance.md). Time is the other input: the core decides how long the read's
7- and 30-day counts and "away today" hold (``read_still_holds``).

Per process and small: reads under older snapshots are never used again, so only reads
under the latest snapshot are kept, one per filter, for a bounded number of filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.dashboard import Overview, read_still_holds

# (team, host) pairs kept, the oldest read dropped beyond that: a one-team overview with
# its explanations is ≈ 100-150 KB, so at most ≈ 10 MB.
MAX_FILTERS = 64

Key = tuple[str | None, str | None]


@dataclass(frozen=True, slots=True)
class Read:
    snapshot: str
    read_at: datetime  # the ``now`` the overview was read for
    holds_until: datetime | None  # see bot.core.dashboard.counts_hold_until
    overview: Overview


class OverviewCache:
    def __init__(self, max_filters: int = MAX_FILTERS) -> None:
        self._reads: dict[Key, Read] = {}
        self._max = max_filters

    def get(self, key: Key, snapshot: str, now: datetime) -> Overview | None:
        found = self._reads.get(key)
        if found is None or found.snapshot != snapshot:
            return None
        if not read_still_holds(found.read_at, found.holds_until, now):
            return None
        return found.overview

    def put(self, key: Key, read: Read) -> None:
        # Reads under other snapshots are dead weight: once the database has moved on, no
        # request sees their snapshot again (a slow read finishing late drops newer ones:
        # they are read again, nothing worse).
        kept = {k: r for k, r in self._reads.items() if r.snapshot == read.snapshot and k != key}
        if len(kept) >= self._max:  # the dict's order is the age order: drop the oldest
            del kept[next(iter(kept))]
        kept[key] = read
        self._reads = kept
