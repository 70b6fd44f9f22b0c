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


@dataclass(frozen=True, slots=True)
class ResponseFigures:
    requests: int
    responses: int
    p50_seconds: float | None
    p90_seconds: float | None
    breaches: int  # first_response passed without a response
    escalations: int

    def as_json(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "responses": self.responses,
            "time_to_first_response": {
                "p50_seconds": self.p50_seconds,
                "p90_seconds": self.p90_seconds,
            },
            "sla_breaches": self.breaches,
            "escalations": self.escalations,
        }


NO_REVIEWS = ResponseFigures(0, 0, None, None, 0, 0)
