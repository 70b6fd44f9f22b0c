"""Assignment statistics as plain data: the window asked for and the rows answered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Window:
    team_name: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def args(self) -> tuple[str | None, datetime | None, datetime | None]:
        return self.team_name, self.since, self.until


@dataclass(frozen=True, slots=True)
class UserStats:
    user_id: str
    username: str
    team_name: str
    is_active: bool
    assignments: int
    open_reviews: int
    merged_reviews: int
    reassigned_away: int


@dataclass(frozen=True, slots=True)
class TeamStats:
    team_name: str
    members: int
    active_members: int
    pull_requests_created: int


@dataclass(frozen=True, slots=True)
class PrStats:
    pull_request_id: str
    reassignments: int
    removals: int
