"""The last overview read for each filter, given again while nothing it depends on changed.

Keyed by the database's snapshot (``store.dashboard.snapshot``), read from PostgreSQL on
every request: an equal snapshot means no transaction has committed since the read, so
PostgreSQL would return the same rows; a write acknowledged by any worker or instance has
committed and changed it, so the next page reads again (the freshness rule of
docs/performance.md). Time is the other input: the core decides how long the read's
7- and 30-day counts and "away today" hold (``read_still_holds``).

Per process and small: entries of older snapshots are never used again, so each filter
keeps only its latest read, and the number of filters kept is bounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.dashboard import Overview, read_still_holds

MAX_FILTERS = 256  # (team, host) pairs kept; the oldest read is dropped beyond that

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
        self._reads.pop(key, None)  # re-inserted last: the dict's order is the age order
        if len(self._reads) >= self._max:
            del self._reads[next(iter(self._reads))]
        self._reads[key] = read
