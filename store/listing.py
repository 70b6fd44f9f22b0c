"""Read-only listings: every team, and pull requests page by page.

Pages are keyset pages over ``(created_at, pull_request_id)``: the next page starts
strictly after the last row returned, so rows added meanwhile never shift a page (no
duplicates, no skipped rows, unlike OFFSET).
"""

from __future__ import annotations

from datetime import datetime

from bot.core.models import Member, PrFilter, PullRequest, Team
from store.db import Connection
from store.pull_requests import _PR_COLUMNS, _pr


async def all_teams(conn: Connection) -> list[Team]:
    rows = await conn.fetch(
        """SELECT t.team_name, u.user_id, u.username, u.is_active
             FROM teams t LEFT JOIN users u ON u.team_name = t.team_name
            ORDER BY t.team_name, u.user_id"""
    )
    members: dict[str, list[Member]] = {}
    for r in rows:
        found = members.setdefault(r["team_name"], [])
        if r["user_id"] is not None:
            found.append(Member(r["user_id"], r["username"], r["is_active"]))
    return [Team(name, tuple(ms)) for name, ms in members.items()]


async def page_of_prs(
    conn: Connection, where: PrFilter, after: tuple[datetime, str] | None, limit: int
) -> list[PullRequest]:
    """Up to ``limit`` PRs matching ``where``, oldest first, strictly after ``after``."""
    after_at, after_id = after if after else (None, None)
    rows = await conn.fetch(
        f"""SELECT {_PR_COLUMNS} FROM pull_requests p
             WHERE ($1::text IS NULL OR p.status = $1)
               AND ($2::text IS NULL OR p.author_id IN
                        (SELECT a.user_id FROM users a WHERE a.team_name = $2))
               AND ($3::text IS NULL OR p.pull_request_id IN
                        (SELECT r.pull_request_id FROM pr_reviewers r WHERE r.user_id = $3))
               AND ($4::text IS NULL OR p.author_id = $4)
               AND ($5::timestamptz IS NULL OR (p.created_at, p.pull_request_id) > ($5, $6::text))
             ORDER BY p.created_at, p.pull_request_id
             LIMIT $7""",
        where.status,
        where.team_name,
        where.reviewer_id,
        where.author_id,
        after_at,
        after_id,
        limit,
    )
    return [_pr(r) for r in rows]
