"""The plain data every strategy chooses from: a team member as the choice sees them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Skip(StrEnum):
    """Why a member of the team was not considered: the one vocabulary of reasons, on the
    REST, webhook, outbox and bulk-deactivation paths alike (docs/teams.md lists it)."""

    INACTIVE = "inactive"
    AWAY = "away"
    AT_CAPACITY = "at_capacity"
    AUTHOR = "author"
    REPLACED = "replaced"  # the reviewer being reassigned away from
    ALREADY_REVIEWING = "already_reviewing"
    REFUSED = "refused"  # the code host refused a request for them on this PR
    UNAVAILABLE = "unavailable"  # changed (deactivated, moved) while we were choosing
    OFF_HOURS = "off_hours"  # prefer_working_hours: others are at work now, or sooner


@dataclass(frozen=True, slots=True)
class Candidate:
    user_id: str
    is_active: bool = True
    away: bool = False
    open_reviews: int | None = None  # None: not read (a strategy that ignores loads, no cap)
    max_open_reviews: int | None = None
    turn: int = 0  # round robin: the team cursor when last picked

    def at_capacity(self) -> bool:
        cap, load = self.max_open_reviews, self.open_reviews
        return cap is not None and load is not None and load >= cap

    def unavailable(self) -> Skip | None:
        """Why this member cannot review now (inactive, away, at capacity), if so."""
        if not self.is_active:
            return Skip.INACTIVE
        if self.away:
            return Skip.AWAY
        if self.at_capacity():
            return Skip.AT_CAPACITY
        return None
