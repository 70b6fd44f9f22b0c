"""The PostgreSQL connection: a `databases` pool over asyncpg, and migrations.

Queries run on the asyncpg connection that `databases` hands out (``raw_connection``):
PostgreSQL-native SQL (``$1``, ``= ANY($1)``, ``::casts``) without SQLAlchemy compiling
each statement, and asyncpg's prepared-statement cache on the hot path.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

import asyncpg
import databases

from bot.core.errors import Unavailable

log = logging.getLogger(__name__)

# Any constant works; it only has to be the same for every instance of reviewbot.
MIGRATION_LOCK_KEY = 0x7265766965776274  # "reviewbt"

Connection = Any  # asyncpg.Connection or the pool's proxy of one

# A PostgreSQL that accepts connections but never answers (frozen, its disk stuck) must
# not hold requests forever: a statement, a new connection and a wait for a pooled one
# each give up after this and surface as Unavailable (503 to retry, a spooled webhook).
# Far above any statement the service runs (a 128 KiB team file applies in < 1 s).
QUERY_TIMEOUT = 15.0

# What a request meets while PostgreSQL is down, restarting or out of connection slots:
# refused or reset sockets and timeouts (OSError), class 08 connection errors, the server
# shutting down or starting up (57P01-57P03), too many connections (53300), and a
# connection that died under a query. Anything else is a bug and stays a 500.
UNREACHABLE: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
)


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Replaces asyncpg's reset on release: one round trip less per request.

    asyncpg still rolls back an unfinished transaction before calling this. Its default
    reset additionally runs ``RESET ALL; UNLISTEN *; CLOSE ALL; pg_advisory_unlock_all()``
    on every release, which we never need: pooled connections never change session
    settings, LISTEN, keep cursors or take session-level advisory locks (migrations use
    a connection of their own). Profiling showed that query in every request's path.
    """


class Db:
    """Connections from the pool that ``databases`` owns, handed out without its wrappers.

    ``databases`` creates, configures and closes the asyncpg pool. Its per-use wrappers
    (connection objects, locks, a copied weak dictionary and a transaction object per
    use) cost ≈ 80 µs of CPU per transaction and ≈ 30 µs per connection (measured; 8-10 %
    of a request), so the hot path takes connections from that pool directly while
    keeping ``databases``' semantics: within one task, a nested ``connection()`` gets the
    connection already held, and a nested ``transaction()`` becomes a savepoint.
    """

    def __init__(
        self, url: str, *, pool_size: int = 10, query_timeout: float | None = None
    ) -> None:
        self.url = url
        self.query_timeout = query_timeout = query_timeout or QUERY_TIMEOUT
        # min_size=0: creating the pool needs no server, so an instance can start (and
        # spool webhooks) while PostgreSQL is away; connections open on first use.
        # asyncpg's timeouts: ``command_timeout`` per statement, ``timeout`` per connect.
        self.database = databases.Database(
            url,
            min_size=0,
            max_size=pool_size,
            reset=_keep_session,
            command_timeout=query_timeout,
            timeout=query_timeout,
        )
        self._pool: asyncpg.Pool | None = None
        self._held: dict[asyncio.Task[Any], Connection] = {}
        # Waiting for a connection in arrival order. asyncpg's pool queue lets a newcomer
        # take a just-released connection ahead of a woken waiter, which then queues
        # again at the back: under load a few requests wait for seconds (perf/ tails).
        self._turns = asyncio.Semaphore(pool_size)

    async def connect(self) -> None:
        await self.database.connect()
        pool = getattr(getattr(self.database, "_backend", None), "_pool", None)
        if not isinstance(pool, asyncpg.Pool):
            raise RuntimeError("databases no longer exposes its asyncpg pool; see store/db.py")
        self._pool = pool

    async def disconnect(self) -> None:
        self._pool = None
        await self.database.disconnect()

    def pool_use(self) -> tuple[int, int, int]:
        """(open, idle, max) connections of the pool; zeros before connect."""
        pool = self._pool  # the pool connect() found; None before it and after disconnect
        if pool is None:
            return 0, 0, 0
        return pool.get_size(), pool.get_idle_size(), pool.get_max_size()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        task = asyncio.current_task()
        assert task is not None and self._pool is not None, "Db.connect() first"
        held = self._held.get(task)
        if held is not None:
            yield held
            return
        try:
            async with self._turn(), self._pool.acquire() as conn:
                self._held[task] = conn
                try:
                    yield conn
                finally:
                    del self._held[task]
        except UNREACHABLE as exc:
            raise Unavailable(f"PostgreSQL is unavailable ({type(exc).__name__})") from exc

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """A place among the pool's users; the wait is bounded only when there is one
        (a timer per uncontended request would cost CPU on the hot path)."""
        if self._turns.locked():
            async with asyncio.timeout(self.query_timeout):
                await self._turns.acquire()
        else:
            await self._turns.acquire()
        try:
            yield
        finally:
            self._turns.release()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        async with self.connection() as conn, conn.transaction():
            yield conn


def migration_files() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every bundled migration, in order."""
    found = []
    for entry in resources.files("store.migrations").iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            found.append((version, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


async def migrate(url: str) -> list[str]:
    """Apply every migration not applied yet; returns the names applied.

    A session-level advisory lock makes two instances starting at the same moment take
    turns: the second finds everything applied and does nothing.
    """
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        try:
            return await _apply_pending(conn)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
    finally:
        await conn.close()


async def _apply_pending(conn: asyncpg.Connection) -> list[str]:
    await conn.execute(
        """CREATE TABLE IF NOT EXISTS schema_migrations (
               version integer PRIMARY KEY,
               name text NOT NULL,
               applied_at timestamptz NOT NULL DEFAULT now())"""
    )
    applied = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
    done = []
    for version, name, sql in migration_files():
        if version in applied:
            continue
        async with conn.transaction():
            await conn.execute(sql)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", version, name
            )
        log.info("applied migration %s", name)
        done.append(name)
    return done
