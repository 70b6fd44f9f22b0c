"""The overview cache's bookkeeping: an entry only for its own snapshot, reads under the
latest snapshot only, a bounded number of filters (freshness end to end: tests/dashboard)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.dashboard import Overview
from bot.services.dashboard_cache import OverviewCache, Read

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _overview(open_prs: int = 0) -> Overview:
    return Overview(
        teams=(), members=(), open_prs=open_prs, oldest=(), short=(), short_total=0, outbox=()
    )


def test_only_the_snapshot_it_was_read_under() -> None:
    cache, view = OverviewCache(), _overview()
    cache.put((None, None), Read("10:12:10", NOW, None, view))
    assert cache.get((None, None), "10:12:10", NOW) is view
    assert cache.get((None, None), "10:13:10", NOW) is None
    assert cache.get(("platform", None), "10:12:10", NOW) is None


def test_time_can_end_a_read() -> None:
    cache, view = OverviewCache(), _overview()
    cache.put((None, None), Read("1:1:", NOW, NOW + timedelta(minutes=5), view))
    assert cache.get((None, None), "1:1:", NOW + timedelta(minutes=5)) is view
    assert cache.get((None, None), "1:1:", NOW + timedelta(minutes=6)) is None


def test_the_latest_read_per_filter_and_the_oldest_filter_dropped() -> None:
    cache = OverviewCache(max_filters=2)
    old, new = _overview(1), _overview(2)
    cache.put(("a", None), Read("1:1:", NOW, None, old))
    cache.put(("a", None), Read("2:2:", NOW, None, new))
    assert cache.get(("a", None), "1:1:", NOW) is None
    assert cache.get(("a", None), "2:2:", NOW) is new
    cache.put(("b", None), Read("2:2:", NOW, None, old))
    cache.put(("c", None), Read("2:2:", NOW, None, old))  # "a" was read first: dropped
    assert cache.get(("a", None), "2:2:", NOW) is None
    assert cache.get(("b", None), "2:2:", NOW) is old
    assert cache.get(("c", None), "2:2:", NOW) is old


def test_a_read_under_a_newer_snapshot_drops_the_others() -> None:
    cache, view = OverviewCache(), _overview()
    cache.put(("a", None), Read("1:1:", NOW, None, view))
    cache.put(("b", None), Read("1:1:", NOW, None, view))
    assert cache.get(("a", None), "1:1:", NOW) is view
    cache.put(("b", None), Read("2:2:", NOW, None, view))
    assert cache.get(("a", None), "1:1:", NOW) is None
    assert cache.get(("b", None), "2:2:", NOW) is view
