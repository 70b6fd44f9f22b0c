"""Review follow-through: when to nudge a silent reviewer, when to escalate, whom to prefer.

Pure decisions over one review request and the reviewer's ``Schedule``; the scheduler
(a use case) reads the rows, asks ``follow_up`` and sends what it says through the outbox.
The first-response clock runs only in the reviewer's working time and stops while the PR is
paused (a draft, or waiting on its author).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.core.working_time import Interval, Schedule, at_work, deadline, next_start


@dataclass(frozen=True, slots=True)
class Sla:
    first_response: int | None = None  # working seconds before the reviewer is late
    nudge: bool = False  # remind them in a PR comment when it is reached
    escalate_after: int | None = None  # working seconds before someone else takes over


@dataclass(frozen=True, slots=True)
class Request:
    """One reviewer's request on one PR, as the store keeps it."""

    requested_at: datetime
    responded_at: datetime | None = None
    nudged_at: datetime | None = None
    escalated_at: datetime | None = None


class Action(StrEnum):
    NUDGE = "nudge"
    ESCALATE = "escalate"


@dataclass(frozen=True, slots=True)
class FollowUp:
    action: Action | None  # what to do now
    next_at: datetime | None  # when to look again (None: nothing left to wait for)


NOTHING = FollowUp(None, None)


def follow_up(
    sla: Sla,
    plan: Schedule,
    request: Request,
    now: datetime,
    paused: Sequence[Interval] = (),
    paused_now: bool = False,
) -> FollowUp:
    """What is due for this request at ``now``, and when the next thing falls due.

    Escalation wins over a nudge that is due at the same moment (the nudge would only
    announce what the escalation already does)."""
    if request.responded_at is not None or request.escalated_at is not None:
        return NOTHING
    steps = _pending_steps(sla, request)
    due = [
        (action, deadline(plan, request.requested_at, budget, now, paused, paused_now))
        for action, budget in steps
    ]
    now_due = [action for action, at in due if at is not None and at <= now]
    if Action.ESCALATE in now_due:
        return FollowUp(Action.ESCALATE, None)
    later = [at for action, at in due if at is not None and at > now and action not in now_due]
    return FollowUp(now_due[0] if now_due else None, min(later, default=None))


def _pending_steps(sla: Sla, request: Request) -> list[tuple[Action, int]]:
    steps = []
    if sla.nudge and sla.first_response is not None and request.nudged_at is None:
        steps.append((Action.NUDGE, sla.first_response))
    if sla.escalate_after is not None:
        steps.append((Action.ESCALATE, sla.escalate_after))
    return steps


def prefer_at_work(
    candidates: Iterable[str], schedules: Mapping[str, Schedule], now: datetime
) -> list[str]:
    """Of ``candidates``, those at work now; if none is, those whose next shift starts
    first. Order is kept, so the team's strategy still picks among them. A candidate with
    no schedule counts as always at work; one who never works is kept only if all are."""
    pool = list(candidates)
    starts = {c: _start(schedules.get(c), now) for c in pool}
    known = [s for s in starts.values() if s is not None]
    if not known:
        return pool
    soonest = min(known)
    return [c for c in pool if starts[c] == soonest]


def _start(plan: Schedule | None, now: datetime) -> datetime | None:
    if plan is None or at_work(plan, now):
        return now
    return next_start(plan, now)
