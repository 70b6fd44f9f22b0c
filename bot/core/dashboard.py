"""What the team leads' page shows, decided over plain rows: member states, per-team
summaries with a fairness figure, and why a PR has fewer reviewers than its team wants.

The store reads the rows (already counted in SQL); everything here is arithmetic and
wording, tested without a database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class MemberState(StrEnum):
    AVAILABLE = "available"
    AWAY = "away"
    AT_CAPACITY = "at_capacity"
    INACTIVE = "inactive"


@dataclass(frozen=True, slots=True)
class MemberRow:
    user_id: str
    username: str
    team_name: str
    is_active: bool
    max_open_reviews: int | None
    away_today: bool
    open_reviews: int  # as GET /stats counts them: reviews of OPEN PRs now
    assigned_7d: int  # GET /stats `assignments` with since = now - 7 days
    assigned_30d: int

    @property
    def state(self) -> MemberState:
        # The order selection checks availability in: inactive, then away, then the cap.
        if not self.is_active:
            return MemberState.INACTIVE
        if self.away_today:
            return MemberState.AWAY
        if self.max_open_reviews is not None and self.open_reviews >= self.max_open_reviews:
            return MemberState.AT_CAPACITY
        return MemberState.AVAILABLE


@dataclass(frozen=True, slots=True)
class LoadGroup:
    """Members of one team alike in state and load, counted by the store."""

    is_active: bool
    away_today: bool
    capped: bool  # at their max_open_reviews
    open_reviews: int  # each member's
    count: int
    assigned_7d: int  # the group's, summed
    assigned_30d: int


@dataclass(frozen=True, slots=True)
class TeamFigures:
    team_name: str
    strategy: str
    reviewers: int  # how many reviewers the team wants per PR
    members: int
    active_members: int
    away: int  # active and away today
    at_capacity: int  # active, not away, at their max_open_reviews
    open_reviews: int
    assigned_7d: int
    assigned_30d: int
    gini: float  # of open reviews among active members: 0 even, towards 1 one does all
    max_over_mean: float | None  # the busiest active member's open reviews / the mean
    busiest_load: int
    busiest: tuple[tuple[str, int], ...] = ()  # up to three (user_id, open reviews), most first


def figures_of(
    team_name: str,
    strategy: str,
    reviewers: int,
    groups: Sequence[LoadGroup],
    busiest: tuple[tuple[str, int], ...] = (),
) -> TeamFigures:
    """A team's numbers from its load groups; fairness over active members only (the
    inactive are never chosen, so their zeros would only flatter the figure)."""
    active = [g for g in groups if g.is_active]
    loads = [g.open_reviews for g in active for _ in range(g.count)]
    return TeamFigures(
        team_name=team_name,
        strategy=strategy,
        reviewers=reviewers,
        members=sum(g.count for g in groups),
        active_members=len(loads),
        away=sum(g.count for g in active if g.away_today),
        at_capacity=sum(g.count for g in active if g.capped and not g.away_today),
        open_reviews=sum(g.open_reviews * g.count for g in groups),
        assigned_7d=sum(g.assigned_7d for g in groups),
        assigned_30d=sum(g.assigned_30d for g in groups),
        gini=gini(loads),
        max_over_mean=max_over_mean(loads),
        busiest_load=max(loads, default=0),
        busiest=busiest,
    )


def figures_from_members(
    team_name: str, strategy: str, reviewers: int, members: Sequence[MemberRow]
) -> TeamFigures:
    """The same figures from a team's member rows (the one-team page has them anyway)."""
    groups: dict[tuple[bool, bool, bool, int], list[MemberRow]] = {}
    for m in members:
        capped = m.max_open_reviews is not None and m.open_reviews >= m.max_open_reviews
        groups.setdefault((m.is_active, m.away_today, capped, m.open_reviews), []).append(m)
    loads = [
        LoadGroup(*key, len(ms), sum(m.assigned_7d for m in ms), sum(m.assigned_30d for m in ms))
        for key, ms in groups.items()
    ]
    ranked = sorted(
        (m for m in members if m.open_reviews), key=lambda m: (-m.open_reviews, m.user_id)
    )
    busiest = tuple((m.user_id, m.open_reviews) for m in ranked[:3])
    return figures_of(team_name, strategy, reviewers, loads, busiest)


