"""Users and what they review."""

from __future__ import annotations

from asyncpg import Record

from bot.core.models import PrStatus, PullRequestShort, User
from store.db import Connection

_STATUS = {s.value: s for s in PrStatus}


def _user(row: Record) -> User:
    return User(row["user_id"], row["username"], row["team_name"], row["is_active"])


async def fetch_user(conn: Connection, user_id: str) -> User | None:
    row = await conn.fetchrow(
        "SELECT user_id, username, team_name, is_active FROM users WHERE user_id = $1", user_id
    )
    return _user(row) if row else None


async def set_active(conn: Connection, user_id: str, is_active: bool) -> User | None:
    row = await conn.fetchrow(
        """UPDATE users SET is_active = $2, updated_at = now() WHERE user_id = $1
           RETURNING user_id, username, team_name, is_active""",
        user_id,
        is_active,
    )
    return _user(row) if row else None


async def reviews_of(conn: Connection, user_id: str) -> list[PullRequestShort] | None:
    """PRs the user is assigned to review; None when the user does not exist."""
    rows = await conn.fetch(
        """SELECT p.pull_request_id, p.pull_request_name, p.author_id, p.status
             FROM users u
             LEFT JOIN pr_reviewers r ON r.user_id = u.user_id
             LEFT JOIN pull_requests p ON p.pull_request_id = r.pull_request_id
            WHERE u.user_id = $1
            ORDER BY p.created_at, p.pull_request_id""",
        user_id,
    )
    if not rows:
        return None
    # A user can review hundreds of PRs: positional access and a dict lookup instead of
    # by-name access and Enum() construction halve this loop (measured, see perf/).
    status = _STATUS
    return [PullRequestShort(r[0], r[1], r[2], status[r[3]]) for r in rows if r[0] is not None]
