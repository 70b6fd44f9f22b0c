"""Db hands out pool connections with the semantics code relies on (see store/db.py)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from bot.core.errors import Unavailable
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


async def test_a_statement_past_the_query_timeout_is_unavailable_and_the_pool_recovers(
    migrated: str,
) -> None:
    db = Db(migrated, pool_size=1, query_timeout=0.5)
    await db.connect()
    try:
        with pytest.raises(Unavailable):
            async with db.connection() as conn:
                await conn.execute("SELECT pg_sleep(5)")
        async with db.connection() as conn:
            assert await conn.fetchval("SELECT 1") == 1
    finally:
        await db.disconnect()


async def test_waiting_for_a_pooled_connection_is_bounded(migrated: str) -> None:
    db = Db(migrated, pool_size=1, query_timeout=0.3)
    await db.connect()
    held, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with db.connection():
            held.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    try:
        await held.wait()
        with pytest.raises(Unavailable):
            async with db.connection():
                pass
    finally:
        release.set()
        await holder
        await db.disconnect()
