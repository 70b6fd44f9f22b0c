"""The review-SLA part of the team file (issue 15): a team's ``sla:`` and
``prefer_working_hours:``, a member's ``timezone:``, ``hours:`` and ``days:``.

    sla:
      first_response: 8h        # working time in the reviewer's hours (30s, 15m, 8h, 2d)
      nudge: true               # remind the reviewer in a PR comment when it is reached
      escalate_after: 16h       # then another reviewer takes over (docs/sla.md)
    prefer_working_hours: true

    members:
      - id: alice
        timezone: Europe/Berlin # IANA name; default UTC
        hours: "09:00-17:30"    # default 09:00-17:00; "always": every hour of every day
        days: mon-fri           # default mon-fri

Kept apart from ``team_parse`` / ``team_member`` so those stay about the rest of the
format; ``config.team_sla_read`` reads it from YAML.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.sla import Sla
from bot.core.working_time import (
    DEFAULT_DAYS,
    DEFAULT_HOURS,
    Schedule,
    schedule,
)

DEFAULT_ZONE = "UTC"


@dataclass(frozen=True, slots=True)
class TeamSla:
    """What a team asks of its reviewers; durations in working seconds."""

    first_response: int | None = None
    nudge: bool = False
    escalate_after: int | None = None
    prefer_working_hours: bool = False

    @property
    def sla(self) -> Sla:
        return Sla(self.first_response, self.nudge, self.escalate_after)

    def fields(self) -> dict[str, object]:
        """Comparable settings, in the file's words; a default is None, so that a plan
        lists only what a file sets or changes."""
        return {
            "sla.first_response": format_duration(self.first_response),
            "sla.nudge": self.nudge or None,
            "sla.escalate_after": format_duration(self.escalate_after),
            "prefer_working_hours": self.prefer_working_hours or None,
        }

    def exported(self) -> dict[str, object]:
        """The file's keys for this setting; nothing when it is all defaults."""
        out: dict[str, object] = {}
        sla: dict[str, object] = {}
        if self.first_response is not None:
            sla["first_response"] = format_duration(self.first_response)
        if self.nudge:
            sla["nudge"] = True
        if self.escalate_after is not None:
            sla["escalate_after"] = format_duration(self.escalate_after)
        if sla:
            out["sla"] = sla
        if self.prefer_working_hours:
            out["prefer_working_hours"] = True
        return out


NO_SLA = TeamSla()


@dataclass(frozen=True, slots=True)
class WorkTime:
    """A member's working time as written (None: the default)."""

    timezone: str | None = None
    hours: str | None = None
    days: str | None = None

    @property
    def schedule(self) -> Schedule:
        return schedule(
            self.timezone or DEFAULT_ZONE, self.hours or DEFAULT_HOURS, self.days or DEFAULT_DAYS
        )

    def fields(self) -> dict[str, object]:
        return {"timezone": self.timezone, "hours": self.hours, "days": self.days}

    def exported(self) -> dict[str, object]:
        return {k: v for k, v in self.fields().items() if v is not None}


DEFAULT_WORK = WorkTime()


def format_duration(seconds: int | None) -> str | None:
    """The shortest ``8h``-style text for ``seconds`` (parse_duration reads it back)."""
    if seconds is None:
        return None
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
