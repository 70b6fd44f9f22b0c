"""Review requests, responses and pauses (migration 0010), and the scheduler's claims.

Requests start and end with the reviewer's row in pr_reviewers (a trigger), so every
assignment path records them. The scheduler claims due rows with ``FOR UPDATE SKIP
LOCKED``: several instances on one database each take different rows, and a row's nudge
or escalation is written in the same transaction as its outbox rows, so it happens once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.sla import Request, Sla
from bot.core.working_time import DEFAULT_DAYS, DEFAULT_HOURS, Interval, Schedule, schedule
from store.db import Connection

PAUSE_REASONS = ("draft", "author")


async def respond(conn: Connection, pr_id: str, user_id: str, at: datetime) -> bool:
    """The reviewer's first response on this PR (False: not requested, or not the first)."""
    done = await conn.execute(
        """UPDATE review_requests SET first_responded_at = $3, due_at = NULL
            WHERE pull_request_id = $1 AND user_id = $2
              AND first_responded_at IS NULL AND ended_at IS NULL""",
        pr_id,
        user_id,
        at,
    )
    return str(done).endswith(" 1")


async def responded(conn: Connection, pr_id: str) -> set[str]:
    """Current reviewers of the PR who have responded."""
    rows = await conn.fetch(
        """SELECT user_id FROM review_requests
            WHERE pull_request_id = $1 AND ended_at IS NULL AND first_responded_at IS NOT NULL""",
        pr_id,
    )
    return {r["user_id"] for r in rows}


async def pause(conn: Connection, pr_id: str, reason: str, at: datetime) -> None:
    await conn.execute(
        """INSERT INTO pr_pauses (pull_request_id, reason, started_at) VALUES ($1, $2, $3)
           ON CONFLICT (pull_request_id, reason) WHERE ended_at IS NULL DO NOTHING""",
        pr_id,
        reason,
        at,
    )
    await look_again(conn, pr_id, at)


async def resume(conn: Connection, pr_id: str, reason: str, at: datetime) -> None:
    done = await conn.execute(
        """UPDATE pr_pauses SET ended_at = greatest(started_at, $3)
            WHERE pull_request_id = $1 AND reason = $2 AND ended_at IS NULL""",
        pr_id,
        reason,
        at,
    )
    if not str(done).endswith(" 0"):
        await look_again(conn, pr_id, at)


async def look_again(conn: Connection, pr_id: str, at: datetime) -> None:
    """Deadlines of the PR's open requests moved: the scheduler recomputes them."""
    await conn.execute(
        """UPDATE review_requests SET due_at = $2
            WHERE pull_request_id = $1 AND ended_at IS NULL
              AND first_responded_at IS NULL AND escalated_at IS NULL""",
        pr_id,
        at,
    )


@dataclass(frozen=True, slots=True)
class Due:
    """A claimed request with everything its follow-up decision needs."""

    pull_request_id: str
    user_id: str
    team_name: str
    pr_status: str
    author_id: str
    request: Request
    sla: Sla
    prefer_working_hours: bool
    zone: str | None
    hours: str | None
    days: str | None
    paused: tuple[Interval, ...]
    paused_now: bool

    @property
    def plan(self) -> Schedule:
        return schedule(self.zone or "UTC", self.hours or DEFAULT_HOURS, self.days or DEFAULT_DAYS)


async def claim_due(conn: Connection, now: datetime, limit: int) -> list[Due]:
    """Up to ``limit`` due requests, locked for this transaction; rows other instances
    hold are skipped (they are handling them)."""
    rows = await conn.fetch(
        """SELECT r.pull_request_id, r.user_id, r.requested_at, r.first_responded_at,
                  r.breached_at, r.escalated_at, u.team_name, u.timezone, u.work_hours,
                  u.work_days, p.status, p.author_id, s.first_response, s.nudge,
                  s.escalate_after, s.prefer_working_hours
             FROM review_requests r
             JOIN users u ON u.user_id = r.user_id
             JOIN pull_requests p ON p.pull_request_id = r.pull_request_id
             LEFT JOIN team_sla s ON s.team_name = u.team_name
            WHERE r.due_at <= $1
            ORDER BY r.due_at
            LIMIT $2
            FOR UPDATE OF r SKIP LOCKED""",
        now,
        limit,
    )
    pauses = await _pauses(conn, list({r["pull_request_id"] for r in rows}))
    found = []
    for r in rows:
        intervals = pauses.get(r["pull_request_id"], [])
        found.append(
            Due(
                r["pull_request_id"],
                r["user_id"],
                r["team_name"],
                r["status"],
                r["author_id"],
                # The decision's nudged_at is when the target passed: the nudge itself
                # goes out only when the team asks for it (the scheduler decides).
                Request(
                    r["requested_at"], r["first_responded_at"], r["breached_at"], r["escalated_at"]
                ),
                Sla(r["first_response"], bool(r["nudge"]), r["escalate_after"]),
                bool(r["prefer_working_hours"]),
                r["timezone"],
                r["work_hours"],
                r["work_days"],
                tuple((a, b or now) for a, b in intervals if b is not None or a <= now),
                any(b is None for _, b in intervals),
            )
        )
    return found


