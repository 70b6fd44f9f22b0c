"""Plain data passed between the store, the core and the handlers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class PrStatus(StrEnum):
    OPEN = "OPEN"
    MERGED = "MERGED"
    # Only for PRs a code host closed without merging (CONTRACT §2).
    CLOSED = "CLOSED"


@dataclass(frozen=True, slots=True)
class Member:
    user_id: str
    username: str
    is_active: bool


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

    def active_ids(self) -> list[str]:
        return [m.user_id for m in self.members if m.is_active]


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
class PullRequestShort:
    pull_request_id: str
    pull_request_name: str
    author_id: str
    status: PrStatus
