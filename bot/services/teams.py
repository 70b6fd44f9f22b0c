"""Teams: creating them through the API, reading them through the cache, listing them."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.core.errors import NotFound, TeamExists
from bot.core.models import Member, Team
from store import teams
from store.cache import TeamCache
from store.db import Connection, Db
from store.retry import retry_transient


class TeamDirectory:
    """Teams read through the Redis cache (read-through), for every use case that needs one."""

    def __init__(self, db: Db, cache: TeamCache) -> None:
        self._db = db
        self._cache = cache

    async def team(
        self, team_name: str, conn: Connection | None = None, *, local_ok: bool = False
    ) -> Team | None:
        """The team, or None when it does not exist.

        ``local_ok``: this process's copy will do (see ``TeamCache.get_team``); only for
        deciding whom to consider, never for answering a client.
        """
        cached, key = await self._cache.get_team(team_name, local_ok=local_ok)
        if cached is not None:
            return cached
        if conn is None:
            async with self._db.connection() as own:
                team = await teams.fetch_team(own, team_name)
        else:
            team = await teams.fetch_team(conn, team_name)
        if team is not None:
            await self._cache.put_team(key, team)
        return team

    async def cached_answer(self, team_name: str) -> tuple[bytes | None, str | None]:
        """(answer bytes or None, the key to keep a fresh answer under): one round trip."""
        return await self._cache.get_answer(team_name)

    async def keep_answer(self, key: str | None, body: bytes) -> None:
        await self._cache.put_answer(key, body)

    async def invalidate(self, team_names: set[str]) -> None:
        await self._cache.invalidate(team_names)


class Teams:
    def __init__(self, db: Db, directory: TeamDirectory) -> None:
        self._db = db
        self._directory = directory

    @retry_transient
    async def add(self, team_name: str, members: Sequence[Member]) -> Team:
        async with self._db.transaction() as conn:
            if not await teams.insert_team(conn, team_name):
                raise TeamExists(f"team '{team_name}' already exists")
            moved_from = await teams.upsert_members(conn, team_name, members)
        await self._directory.invalidate({team_name, *moved_from})
        return Team(team_name, tuple(members))

    async def get(self, team_name: str) -> Team:
        team = await self._directory.team(team_name)
        if team is None:
            raise NotFound(f"team '{team_name}' not found")
        return team

    async def answer(self, team_name: str, render: Callable[[Team], bytes]) -> bytes:
        """The client's answer for the team as JSON bytes, ``render``-ed from the team when
        the cache has no answer under the team's current version."""
        body, key = await self._directory.cached_answer(team_name)
        if body is not None:
            return body
        body = render(await self.get(team_name))
        await self._directory.keep_answer(key, body)
        return body

    async def all(self) -> list[Team]:
        async with self._db.connection() as conn:
            return await teams.all_teams(conn)