async def _pauses(
    conn: Connection, pr_ids: Sequence[str]
) -> dict[str, list[tuple[datetime, datetime | None]]]:
    if not pr_ids:
        return {}
    rows = await conn.fetch(
        """SELECT pull_request_id, started_at, ended_at FROM pr_pauses
            WHERE pull_request_id = ANY($1::text[]) ORDER BY started_at""",
        list(pr_ids),
    )
    found: dict[str, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for r in rows:
        found[r["pull_request_id"]].append((r["started_at"], r["ended_at"]))
    return found


async def set_due(conn: Connection, items: Sequence[tuple[str, str, datetime | None]]) -> None:
    """(pr, user, next look) for many claimed rows at once."""
    if not items:
        return
    await conn.execute(
        """UPDATE review_requests r SET due_at = c.due
             FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS c (pr, usr, due)
            WHERE r.pull_request_id = c.pr AND r.user_id = c.usr""",
        [i[0] for i in items],
        [i[1] for i in items],
        [i[2] for i in items],
    )


async def mark_late_many(
    conn: Connection, rows: Sequence[tuple[str, str]], at: datetime, nudged: Sequence[bool]
) -> None:
    """``mark_late`` for many (PR, user) rows at once."""
    if not rows:
        return
    await conn.execute(
        """UPDATE review_requests r SET breached_at = COALESCE(r.breached_at, $3),
                  nudged_at = CASE WHEN c.nudged THEN $3 ELSE r.nudged_at END
             FROM unnest($1::text[], $2::text[], $4::boolean[]) AS c (pr, usr, nudged)
            WHERE r.pull_request_id = c.pr AND r.user_id = c.usr""",
        [r[0] for r in rows],
        [r[1] for r in rows],
        at,
        list(nudged),
    )


async def handles(conn: Connection, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(host, user id) → the user's handle there (their user id when they have none)."""
    rows = await conn.fetch(
        """SELECT c.host, c.usr, COALESCE(h.handle, c.usr) AS handle
             FROM unnest($1::text[], $2::text[]) AS c (host, usr)
             LEFT JOIN user_handles h ON h.host = c.host AND h.user_id = c.usr""",
        [p[0] for p in pairs],
        [p[1] for p in pairs],
    )
    return {(r["host"], r["usr"]): r["handle"] for r in rows}


async def mark_late(conn: Connection, pr_id: str, user_id: str, at: datetime, nudged: bool) -> None:
    """The first-response target passed (a breach); ``nudged``: the reminder went out."""
    await conn.execute(
        """UPDATE review_requests SET breached_at = COALESCE(breached_at, $3),
                  nudged_at = CASE WHEN $4 THEN $3 ELSE nudged_at END
            WHERE pull_request_id = $1 AND user_id = $2""",
        pr_id,
        user_id,
        at,
        nudged,
    )


async def lock_escalation(conn: Connection, pr_id: str, user_id: str) -> bool:
    """Lock the request if it still waits for an escalation (not answered, not done)."""
    found = await conn.fetchval(
        """SELECT true FROM review_requests
            WHERE pull_request_id = $1 AND user_id = $2 AND ended_at IS NULL
              AND first_responded_at IS NULL AND escalated_at IS NULL
            FOR UPDATE SKIP LOCKED""",
        pr_id,
        user_id,
    )
    return bool(found)


async def team_of(conn: Connection, user_id: str) -> str | None:
    name: str | None = await conn.fetchval(
        "SELECT team_name FROM users WHERE user_id = $1", user_id
    )
    return name


async def escalated_away(conn: Connection, pr_id: str) -> set[str]:
    """Who an escalation already took off this PR (never brought back by one)."""
    rows = await conn.fetch(
        """SELECT user_id FROM review_requests
            WHERE pull_request_id = $1 AND escalated_at IS NOT NULL""",
        pr_id,
    )
    return {r["user_id"] for r in rows}


async def forget(conn: Connection, pr_id: str, user_id: str) -> None:
    """The host refused ``user_id`` as a reviewer: they were never asked there, so the
    request neither counts in /stats nor shows in the follow-up timeline."""
    await conn.execute(
        "DELETE FROM review_requests WHERE pull_request_id = $1 AND user_id = $2",
        pr_id,
        user_id,
    )


async def restart(conn: Connection, pr_id: str, user_id: str, at: datetime) -> None:
    """The request starts at ``at`` (the scheduler's clock, not the statement's)."""
    await conn.execute(
        """UPDATE review_requests SET requested_at = $3, due_at = $3
            WHERE pull_request_id = $1 AND user_id = $2""",
        pr_id,
        user_id,
        at,
    )


async def mark_escalated(
    conn: Connection, pr_id: str, user_id: str, to: str | None, at: datetime
) -> None:
    await conn.execute(
        """UPDATE review_requests SET escalated_at = $4, escalated_to = $3, due_at = NULL
            WHERE pull_request_id = $1 AND user_id = $2""",
        pr_id,
        user_id,
        to,
        at,
    )
