"""PostgreSQL round trips per API write (issue 18): create, reassign, merge, setIsActive.

The use cases run in this process against a PostgreSQL and Redis of their own, each call
on one pooled connection with asyncpg's query logger attached: every statement the call
sends is one round trip (BEGIN and COMMIT included; statements are prepared once per
connection, so one warm-up call of each kind comes first and is not counted).

``python -m perf.round_trips`` prints the figures; ``make perf`` records ``run()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from bot.core.models import Member
from bot.services.changes import ChangeFeed
from bot.services.chooser import Chooser
from bot.services.pull_requests import PullRequests
from bot.services.teams import TeamDirectory, Teams
from bot.services.users import Users
from store.cache import TeamCache
from store.db import Db, migrate

KINDS = ("create", "reassign", "merge", "setIsActive")


class Statements:
    """A query logger: the statements a connection sent while attached."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def __call__(self, record: asyncpg.connection.LoggedQuery) -> None:
        self.sent.append(record.query)


@contextlib.asynccontextmanager
async def counting(db: Db) -> AsyncIterator[Statements]:
    """Hold one pooled connection for this task and log what is sent on it: the use cases
    called inside the block run on it (``Db.connection`` hands a task the one it holds)."""
    statements = Statements()
    async with db.connection() as conn:
        conn.add_query_logger(statements)
        try:
            yield statements
        finally:
            conn.remove_query_logger(statements)


@dataclass
class WriteServices:
    db: Db
    teams: Teams
    users: Users
    pull_requests: PullRequests
    directory: TeamDirectory
    chooser: Chooser


@contextlib.asynccontextmanager
async def write_services(
    database_url: str, redis_url: str | None, seed: int = 1
) -> AsyncIterator[WriteServices]:
    """The write use cases wired as the app wires them (without the webhook runtime)."""
    db = Db(database_url, pool_size=2)
    await db.connect()
    cache = TeamCache.from_url(redis_url, 1.0)
    try:
        directory = TeamDirectory(db, cache)
        chooser = Chooser(directory, random.Random(seed))
        changes = ChangeFeed()
        yield WriteServices(
            db,
            Teams(db, directory),
            Users(db, directory),
            PullRequests(db, directory, chooser, changes),
            directory,
            chooser,
        )
    finally:
        await cache.close()
        await db.disconnect()


async def count(db: Db, call: Callable[..., Awaitable[Any]], *args: Any) -> int:
    """Round trips of one ``call(*args)``."""
    async with counting(db) as statements:
        await call(*args)
    return len(statements.sent)


async def measure(services: WriteServices, rounds: int, prefix: str = "rt") -> dict[str, float]:
    """Mean round trips per call of each write kind over ``rounds`` calls (after warm-up):
    in a random team (the one-trip path), and create / reassign in a round-robin team
    (the transactional path, under the team lock)."""
    trips: dict[str, list[int]] = {}
    for strategy in ("random", "round_robin"):
        team = f"{prefix}-{strategy}"
        members = [Member(f"{team}-u{i}", f"user {i}", True) for i in range(8)]
        await services.teams.add(team, members)
        async with services.db.connection() as conn:
            await conn.execute(
                "UPDATE teams SET strategy = $2 WHERE team_name = $1", team, strategy
            )
        await services.directory.invalidate({team})
        label = "" if strategy == "random" else f" ({strategy.replace('_', ' ')})"
        for kind, n in (await _rounds(services, team, members, rounds)).items():
            if not label or kind in ("create", "reassign"):
                trips[kind + label] = n
    return {kind: sum(v) / len(v) for kind, v in trips.items()}


async def _rounds(
    services: WriteServices, team: str, members: list[Member], rounds: int
) -> dict[str, list[int]]:
    # setIsActive drops its team from the cache; flipping users of another team keeps
    # the team fetch it causes out of the next create's count.
    others = [Member(f"{team}-o{i}", f"other {i}", True) for i in range(4)]
    await services.teams.add(f"{team}-other", others)
    prs = services.pull_requests
    trips: dict[str, list[int]] = {kind: [] for kind in KINDS}
    for i in range(rounds + 1):
        pr_id, author = f"{team}-pr-{i}", members[i % len(members)].user_id
        created = await count(services.db, prs.create, pr_id, "change", author)
        pr = await prs.get(pr_id)
        old = pr.assigned_reviewers[0]
        reassigned = await count(services.db, prs.reassign, pr_id, old)
        merged = await count(services.db, prs.merge, pr_id)
        user = others[i % len(others)].user_id
        flipped = await count(services.db, services.users.set_is_active, user, True)
        if i:  # the first round prepares the statements on the connection
            for kind, n in zip(KINDS, (created, reassigned, merged, flipped), strict=True):
                trips[kind].append(n)
    return trips


async def run(rounds: int = 50) -> dict[str, float]:
    """Round trips per write kind, on a private embedded PostgreSQL and Redis."""
    from bot.cli.embedded import embedded_postgres, embedded_redis

    with (
        tempfile.TemporaryDirectory(prefix="reviewbot-rt-") as tmp,
        embedded_postgres(Path(tmp)) as pg_url,
        embedded_redis(Path(tmp)) as redis_url,
    ):
        await migrate(pg_url)
        async with write_services(pg_url, redis_url) as services:
            return await measure(services, rounds)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    figures = asyncio.run(run(rounds))
    for kind, trips in figures.items():
        print(f"{kind:24} {trips:.2f} round trips")


if __name__ == "__main__":
    main()
