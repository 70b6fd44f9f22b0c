"""What comment commands read and write beyond the PR store: who reviewbot picked, a
member's availability, self-set away periods, the command recorded on assignment events."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from store.db import Connection
from store.selection import AWAY_ON, OPEN_LOAD


@dataclass(frozen=True, slots=True)
class Seat:
    """A current reviewer and how they got there (their latest assignment event)."""

    user_id: str
    # Chosen by a selection (reviewbot), not named by a person or the host, and not yet
    # responded (a reviewer who reviewed is never rerolled or replaced away; issue 15).
    picked: bool
    event_id: int  # newer seats have larger ids


async def seats(conn: Connection, pr_id: str) -> list[Seat]:
    """The PR's reviewers in slot order, each with whether reviewbot picked them and they
    have not responded yet."""
    rows = await conn.fetch(
        """SELECT r.user_id, e.id AS event_id,
                  (e.explain ? 'strategy' AND q.first_responded_at IS NULL) AS picked
             FROM pr_reviewers r
             LEFT JOIN review_requests q
               ON q.pull_request_id = r.pull_request_id AND q.user_id = r.user_id
             LEFT JOIN LATERAL (
                 SELECT id, explain FROM assignment_events e
                  WHERE e.pull_request_id = r.pull_request_id AND e.user_id = r.user_id
                    AND e.kind IN ('assigned', 'reassigned')
                  ORDER BY e.id DESC LIMIT 1) e ON true
            WHERE r.pull_request_id = $1
            ORDER BY r.slot""",
        pr_id,
    )
    return [Seat(r["user_id"], bool(r["picked"]), r["event_id"] or 0) for r in rows]


@dataclass(frozen=True, slots=True)
class Availability:
    away: bool  # away today (any source)
    open_reviews: int
    max_open_reviews: int | None

    @property
    def at_capacity(self) -> bool:
        return self.max_open_reviews is not None and self.open_reviews >= self.max_open_reviews


async def availability(conn: Connection, user_id: str, today: date) -> Availability:
    row = await conn.fetchrow(
        f"""SELECT {AWAY_ON.format(day="$2::date")} AS away, {OPEN_LOAD} AS open_reviews,
                   u.max_open_reviews
              FROM users u WHERE u.user_id = $1""",
        user_id,
        today,
    )
    if row is None:
        return Availability(False, 0, None)
    return Availability(row["away"], row["open_reviews"], row["max_open_reviews"])


async def set_away_until(conn: Connection, user_id: str, last_day: date) -> None:
    """The member's own ``away until`` (one per member; the team file's stay apart)."""
    await conn.execute(
        """INSERT INTO user_away (user_id, first_day, last_day, source)
           VALUES ($1, NULL, $2, 'command')
           ON CONFLICT (user_id, source) WHERE first_day IS NULL
           DO UPDATE SET last_day = EXCLUDED.last_day""",
        user_id,
        last_day,
    )


async def clear_away(conn: Connection, user_id: str) -> int:
    """Remove the member's self-set away periods; how many there were."""
    done = await conn.execute(
        "DELETE FROM user_away WHERE user_id = $1 AND source = 'command'", user_id
    )
    return int(str(done).split()[-1])


async def away_by_file_until(conn: Connection, user_id: str, today: date) -> date | None:
    """The last day of a team-file away period covering today, if any."""
    value: date | None = await conn.fetchval(
        """SELECT max(last_day) FROM user_away
            WHERE user_id = $1 AND source = 'file' AND last_day >= $2
              AND (first_day IS NULL OR first_day <= $2)""",
        user_id,
        today,
    )
    return value


async def set_reason(conn: Connection, command: str, by: str, word: str) -> None:
    """Leave the command and its author for the assignment events that follow (a trigger
    adds them to each event's explanation; migration 0008). ``word``: r?, reroll…"""
    reason = json.dumps({"command": command, "by": by, "word": word})
    await conn.execute("SELECT set_config('reviewbot.reason', $1, true)", reason)


async def rerolled_away(conn: Connection, pr_id: str) -> set[str]:
    """Who a reroll already took off this PR (a reroll never brings them back)."""
    return await _replaced_by(conn, pr_id, "reroll")


async def released_away(conn: Connection, pr_id: str) -> set[str]:
    """Who handed this PR's review off themselves (an escalation never brings them back)."""
    return await _replaced_by(conn, pr_id, "release")


async def _replaced_by(conn: Connection, pr_id: str, word: str) -> set[str]:
    rows = await conn.fetch(
        """SELECT DISTINCT replaced_user_id FROM assignment_events
            WHERE pull_request_id = $1 AND kind = 'reassigned'
              AND explain -> 'reason' ->> 'word' = $2""",
        pr_id,
        word,
    )
    return {r["replaced_user_id"] for r in rows}


async def handles_of(conn: Connection, host: str, user_ids: Sequence[str]) -> dict[str, str]:
    """Each user's handle on the host (their user_id when they have none there)."""
    rows = await conn.fetch(
        "SELECT user_id, handle FROM user_handles WHERE host = $1 AND user_id = ANY($2::text[])",
        host,
        list(user_ids),
    )
    found = {r["user_id"]: r["handle"] for r in rows}
    return {u: found.get(u, u) for u in user_ids}
