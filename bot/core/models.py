"""Plain data passed between the store, the core and the handlers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from bot.core.selection import DEFAULT_STRATEGY, Strategy

# Reviewers per PR: the reference contract allows 0..2; a team's own number (from its team
# file) defaults to 2 and is what create and the webhooks' top-up ask for.
MAX_REVIEWERS = 2
DEFAULT_REVIEWERS = 2


class Mode(StrEnum):
    """What a team lets reviewbot do (team file ``mode:``): request reviewers on the host,
    only suggest them in one comment per PR, or stay silent (history and statistics only)."""

    ASSIGN = "assign"
    SUGGEST = "suggest"
    OFF = "off"


DEFAULT_MODE = Mode.ASSIGN


class PrStatus(StrEnum):
    OPEN = "OPEN"
    MERGED = "MERGED"
    # Only for PRs a code host closed without merging (CONTRACT §2).
    CLOSED = "CLOSED"


@dataclass(frozen=True, slots=True)
class AwayPeriod:
    """Days away, both ends inclusive; ``first_day`` None is an ``away_until`` entry."""

    first_day: date | None
    last_day: date

    def covers(self, day: date) -> bool:
        return (self.first_day is None or self.first_day <= day) and day <= self.last_day


@dataclass(frozen=True, slots=True)
class Member:
    user_id: str
    username: str
    is_active: bool
    # From the team YAML (issue 4); the reference API leaves them as they are.
    max_open_reviews: int | None = None
    away: tuple[AwayPeriod, ...] = ()

    def is_away(self, day: date) -> bool:
        return any(period.covers(day) for period in self.away)


@dataclass(frozen=True, slots=True)
class User:
    user_id: str
    username: str
    team_name: str
    is_active: bool


@dataclass(frozen=True, slots=True)
class Team:
    team_name: str
    members: tuple[Member, ...]
    strategy: Strategy = DEFAULT_STRATEGY
    reviewers: int = DEFAULT_REVIEWERS  # per new PR, 0..MAX_REVIEWERS
    prefer_working_hours: bool = False  # the team file's sla setting (issue 15)
    mode: Mode = DEFAULT_MODE


@dataclass(frozen=True, slots=True)
class PullRequest:
    pull_request_id: str
    pull_request_name: str
    author_id: str
    status: PrStatus
    assigned_reviewers: tuple[str, ...]
    created_at: datetime
    merged_at: datetime | None


@dataclass(frozen=True, slots=True)
class PrFilter:
    """Which pull requests a listing asks for; None leaves a field open."""

    status: str | None = None
    team_name: str | None = None
    reviewer_id: str | None = None
    author_id: str | None = None