@dataclass(frozen=True, slots=True)
class PrRow:
    pull_request_id: str
    pull_request_name: str
    author_id: str
    team_name: str
    created_at: datetime
    wanted: int
    reviewers: tuple[str, ...]
    explain: Mapping[str, Any] | None = None  # the latest recorded explanation, if any
    # Taken off after that explanation with nobody chosen in their place (the host refused
    # them, or a person removed them on the host).
    removed: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    host: str
    pull_request_id: str
    kind: str  # request | remove | react | reply (a reaction or reply names nobody)
    user_id: str | None
    state: str  # pending | retrying | failed (see outbox_state)
    attempts: int
    last_error: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    pending: int = 0
    retrying: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class Overview:
    teams: tuple[TeamFigures, ...]
    members: tuple[MemberRow, ...]  # only when one team is asked for
    open_prs: int
    oldest: tuple[PrRow, ...]
    short: tuple[PrRow, ...]
    short_total: int
    outbox: tuple[OutboxRow, ...]
    outbox_counts: OutboxCounts = field(default_factory=OutboxCounts)
    team_names: tuple[str, ...] = ()  # every team, for the filter


def counts_hold_until(
    oldest_counted: Sequence[datetime | None], windows: Sequence[timedelta]
) -> datetime | None:
    """Until when assignment counts read now stay right with no new write: an assignment
    at ``at`` counts in the window ``w`` while ``now - w <= at``, so the oldest one counted
    in each window (None: the window is empty) leaves it first, at ``at + w``. None when
    no counted assignment will ever leave (windows only move forward)."""
    ends = [at + w for at, w in zip(oldest_counted, windows, strict=True) if at is not None]
    return min(ends, default=None)


def read_still_holds(read_at: datetime, holds_until: datetime | None, now: datetime) -> bool:
    """Whether an overview read at ``read_at`` is still what a read at ``now`` would give,
    when the database has not changed since. Only time can have changed it then: a new
    day (who is away today) or an assignment leaving its window; and a clock that went
    back could bring an old assignment into a window again."""
    if not read_at <= now or read_at.date() != now.date():
        return False
    return holds_until is None or now <= holds_until


def outbox_state(state: str, last_error: str | None) -> str:
    """A pending post-back that already failed once is ``retrying``; else its own state."""
    return "retrying" if state == "pending" and last_error is not None else state


def gini(values: Sequence[int]) -> float:
    """The Gini coefficient: 0 when everyone has the same, (n-1)/n when one has all.

    From the sorted values, i counted from 1: G = 2 * sum(i * x_i) / (n * sum(x)) - (n+1)/n.
    """
    n, total = len(values), sum(values)
    if n == 0 or total == 0:
        return 0.0
    ranked = sum(i * x for i, x in enumerate(sorted(values), 1))
    return max(0.0, 2 * ranked / (n * total) - (n + 1) / n)


def max_over_mean(values: Sequence[int]) -> float | None:
    total = sum(values)
    if not values or total == 0:
        return None
    return max(values) / (total / len(values))


_REASON_WORDS = {
    "inactive": "inactive",
    "away": "away",
    "at_capacity": "at capacity",
    "author": "the author",
    "replaced": "replaced",
    "already_reviewing": "already reviewing",
    "refused": "refused by the host",
    "unavailable": "changed while choosing",
}


def shortfall_reason(pr: PrRow) -> str:
    """Why ``pr`` has fewer reviewers than wanted, from its latest explanation record."""
    explain = pr.explain
    if pr.removed is not None:
        return (
            f"{pr.removed} was taken off after the last choice (refused by the host, or removed"
            " there) and nobody was chosen in their place"
        )
    if not explain:
        if pr.reviewers:  # mirrored from the host, where nothing is chosen or explained
            return "no explanation recorded: its reviewers were requested on the host"
        return "nobody could be assigned (no eligible member when it was opened)"
    counts: dict[str, int] = {}
    for skipped in explain.get("skipped") or []:
        reason = str(skipped.get("reason", "unknown"))
        counts[reason] = counts.get(reason, 0) + 1
    inactive = explain.get("inactive")
    if isinstance(inactive, int) and inactive:  # batch records count the inactive only
        counts["inactive"] = counts.get("inactive", 0) + inactive
    chosen = len(explain.get("chosen") or [])
    order = list(_REASON_WORDS)  # the most frequent reason first, ties in vocabulary order
    ranked = sorted(
        counts.items(), key=lambda rn: (-rn[1], order.index(rn[0]) if rn[0] in order else 99)
    )
    parts = [f"{n} {_REASON_WORDS.get(r, r)}" for r, n in ranked]
    skipped_text = ", ".join(parts) if parts else "no one skipped"
    noun = "reviewer" if chosen == 1 else "reviewers"
    return (
        f"only {chosen} eligible {noun} ({explain.get('strategy', '?')}); skipped: {skipped_text}"
    )


def age_text(created_at: datetime, now: datetime) -> str:
    """A PR's age for people: '3 d 4 h', '5 h 12 min', '7 min'."""
    seconds = max(0, int((now - created_at).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"
