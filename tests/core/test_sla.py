"""Follow-through decisions: nudge, escalate, nothing, and whom working hours prefer (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.sla import NOTHING, Action, FollowUp, Request, Sla, follow_up, prefer_at_work
from bot.core.working_time import schedule

H = 3600
DAY = schedule("UTC")  # 09:00-17:00 mon-fri
SLA = Sla(first_response=8 * H, nudge=True, escalate_after=16 * H)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


MONDAY_9 = utc(2026, 11, 30, 9)
REQUEST = Request(requested_at=MONDAY_9)


@pytest.mark.parametrize(
    ("request_", "now", "expected"),
    [
        # Monday 12:00: nothing yet; the nudge falls due at Monday 17:00.
        (REQUEST, utc(2026, 11, 30, 12), FollowUp(None, utc(2026, 11, 30, 17))),
        # Monday 17:00: nudge now; escalation after 8 more working hours, Tuesday 17:00.
        (REQUEST, utc(2026, 11, 30, 17), FollowUp(Action.NUDGE, utc(2026, 12, 1, 17))),
        # Nudged already: only the escalation is left.
        (
            Request(MONDAY_9, nudged_at=utc(2026, 11, 30, 17)),
            utc(2026, 11, 30, 20),
            FollowUp(None, utc(2026, 12, 1, 17)),
        ),
        # Never nudged (the worker was down) and both are due: escalate only.
        (REQUEST, utc(2026, 12, 2, 9), FollowUp(Action.ESCALATE, None)),
        # Answered or escalated: nothing, ever.
        (Request(MONDAY_9, responded_at=utc(2026, 11, 30, 10)), utc(2026, 12, 9), NOTHING),
        (Request(MONDAY_9, escalated_at=utc(2026, 12, 1, 17)), utc(2026, 12, 9), NOTHING),
    ],
)
def test_follow_up(request_: Request, now: datetime, expected: FollowUp) -> None:
    assert follow_up(SLA, DAY, request_, now) == expected


def test_a_request_late_on_friday_is_nudged_on_monday_morning() -> None:
    friday_4pm = Request(utc(2026, 12, 4, 16))
    assert follow_up(SLA, DAY, friday_4pm, utc(2026, 12, 5, 12)) == FollowUp(
        None, utc(2026, 12, 7, 16)
    )


def test_the_clock_stops_while_paused() -> None:
    assert follow_up(SLA, DAY, REQUEST, utc(2026, 12, 9), paused_now=True) == NOTHING
    draft = [(utc(2026, 11, 30, 9), utc(2026, 11, 30, 17))]  # Monday was a draft
    assert follow_up(SLA, DAY, REQUEST, utc(2026, 11, 30, 17), paused=draft) == FollowUp(
        None, utc(2026, 12, 1, 17)
    )


def test_without_nudge_or_escalation_nothing_is_scheduled() -> None:
    assert follow_up(Sla(first_response=H), DAY, REQUEST, utc(2026, 12, 9)) == NOTHING
    nudge_only = Sla(first_response=H, nudge=True)
    assert follow_up(nudge_only, DAY, REQUEST, utc(2026, 12, 9)).action is Action.NUDGE


BERLIN = schedule("Europe/Berlin")  # 08:00-16:00 UTC in winter
NEW_YORK = schedule("America/New_York")  # 14:00-22:00 UTC in winter
TOKYO = schedule("Asia/Tokyo")  # 00:00-08:00 UTC


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 12, 1, 9), ["berlin", "nobody-knows"]),  # Berlin at work
        (utc(2026, 12, 1, 15), ["berlin", "new-york", "nobody-knows"]),  # overlap
        (utc(2026, 12, 1, 23), ["nobody-knows"]),  # no one at work: unknown counts as at work
    ],
)
def test_prefer_at_work(now: datetime, expected: list[str]) -> None:
    schedules = {"berlin": BERLIN, "new-york": NEW_YORK, "tokyo": TOKYO}
    pool = ["berlin", "new-york", "tokyo", "nobody-knows"]
    assert prefer_at_work(pool, schedules, now) == expected


def test_when_nobody_is_at_work_the_soonest_to_start_wins() -> None:
    schedules = {"berlin": BERLIN, "new-york": NEW_YORK, "tokyo": TOKYO}
    # Tuesday 23:00 UTC: Tokyo starts at 00:00, Berlin at 08:00.
    assert prefer_at_work(["berlin", "tokyo"], schedules, utc(2026, 12, 1, 23)) == ["tokyo"]
    # Friday 23:00 UTC: Tokyo's Saturday is off; Monday 00:00 UTC it starts, before Berlin.
    assert prefer_at_work(["berlin", "tokyo"], schedules, utc(2026, 12, 4, 23)) == ["tokyo"]
