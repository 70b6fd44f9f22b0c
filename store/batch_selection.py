"""The database side of choosing many reviewers at once (``bot.services.choosing.choose_many``).

Two statements read one locked snapshot of the team, whatever its strategy, without the
team cache:
1. the team row, locked by ``store.selection.lock_team`` as for a single choice: the
   batch takes its turns and reads loads that no other chooser in the team is changing;
   it gives the strategy and the round-robin cursor;
2. every member: the active ones share-locked (``SKIP LOCKED``: a member someone is
   changing right now is left out as unavailable, never waited for) with availability,
   cap, turn, and open load where it is needed (least loaded, or a member with a cap).
A third statement, for round robin only, stores the cursor and the turns handed out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from bot.core.selection import Candidate, Skip
from store.db import Connection
from store.selection import AWAY_ON, OPEN_LOAD, candidate


@dataclass(frozen=True, slots=True)
class Members:
    candidates: list[Candidate]  # the active members, locked
    skipped: dict[str, Skip]  # the others: inactive, or unavailable (locked by someone)


async def members(conn: Connection, team_name: str, today: date, *, all_loads: bool) -> Members:
    """Read the team's members, share-locking the active ones (after ``store.selection.lock_team``).

    The open load is counted for everyone when ``all_loads`` (least loaded), otherwise
    only for members with a cap.
    """
    rows = await conn.fetch(
        f"""WITH locked AS MATERIALIZED (
               SELECT u.user_id, u.max_open_reviews, u.rr_turn,
                      {AWAY_ON.format(day="$2::date")} AS away,
                      CASE WHEN $3 OR u.max_open_reviews IS NOT NULL
                           THEN {OPEN_LOAD} END AS open_reviews
                 FROM users u
                WHERE u.team_name = $1 AND u.is_active
                ORDER BY u.user_id FOR SHARE OF u SKIP LOCKED)
           SELECT m.user_id, m.is_active, l.user_id IS NOT NULL AS locked,
                  l.max_open_reviews, l.rr_turn, l.away, l.open_reviews
             FROM users m LEFT JOIN locked l USING (user_id)
            WHERE m.team_name = $1
            ORDER BY m.user_id""",
        team_name,
        today,
        all_loads,
    )
    found = Members([], {})
    for r in rows:
        if r["locked"]:
            found.candidates.append(candidate(r))
        else:
            # Inactive, or active but not locked: someone is changing that row right now.
            found.skipped[r["user_id"]] = Skip.UNAVAILABLE if r["is_active"] else Skip.INACTIVE
    return found


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
