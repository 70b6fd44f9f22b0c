"""Db hands out pool connections with the semantics code relies on (see store/db.py)."""

from __future__ import annotations

import asyncio

import asyncpg

from store.db import Db


async def test_nesting_reuses_the_task_connection_and_nested_transactions_are_savepoints(
    migrated: str, pg: asyncpg.Pool
) -> None:
    db = Db(migrated, pool_size=3)
    await db.connect()
    try:
        async with db.transaction() as outer:
            await outer.execute("INSERT INTO teams (team_name) VALUES ('kept')")
            async with db.connection() as inner:
                assert inner is outer
                assert await inner.fetchval("SELECT count(*) FROM teams") == 1
            try:
                async with db.transaction() as nested:
                    await nested.execute("INSERT INTO teams (team_name) VALUES ('dropped')")
                    raise RuntimeError("roll the savepoint back")
            except RuntimeError:
                pass
        names = [r["team_name"] for r in await pg.fetch("SELECT team_name FROM teams")]
        assert names == ["kept"]
    finally:
        await db.disconnect()


async def test_concurrent_tasks_get_their_own_connections(migrated: str) -> None:
    db = Db(migrated, pool_size=3)
    await db.connect()
    try:

        async def backend_pid() -> int:
            async with db.connection() as conn:
                pid: int = await conn.fetchval("SELECT pg_backend_pid()")
                await asyncio.sleep(0.05)  # hold it while the other task asks for one
                return pid

        async with db.connection() as mine:
            here = await mine.fetchval("SELECT pg_backend_pid()")
            first, second = await asyncio.gather(backend_pid(), backend_pid())
        assert len({here, first, second}) == 3
    finally:
        await db.disconnect()
