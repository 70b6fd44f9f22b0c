"""PostgreSQL round trips and CPU per API write (issue 18): create, reassign, merge,
setIsActive.

The use cases run in this process against a PostgreSQL and Redis of their own, one call
at a time, each on one pooled connection with asyncpg's query logger attached: every
statement the call sends is one round trip (BEGIN and COMMIT included; statements are
prepared once per connection, so one warm-up call of each kind comes first and is not
counted). CPU per call: this process's CPU time (the use case without HTTP) and the
PostgreSQL backend's (from /proc; None where it cannot be read), summed over the calls.

``python -m perf.round_trips`` prints the figures; ``make perf`` records ``run()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import sys
import tempfile
import time
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
        self.server_pid = 0

    def __call__(self, record: asyncpg.connection.LoggedQuery) -> None:
        self.sent.append(record.query)


@contextlib.asynccontextmanager
async def counting(db: Db) -> AsyncIterator[Statements]:
    """Hold one pooled connection for this task and log what is sent on it: the use cases
    called inside the block run on it (``Db.connection`` hands a task the one it holds)."""
    statements = Statements()
    async with db.connection() as conn:
        conn.add_query_logger(statements)
        statements.server_pid = conn.get_server_pid()
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


@dataclass
class Cost:
    trips: int
    app_seconds: float
    postgres_seconds: float | None


def backend_cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a (local) PostgreSQL backend, from /proc; None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def cost(db: Db, call: Callable[..., Awaitable[Any]], *args: Any) -> Cost:
    """Round trips and CPU of one ``call(*args)``."""
    async with counting(db) as statements:
        pg_before = backend_cpu_seconds(statements.server_pid)
        app_before = time.process_time()
        await call(*args)
        app = time.process_time() - app_before
        pg_after = backend_cpu_seconds(statements.server_pid)
    pg = None if pg_before is None or pg_after is None else pg_after - pg_before
    return Cost(len(statements.sent), app, pg)


async def count(db: Db, call: Callable[..., Awaitable[Any]], *args: Any) -> int:
    """Round trips of one ``call(*args)``."""
    return (await cost(db, call, *args)).trips


async def measure(services: WriteServices, rounds: int, prefix: str = "rt") -> dict[str, Any]:
    """Per write kind, over ``rounds`` calls after warm-up: mean round trips, app CPU ms
    and PostgreSQL CPU ms; in a random team (the one-trip path), and create / reassign in
    a round-robin team (the transactional path, under the team lock)."""
    costs: dict[str, list[Cost]] = {}
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
        for kind, measured in (await _rounds(services, team, members, rounds)).items():
            if not label or kind in ("create", "reassign"):
                costs[kind + label] = measured
    return {
        "round_trips": {k: sum(c.trips for c in v) / len(v) for k, v in costs.items()},
        "app_cpu_ms": {k: _ms([c.app_seconds for c in v]) for k, v in costs.items()},
        "postgres_cpu_ms": {k: _ms([c.postgres_seconds for c in v]) for k, v in costs.items()},
    }


def _ms(seconds: list[float | None]) -> float | None:
    """The mean in milliseconds; None if any is unknown."""
    known = [s for s in seconds if s is not None]
    if not known or len(known) < len(seconds):
        return None
    return round(sum(known) * 1000 / len(known), 3)


async def _rounds(
    services: WriteServices, team: str, members: list[Member], rounds: int
) -> dict[str, list[Cost]]:
    # setIsActive drops its team from the cache; flipping users of another team keeps
    # the team fetch it causes out of the next create's count.
    others = [Member(f"{team}-o{i}", f"other {i}", True) for i in range(4)]
    await services.teams.add(f"{team}-other", others)
    prs, db = services.pull_requests, services.db
    costs: dict[str, list[Cost]] = {kind: [] for kind in KINDS}
    for i in range(rounds + 1):
        pr_id, author = f"{team}-pr-{i}", members[i % len(members)].user_id
        created = await cost(db, prs.create, pr_id, "change", author)
        old = (await prs.get(pr_id)).assigned_reviewers[0]
        reassigned = await cost(db, prs.reassign, pr_id, old)
        merged = await cost(db, prs.merge, pr_id)
        user = others[i % len(others)].user_id
        flipped = await cost(db, services.users.set_is_active, user, True)
        if i:  # the first round prepares the statements on the connection
            for kind, c in zip(KINDS, (created, reassigned, merged, flipped), strict=True):
                costs[kind].append(c)
    return costs


async def run(rounds: int = 200) -> dict[str, Any]:
    """``measure`` on a private embedded PostgreSQL and Redis."""
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
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    figures = asyncio.run(run(rounds))
    for kind, trips in figures["round_trips"].items():
        app, pg = figures["app_cpu_ms"][kind], figures["postgres_cpu_ms"][kind]
        print(f"{kind:24} {trips:.2f} round trips, app CPU {app} ms, PostgreSQL CPU {pg} ms")


if __name__ == "__main__":
    main()
