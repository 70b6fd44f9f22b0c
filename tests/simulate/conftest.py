"""The replay's use case on the test database (one connection: it streams in one transaction)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from bot.services.simulate import Simulator
from store.db import Db


@pytest.fixture
async def simulator(pg: asyncpg.Pool, migrated: str) -> AsyncIterator[Simulator]:
    db = Db(migrated, pool_size=1)
    await db.connect()
    yield Simulator(db)
    await db.disconnect()
