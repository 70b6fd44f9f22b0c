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
    # One pass over each table, grouped, then joined to the users: a correlated count per
    # user and figure cost 4 index scans per user (650 ms for 4,000 users, 10,000 PRs).
    at = _IN_WINDOW.format(col="e.at")
    merged = _IN_WINDOW.format(col="p.merged_at")
    rows = await conn.fetch(
        f"""WITH people AS (
                SELECT user_id, username, team_name, is_active FROM users
                 WHERE $1::text IS NULL OR team_name = $1),
            assigned AS (
                SELECT e.user_id, count(*) AS n FROM assignment_events e
                 WHERE {IS_ASSIGNMENT} AND {at}
                   AND e.user_id IN (SELECT user_id FROM people)
                 GROUP BY e.user_id),
            away AS (
                SELECT e.replaced_user_id AS user_id, count(*) AS n FROM assignment_events e
                 WHERE e.replaced_user_id IS NOT NULL AND {at}
                   AND e.replaced_user_id IN (SELECT user_id FROM people)
                 GROUP BY e.replaced_user_id),
            reviews AS (
                SELECT r.user_id,
                       count(*) FILTER (WHERE p.status = 'OPEN') AS open_n,
                       count(*) FILTER (WHERE p.status = 'MERGED' AND {merged}) AS merged_n
                  FROM pr_reviewers r JOIN pull_requests p USING (pull_request_id)
                 WHERE r.user_id IN (SELECT user_id FROM people)
                 GROUP BY r.user_id)
            SELECT u.user_id, u.username, u.team_name, u.is_active,
                   COALESCE(a.n, 0) AS assignments,
                   COALESCE(v.open_n, 0) AS open_reviews,
                   COALESCE(v.merged_n, 0) AS merged_reviews,
                   COALESCE(g.n, 0) AS reassigned_away
              FROM people u
              LEFT JOIN assigned a USING (user_id)
              LEFT JOIN reviews v USING (user_id)
              LEFT JOIN away g USING (user_id)
             ORDER BY u.user_id""",
        *w.args(),
    )
    return [UserStats(**dict(r)) for r in rows]


async def per_team(conn: Connection, w: Window) -> list[TeamStats]:
    created = _IN_WINDOW.format(col="p.created_at")
    rows = await conn.fetch(
        f"""WITH members AS (
                SELECT team_name, count(*) AS n, count(*) FILTER (WHERE is_active) AS active
                  FROM users WHERE $1::text IS NULL OR team_name = $1 GROUP BY team_name),
            created AS (
                SELECT a.team_name, count(*) AS n
                  FROM pull_requests p JOIN users a ON a.user_id = p.author_id
                 WHERE ($1::text IS NULL OR a.team_name = $1) AND {created}
                 GROUP BY a.team_name)
            SELECT t.team_name, COALESCE(m.n, 0) AS members,
                   COALESCE(m.active, 0) AS active_members,
                   COALESCE(c.n, 0) AS pull_requests_created
              FROM teams t
              LEFT JOIN members m USING (team_name)
              LEFT JOIN created c USING (team_name)
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
