"""A transaction PostgreSQL aborted to break a deadlock is run again; other errors are not."""

from __future__ import annotations

import asyncpg
import pytest

from bot.core.errors import NotFound
from store.retry import ATTEMPTS, retry_transient


async def test_a_deadlock_victim_is_run_again() -> None:
    calls = []

    @retry_transient
    async def use_case() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise asyncpg.exceptions.DeadlockDetectedError("deadlock detected")
        return "done"

    assert await use_case() == "done"
    assert len(calls) == 3


async def test_it_gives_up_after_a_bound() -> None:
    calls = []

    @retry_transient
    async def always_aborted() -> None:
        calls.append(1)
        raise asyncpg.exceptions.SerializationError("could not serialize access")

    with pytest.raises(asyncpg.exceptions.SerializationError):
        await always_aborted()
    assert len(calls) == ATTEMPTS


async def test_other_errors_are_not_retried() -> None:
    calls = []

    @retry_transient
    async def not_found() -> None:
        calls.append(1)
        raise NotFound("no such PR")

    with pytest.raises(NotFound):
        await not_found()
    assert calls == [1]
