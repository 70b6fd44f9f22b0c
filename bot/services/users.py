"""Users: switching one on or off (what they review: bot/services/review_reads.py)."""

from __future__ import annotations

from bot.core.errors import NotFound
from bot.core.models import User
from bot.services.teams import TeamDirectory
from store import users
from store.db import Db


class Users:
    def __init__(self, db: Db, directory: TeamDirectory) -> None:
        self._db = db
        self._directory = directory

    async def set_is_active(self, user_id: str, is_active: bool) -> User:
        async with self._db.connection() as conn:
            user = await users.set_active(conn, user_id, is_active)
        if user is None:
            raise NotFound(f"user '{user_id}' not found")
        await self._directory.invalidate({user.team_name})
        return user
