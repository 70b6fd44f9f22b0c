"""The replay simulator's use case: candidate team files against stored history.

The files are parsed with the same reader as ``teams validate`` (the same file:line
errors), the PRs of the window are streamed from a READ ONLY transaction and fed one by
one to the pure ``bot.core.replay`` engine; the report is built from its tallies. Nothing
is written: not the database, not the cache, not a host.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.errors import BadRequest, Busy, SimulationTooLarge
from bot.core.models import Member, Team
from bot.core.replay.engine import Replay
from bot.core.replay.history import HistoricPr, Review, Window
from bot.core.replay.report import build_report
from bot.core.routing import Routing
from bot.hosts.registry import parse_pr_id
from config.team_parse import TeamConfig
from config.team_spec import TeamSpec
from store import replay as store
from store.db import Db

_RELATIVE = re.compile(r"^(\d{1,5})([dhw])$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
DEFAULT_SINCE = "30d"


@dataclass(frozen=True, slots=True)
class Limits:
    """What one replay may cost (the API's are tighter than the CLI's)."""

    max_days: int = 3660
    max_prs: int | None = None
    max_seconds: float | None = None


def parse_when(text: str, now: datetime, name: str) -> datetime:
    """``30d`` / ``12h`` / ``2w`` before now, a date (``2026-01-31``, midnight UTC) or an
    RFC 3339 date-time."""
    found = _RELATIVE.match(text.strip())
    if found:
        return now - int(found.group(1)) * _UNITS[found.group(2)]
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadRequest(
            f"{name}: expected a duration like 30d, 12h, 2w, or a date (YYYY-MM-DD), got {text!r}"
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def window_of(since: str | None, until: str | None, now: datetime, limits: Limits) -> Window:
    end = parse_when(until, now, "until") if until else now
    start = parse_when(since or DEFAULT_SINCE, end if since is None else now, "since")
    if start >= end:
        raise BadRequest("since: must be before until")
    if end - start > timedelta(days=limits.max_days):
        raise SimulationTooLarge(f"the window is longer than {limits.max_days} days")
    return Window(start, end)


def team_of(spec: TeamSpec) -> Team:
    members = tuple(
        Member(m.user_id, m.username, m.is_active, m.max_open_reviews, m.away) for m in spec.members
    )
    # Working hours are not replayed (the replay has no clock of the members' days).
    return Team(spec.name, members, spec.strategy, spec.reviewers, mode=spec.mode)


def historic(row: Mapping[str, Any], with_repo: bool = True) -> HistoricPr:
    """The PR of one row; its repository only ``with_repo`` (only rules limited to repos
    read it, and parsing the id is a good part of the cost of a row)."""
    ref = parse_pr_id(row["pull_request_id"]) if with_repo else None
    closed = row["closed_at"]
    on = zip(row["on_ids"] or (), row["on_at"] or (), strict=True)
    if row["off_ids"] is None:  # most PRs: every reviewer stayed until the PR closed
        reviews = [Review(user_id, start, closed) for user_id, start in on]
    else:
        offs = list(zip(row["off_ids"], row["off_at"], strict=True))
        reviews = []
        for user_id, start in on:
            end = next((at for u, at in offs if u == user_id and at >= start), closed)
            reviews.append(Review(user_id, start, end))
    files = row["changed_files"]
    return HistoricPr(
        row["pull_request_id"],
        row["author_id"],
        row["created_at"],
        closed,
        None if ref is None else ref.repo,
        None if files is None else tuple(files),
        tuple(reviews),
        row["author_team"],
    )


# The replay is CPU work between fetches: hand the event loop back this often, so that a
# replay served by the API never holds up the requests beside it for long.
YIELD_EVERY = 200


class Simulator:
    def __init__(self, db: Db) -> None:
        self.db = db
        self._running = asyncio.Lock()  # one replay at a time per process

    async def run(
        self,
        config: TeamConfig,
        files: Sequence[str],
        window: Window,
        seed: int | None,
        limits: Limits = Limits(),
    ) -> dict[str, Any]:
        if self._running.locked():
            raise Busy("a replay is already running in this instance; try again shortly")
        async with self._running:
            return await self._run(config, files, window, seed, limits)

    async def _run(
        self,
        config: TeamConfig,
        files: Sequence[str],
        window: Window,
        seed: int | None,
        limits: Limits,
    ) -> dict[str, Any]:
        routing = Routing(config.rules or ())
        rng = random.Random(seed)
        replay = Replay([team_of(t) for t in config.teams], routing, window, rng)
        with_repo = any(rule.repos for rule in routing.rules)
        started, seen = time.monotonic(), 0
        async with self.db.transaction() as conn:
            await store.read_only(conn)
            rows = store.stream_history(conn, window.since, window.until)
            async with contextlib.aclosing(rows):
                async for batch in rows:
                    for row in batch:
                        replay.feed(historic(row, with_repo))
                        seen += 1
                        _check(limits, seen, started)
                        if seen % YIELD_EVERY == 0:
                            await asyncio.sleep(0)
        return build_report(replay, files, seed)


def _check(limits: Limits, seen: int, started: float) -> None:
    if limits.max_prs is not None and seen > limits.max_prs:
        raise SimulationTooLarge(
            f"more than {limits.max_prs} PRs in the window; choose a shorter one"
        )
    budget = limits.max_seconds
    if budget is not None and seen % 1000 == 0 and time.monotonic() - started > budget:
        raise SimulationTooLarge(
            f"the replay took longer than {budget:g} s; choose a shorter window"
        )
