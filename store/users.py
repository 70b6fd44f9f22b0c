"""Users and what they review."""

from __future__ import annotations

from asyncpg import Record

from bot.core.models import User
from store.db import Connection


def user_of(row: Record) -> User:
    return User(row["user_id"], row["username"], row["team_name"], row["is_active"])


async def fetch_user(conn: Connection, user_id: str) -> User | None:
    row = await conn.fetchrow(
        "SELECT user_id, username, team_name, is_active FROM users WHERE user_id = $1", user_id
    )
    return user_of(row) if row else None


async def set_active(conn: Connection, user_id: str, is_active: bool) -> User | None:
    row = await conn.fetchrow(
        """UPDATE users SET is_active = $2, updated_at = now() WHERE user_id = $1
           RETURNING user_id, username, team_name, is_active""",
        user_id,
        is_active,
    )
    return user_of(row) if row else None


# The whole getReview answer built by PostgreSQL: the per-row Python objects and the JSON
# encoding were most of the app CPU of a read (py-spy, see perf/), and a user's list grows
# to hundreds of PRs. PRs of every status, oldest first.
_REVIEWS_JSON = """
SELECT json_build_object(
         'user_id', u.user_id,
         'pull_requests', COALESCE(
           (SELECT json_agg(json_build_object(
                     'pull_request_id', p.pull_request_id,
                     'pull_request_name', p.pull_request_name,
                     'author_id', p.author_id,
                     'status', p.status)
                   ORDER BY p.created_at, p.pull_request_id)
              FROM pr_reviewers r
              JOIN pull_requests p ON p.pull_request_id = r.pull_request_id
             WHERE r.user_id = u.user_id),
           '[]'::json))::text
  FROM users u
 WHERE u.user_id = $1"""


async def reviews_json(conn: Connection, user_id: str) -> bytes | None:
    """The getReview body as JSON bytes; None when the user does not exist."""
    body: str | None = await conn.fetchval(_REVIEWS_JSON, user_id)
    return None if body is None else body.encode()
