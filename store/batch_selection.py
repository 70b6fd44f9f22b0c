"""The database side of choosing many reviewers at once (``bot.choosing.choose_many``).

Two statements read one locked snapshot of the team, whatever its strategy:
1. the team row, ``FOR NO KEY UPDATE`` (as for strategies in ``store.selection``): the
   batch takes its turns and reads loads that no other chooser in the team is changing,
   and it gets the round-robin cursor;
2. the active members, share-locked (``SKIP LOCKED``: a member someone is changing right
   now is left out, never waited for), with availability, cap, turn, and open load where
   it is needed (least loaded, or a member with a cap).
A third statement, for round robin only, stores the cursor and the turns handed out.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from bot.core.selection import Candidate
from store.db import Connection


async def lock_team_cursor(conn: Connection, team_name: str) -> int | None:
    """Take the team's selection lock; its round-robin cursor, None when it does not exist."""
    cursor: int | None = await conn.fetchval(
        "SELECT rr_cursor FROM teams WHERE team_name = $1 FOR NO KEY UPDATE", team_name
    )
    return cursor


async def active_members(
    conn: Connection, team_name: str, today: date, *, all_loads: bool
) -> list[Candidate]:
    """Share-lock and read the team's active members (run after ``lock_team_cursor``).

    The open load is counted for everyone when ``all_loads`` (least loaded), otherwise
    only for members with a cap, read from the row itself, not from a cached team.
    """
    rows = await conn.fetch(
        """SELECT u.user_id, u.max_open_reviews, u.rr_turn,
                  EXISTS (SELECT 1 FROM user_away a
                           WHERE a.user_id = u.user_id AND a.last_day >= $2::date
                             AND (a.first_day IS NULL OR a.first_day <= $2::date)) AS away,
                  CASE WHEN $3 OR u.max_open_reviews IS NOT NULL THEN
                       (SELECT count(*) FROM pr_reviewers r
                         WHERE r.user_id = u.user_id AND r.pr_open) END AS open_reviews
             FROM users u
            WHERE u.team_name = $1 AND u.is_active
            ORDER BY u.user_id FOR SHARE OF u SKIP LOCKED""",
        team_name,
        today,
        all_loads,
    )
    return [
        Candidate(
            r["user_id"],
            away=r["away"],
            open_reviews=r["open_reviews"],
            max_open_reviews=r["max_open_reviews"],
            turn=r["rr_turn"],
        )
        for r in rows
    ]


async def record_turns(
    conn: Connection, team_name: str, cursor: int, turns: Mapping[str, int]
) -> None:
    """Round robin: move the team cursor and stamp each picked member with its last turn."""
    await conn.execute(
        # A data-modifying CTE always runs, read or not.
        """WITH t AS (UPDATE teams SET rr_cursor = $2 WHERE team_name = $1)
           UPDATE users u SET rr_turn = c.turn
             FROM unnest($3::text[], $4::bigint[]) AS c(user_id, turn)
            WHERE u.user_id = c.user_id""",
        team_name,
        cursor,
        list(turns),
        list(turns.values()),
    )
