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
