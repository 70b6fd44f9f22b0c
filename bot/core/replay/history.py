"""What a replay reads of one stored pull request (plain data, streamed in creation order).

Times of PRs and reviews are POSIX seconds (floats, exact to the microsecond at these
magnitudes): the replay only adds and compares them, and reading them so from the
database spares a ``datetime`` per value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Review:
    """One reviewer as it really happened: on the PR from ``start`` until ``end`` (None:
    still on it when the window ends), POSIX seconds."""

    user_id: str
    start: float
    end: float | None


@dataclass(frozen=True, slots=True)
class HistoricPr:
    pull_request_id: str
    author_id: str
    created_at: float  # POSIX seconds
    closed_at: float | None  # merged or closed; None: still open
    repo: str | None = None  # host repository path, for rules limited to repos
    changed_files: tuple[str, ...] | None = None  # None: not known
    actual: tuple[Review, ...] = ()
    actual_team: str | None = None  # the author's team in the database


@dataclass(frozen=True, slots=True)
class Window:
    since: datetime
    until: datetime

    @property
    def seconds(self) -> float:
        return max((self.until - self.since).total_seconds(), 1.0)
