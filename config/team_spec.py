"""The team-config format as plain data: what a YAML file asks for, and what is stored.

Both sides use the same shapes so that planning is a comparison of like with like, and
exporting is printing the stored side in the file's format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.core.models import DEFAULT_MODE, DEFAULT_REVIEWERS, AwayPeriod, Mode
from bot.core.routing import CODEOWNERS_OFF, CodeOwnersSetting, Rule
from bot.core.selection import DEFAULT_STRATEGY, Strategy
from config.team_sla import DEFAULT_WORK, NO_SLA, TeamSla, WorkTime

MAX_ID_LENGTH = 255
MAX_NAME_LENGTH = 1000


@dataclass(frozen=True, slots=True)
class MemberSpec:
    user_id: str
    username: str
    is_active: bool = True
    handles: tuple[tuple[str, str], ...] = ()  # (host, handle), in bot.hosts.registry order
    max_open_reviews: int | None = None
    away: tuple[AwayPeriod, ...] = ()  # sorted: away_until first, then by dates
    work: WorkTime = DEFAULT_WORK  # timezone, hours, days (issue 15)

    def fields(self) -> dict[str, object]:
        """The comparable settings of a member (everything but id and team)."""
        return {
            "name": self.username,
            "active": self.is_active,
            "handles": dict(self.handles),
            "max_open_reviews": self.max_open_reviews,
            "away": [_period(p) for p in self.away],
            **self.work.fields(),
        }


def _period(period: AwayPeriod) -> dict[str, str | None]:
    first = period.first_day.isoformat() if period.first_day else None
    return {"from": first, "to": period.last_day.isoformat()}


def sort_away(periods: list[AwayPeriod]) -> tuple[AwayPeriod, ...]:
    return tuple(sorted(periods, key=lambda p: (p.first_day is not None, p.first_day, p.last_day)))


@dataclass(frozen=True, slots=True)
class TeamSpec:
    name: str
    strategy: Strategy = DEFAULT_STRATEGY
    reviewers: int = DEFAULT_REVIEWERS
    members: tuple[MemberSpec, ...] = ()
    handles: tuple[tuple[str, str], ...] = ()  # (host, org/team), in bot.hosts.registry order
    sla: TeamSla = NO_SLA  # sla: and prefer_working_hours: (issue 15)
    mode: Mode = DEFAULT_MODE


@dataclass(frozen=True, slots=True)
class StoredUser:
    team_name: str
    member: MemberSpec


@dataclass(frozen=True, slots=True)
class StoredState:
    """What the database holds: team settings and every user, wherever they are."""

    teams: dict[str, TeamSpec] = field(default_factory=dict)  # members left empty
    users: dict[str, StoredUser] = field(default_factory=dict)
    handle_owners: dict[tuple[str, str], str] = field(default_factory=dict)
    # Away periods members set themselves (`@reviewbot away until D`): user id → last day.
    # Files never change them; a plan lists those of the members it lists.
    self_set_away: dict[str, date] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()
    codeowners: CodeOwnersSetting = CODEOWNERS_OFF


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem in a file, with where it is and what was expected."""

    file: str
    line: int
    column: int
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ConfigInvalid(Exception):
    """The files cannot be applied; ``issues`` lists every problem found, in file order."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        super().__init__("\n".join(str(i) for i in issues))
        self.issues = issues
