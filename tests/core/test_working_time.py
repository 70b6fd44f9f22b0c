"""Working time across weekends, midnight-spanning shifts and DST changes (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.working_time import (
    at_work,
    deadline,
    next_start,
    parse_days,
    parse_duration,
    parse_hours,
    schedule,
    working_seconds,
)

H = 3600.0


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("15m", 900), ("8h", 28800), ("2d", 172800), (" 1h ", 3600)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "8", "h", "0h", "1.5h", "8 h", "3w", "-1h", "1h30m"])
def test_bad_durations_say_the_form(text: str) -> None:
    with pytest.raises(ValueError, match="like 8h"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("mon-fri", {0, 1, 2, 3, 4}),
        ("sat-sun", {5, 6}),
        ("mon,wed,fri", {0, 2, 4}),
        ("fri-mon", {4, 5, 6, 0}),
        ("Tue", {1}),
    ],
)
def test_days(text: str, days: set[int]) -> None:
    assert parse_days(text) == days


@pytest.mark.parametrize("text", ["", "monday", "mon-", "mon-xyz", "mon;tue"])
def test_bad_days(text: str) -> None:
    with pytest.raises(ValueError, match="mon-fri"):
        parse_days(text)


@pytest.mark.parametrize(
    "text", ["9-17", "09:00", "25:00-26:00", "09:60-10:00", "10:00-10:00", "x"]
)
def test_bad_hours(text: str) -> None:
    with pytest.raises(ValueError):
        parse_hours(text)


def test_unknown_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="IANA"):
        schedule("Mars/Olympus")


BERLIN = schedule("Europe/Berlin", "09:00-17:30", "mon-fri")
NIGHTS = schedule("UTC", "22:00-06:00", "mon-fri")
DAY = schedule("UTC")


@pytest.mark.parametrize(
    ("plan", "since", "until", "hours"),
    [
        # Tuesday 2026-12-01, Berlin is UTC+1: work 08:00-16:30 UTC.
        (BERLIN, utc(2026, 12, 1, 0), utc(2026, 12, 2, 0), 8.5),
        (BERLIN, utc(2026, 12, 1, 12), utc(2026, 12, 1, 13), 1.0),
        (BERLIN, utc(2026, 12, 1, 16), utc(2026, 12, 2, 9), 0.5 + 1.0),
        # Friday noon to Monday noon: the weekend does not count.
        (DAY, utc(2026, 12, 4, 12), utc(2026, 12, 7, 12), 5.0 + 3.0),
        (DAY, utc(2026, 12, 5, 0), utc(2026, 12, 7, 0), 0.0),
        # A night shift belongs to the day it starts: Friday's runs into Saturday,
        # Sunday has none, so Monday 01:00 is off.
        (NIGHTS, utc(2026, 12, 5, 0), utc(2026, 12, 5, 12), 6.0),
        (NIGHTS, utc(2026, 12, 7, 0), utc(2026, 12, 7, 6), 0.0),
        (NIGHTS, utc(2026, 12, 7, 21), utc(2026, 12, 8, 7), 8.0),
        # Spring forward (Berlin, Sunday 2026-03-29): Monday keeps 09:00-17:30 local,
        # now 07:00-15:30 UTC.
        (BERLIN, utc(2026, 3, 30, 7), utc(2026, 3, 30, 8), 1.0),
        (BERLIN, utc(2026, 3, 27, 7), utc(2026, 3, 27, 8), 0.0),
        # Fall back (Sunday 2026-10-25): the Friday before is UTC+2, the Monday after UTC+1.
        (BERLIN, utc(2026, 10, 23, 0), utc(2026, 10, 27, 0), 17.0),
    ],
)
def test_working_seconds(plan, since, until, hours) -> None:  # type: ignore[no-untyped-def]
    assert working_seconds(plan, since, until) == hours * H


def test_a_night_shift_over_a_dst_change_is_an_hour_shorter() -> None:
    nights = schedule("Europe/Berlin", "22:00-06:00", "sat")
    # Saturday 2026-03-28 22:00 CET to Sunday 06:00 CEST: 7 hours, not 8.
    week = working_seconds(nights, utc(2026, 3, 27), utc(2026, 4, 3))
    assert week == 7 * H


def test_always_counts_everything_and_pauses_do_not_count() -> None:
    plan = schedule(hours="always")
    since, until = utc(2026, 12, 5, 0), utc(2026, 12, 6, 0)  # a Saturday
    assert working_seconds(plan, since, until) == 24 * H
    pause = [(utc(2026, 12, 5, 10), utc(2026, 12, 5, 14))]
    assert working_seconds(plan, since, until, pause) == 20 * H


def test_deadline_skips_nights_weekends_and_pauses() -> None:
    friday_4pm = utc(2026, 12, 4, 16)
    # 8 working hours from Friday 16:00: 1 h on Friday, 7 h on Monday from 09:00.
    assert deadline(DAY, friday_4pm, 8 * H, now=friday_4pm) == utc(2026, 12, 7, 16)
    # A draft on Monday 10:00-12:00 (already over) pushes it two hours further.
    later = utc(2026, 12, 7, 13)
    draft = [(utc(2026, 12, 7, 10), utc(2026, 12, 7, 12))]
    assert deadline(DAY, friday_4pm, 8 * H, now=later, paused=draft) == utc(2026, 12, 8, 10)


def test_no_deadline_while_the_clock_is_paused_and_due_once_spent() -> None:
    since = utc(2026, 12, 1, 9)
    assert deadline(DAY, since, H, now=since, paused_now=True) is None
    now = utc(2026, 12, 1, 11)
    assert deadline(DAY, since, H, now=now) == now


def test_deadline_across_spring_forward() -> None:
    friday = utc(2026, 3, 27, 16)  # 17:00 in Berlin (UTC+1)
    # 0.5 h on Friday, then Monday 09:00 local is 07:00 UTC after the change: +1.5 h.
    assert deadline(BERLIN, friday, 2 * H, now=friday) == utc(2026, 3, 30, 8, 30)


def test_at_work_and_next_start() -> None:
    assert at_work(BERLIN, utc(2026, 12, 1, 8))
    assert not at_work(BERLIN, utc(2026, 12, 1, 16, 30))
    assert next_start(BERLIN, utc(2026, 12, 4, 17)) == utc(2026, 12, 7, 8)
    now = utc(2026, 12, 1, 9)
    assert next_start(BERLIN, now) == now


def test_a_schedule_with_no_days_has_no_deadline() -> None:
    never = schedule(days="sat")
    never = type(never)(never.zone, never.start, never.end, frozenset())
    since = utc(2026, 12, 1)
    assert deadline(never, since, H, now=since) is None
    assert next_start(never, since) is None
    assert working_seconds(never, since, since + timedelta(days=30)) == 0
