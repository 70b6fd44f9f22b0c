"""Working time: when a reviewer is at work, and how much of it a review request has used.

Pure functions over a ``Schedule`` (an IANA zone, daily hours, working days) and instants
in UTC. A shift belongs to the day it starts on: ``22:00-06:00`` on ``mon-fri`` runs from
Monday 22:00 to Tuesday 06:00, and its Friday shift ends on Saturday morning. Local times
are read in the member's zone on each date, so a shift keeps its wall-clock hours across
a DST change (and is an hour shorter or longer that day). A start or end that falls in a
spring-forward gap is read with the offset before the change (``zoneinfo``'s fold=0).

``paused`` intervals (a draft, a PR waiting on its author) do not count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Interval = tuple[datetime, datetime]  # [start, end) in UTC

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_HOURS = "09:00-17:00"
DEFAULT_DAYS = "mon-fri"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"([1-9][0-9]{0,6})([smhd])")
_HOURS = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])")
# A deadline further away than this is no deadline (a schedule with a minute a year).
_HORIZON_DAYS = 366


@dataclass(frozen=True, slots=True)
class Schedule:
    zone: ZoneInfo
    start: time = time(9, 0)
    end: time = time(17, 0)  # time(0, 0) with start 00:00 means the whole day
    days: frozenset[int] = frozenset(range(5))  # Monday is 0
    always: bool = False  # every hour of every day


ALWAYS = Schedule(ZoneInfo("UTC"), always=True)


def parse_duration(text: str) -> int:
    """Seconds in ``30s``, ``15m``, ``8h``, ``2d``; ValueError with the accepted form."""
    found = _DURATION.fullmatch(text.strip())
    if not found:
        raise ValueError(f"'{text}' is not a duration: a number and s, m, h or d, like 8h")
    return int(found[1]) * _UNITS[found[2]]


def parse_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'{name}' is not an IANA time zone name, like Europe/Berlin") from None


def parse_hours(text: str) -> tuple[time, time] | None:
    """(start, end) of ``HH:MM-HH:MM``; None for ``always``. End before start spans midnight."""
    if text.strip().lower() == "always":
        return None
    found = _HOURS.fullmatch(text.strip())
    if not found or (found[3] == "24" and found[4] != "00"):
        raise ValueError(f"'{text}' is not working hours: HH:MM-HH:MM, like 09:00-17:30, or always")
    start = time(int(found[1]), int(found[2]))
    end = time(0, 0) if found[3] == "24" else time(int(found[3]), int(found[4]))
    if start == end and end != time(0, 0):
        raise ValueError(f"'{text}' is an empty shift: start and end are the same")
    return start, end


def parse_days(text: str) -> frozenset[int]:
    """``mon-fri``, ``mon,wed,fri``, ``sat-sun``, ``fri-mon`` (wrapping) → weekday numbers."""
    days: set[int] = set()
    for part in text.lower().replace(" ", "").split(","):
        first, dash, last = part.partition("-")
        if first not in DAY_NAMES or (dash and last not in DAY_NAMES):
            raise ValueError(f"'{text}' is not a list of days: like mon-fri or mon,wed,fri")
        a = DAY_NAMES.index(first)
        b = DAY_NAMES.index(last) if last else a
        days.update((a + i) % 7 for i in range((b - a) % 7 + 1))
    return frozenset(days)


def schedule(zone: str = "UTC", hours: str = DEFAULT_HOURS, days: str = DEFAULT_DAYS) -> Schedule:
    shift = parse_hours(hours)
    if shift is None:
        return Schedule(parse_zone(zone), days=parse_days(days), always=True)
    return Schedule(parse_zone(zone), shift[0], shift[1], parse_days(days))


def shifts(plan: Schedule, since: datetime, until: datetime) -> Iterator[Interval]:
    """The working intervals that overlap [since, until), clipped to it, in order."""
    if plan.always:
        if since < until:
            yield since, until
        return
    day = since.astimezone(plan.zone).date() - timedelta(days=1)  # yesterday's night shift
    while True:
        start, end = _shift_on(plan, day)
        if start >= until:
            return
        if day.weekday() in plan.days and end > since:
            yield max(start, since), min(end, until)
        day += timedelta(days=1)


def _shift_on(plan: Schedule, day: date) -> Interval:
    end_day = day + timedelta(days=1) if plan.end <= plan.start else day
    start = datetime.combine(day, plan.start, plan.zone).astimezone(UTC)
    end = datetime.combine(end_day, plan.end, plan.zone).astimezone(UTC)
    return start, end


def working_seconds(
    plan: Schedule, since: datetime, until: datetime, paused: Sequence[Interval] = ()
) -> float:
    """Working time in [since, until) outside ``paused``."""
    return sum(
        (b - a).total_seconds()
        for shift in shifts(plan, since, until)
        for a, b in _minus(shift, paused)
    )


def deadline(
    plan: Schedule,
    since: datetime,
    budget: float,
    now: datetime,
    paused: Sequence[Interval] = (),
    paused_now: bool = False,
) -> datetime | None:
    """When ``budget`` seconds of working time since ``since`` will have passed, assuming
    no pause after ``now``; None while paused (the clock is stopped) or beyond a year."""
    if paused_now:
        return None
    left = budget - working_seconds(plan, since, now, paused)
    if left <= 0:
        return now
    horizon = now + timedelta(days=_HORIZON_DAYS)
    for a, b in shifts(plan, now, horizon):
        for x, y in _minus((a, b), paused):
            span = (y - x).total_seconds()
            if span >= left:
                return x + timedelta(seconds=left)
            left -= span
    return None


def at_work(plan: Schedule, now: datetime) -> bool:
    return any(True for _ in shifts(plan, now, now + timedelta(microseconds=1)))


def next_start(plan: Schedule, now: datetime) -> datetime | None:
    """``now`` if at work, else when the next shift starts (None: never within a year)."""
    for start, _ in shifts(plan, now, now + timedelta(days=_HORIZON_DAYS)):
        return start
    return None


def _minus(span: Interval, paused: Sequence[Interval]) -> list[Interval]:
    pieces = [span]
    for p0, p1 in paused:
        pieces = [
            piece
            for a, b in pieces
            for piece in ((a, min(b, p0)), (max(a, p1), b))
            if piece[0] < piece[1]
        ]
    return pieces
