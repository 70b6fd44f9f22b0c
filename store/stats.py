"""Assignment statistics from ``assignment_events`` and the current reviewer rows.

A window (``since`` inclusive, ``until`` exclusive; either may be open) applies to events
(assignments, reassignments, removals), to merged reviews (by ``merged_at``) and to PRs
created (by ``created_at``). Open reviews are always the state right now.
"""

from __future__ import annotations

from bot.core.stats import PrStats, TeamStats, UserStats, Window
from store.db import Connection

# What counts as an assignment, shared with the dashboard (store/dashboard.py).
IS_ASSIGNMENT = "e.kind IN ('assigned', 'reassigned')"

_IN_WINDOW = "({col} >= $2 OR $2::timestamptz IS NULL) AND ({col} < $3 OR $3::timestamptz IS NULL)"


async def team_exists(conn: Connection, team_name: str) -> bool:
    found = await conn.fetchval("SELECT 1 FROM teams WHERE team_name = $1", team_name)
    return found is not None


async def per_user(conn: Connection, w: Window) -> list[UserStats]:
    at = _IN_WINDOW.format(col="e.at")
    merged = _IN_WINDOW.format(col="p.merged_at")
    rows = await conn.fetch(
        f"""SELECT u.user_id, u.username, u.team_name, u.is_active,
              (SELECT count(*) FROM assignment_events e
                WHERE e.user_id = u.user_id AND {IS_ASSIGNMENT}
                  AND {at}) AS assignments,
              (SELECT count(*) FROM pr_reviewers r JOIN pull_requests p USING (pull_request_id)
                WHERE r.user_id = u.user_id AND p.status = 'OPEN') AS open_reviews,
              (SELECT count(*) FROM pr_reviewers r JOIN pull_requests p USING (pull_request_id)
                WHERE r.user_id = u.user_id AND p.status = 'MERGED'
                  AND {merged}) AS merged_reviews,
              (SELECT count(*) FROM assignment_events e
                WHERE e.replaced_user_id = u.user_id AND {at}) AS reassigned_away
             FROM users u
            WHERE $1::text IS NULL OR u.team_name = $1
            ORDER BY u.user_id""",
        *w.args(),
    )
    return [UserStats(**dict(r)) for r in rows]


async def per_team(conn: Connection, w: Window) -> list[TeamStats]:
    created = _IN_WINDOW.format(col="p.created_at")
    rows = await conn.fetch(
        f"""SELECT t.team_name,
              (SELECT count(*) FROM users u WHERE u.team_name = t.team_name) AS members,
              (SELECT count(*) FROM users u
                WHERE u.team_name = t.team_name AND u.is_active) AS active_members,
              (SELECT count(*) FROM pull_requests p JOIN users a ON a.user_id = p.author_id
                WHERE a.team_name = t.team_name AND {created}) AS pull_requests_created
             FROM teams t
            WHERE $1::text IS NULL OR t.team_name = $1
            ORDER BY t.team_name""",
        *w.args(),
    )
    return [TeamStats(**dict(r)) for r in rows]


async def per_pr(conn: Connection, w: Window, limit: int) -> list[PrStats]:
    """PRs with at least one reviewer change in the window, most changed first."""
    at = _IN_WINDOW.format(col="e.at")
    rows = await conn.fetch(
        f"""SELECT e.pull_request_id,
                   count(*) FILTER (WHERE e.kind = 'reassigned') AS reassignments,
                   count(*) FILTER (WHERE e.kind = 'removed') AS removals
              FROM assignment_events e
              JOIN pull_requests p USING (pull_request_id)
              JOIN users a ON a.user_id = p.author_id
             WHERE e.kind IN ('reassigned', 'removed') AND {at}
               AND ($1::text IS NULL OR a.team_name = $1)
             GROUP BY e.pull_request_id
             ORDER BY reassignments DESC, removals DESC, e.pull_request_id
             LIMIT $4""",
        *w.args(),
        limit,
    )
    return [PrStats(**dict(r)) for r in rows]
