"""Retrying a whole transaction that PostgreSQL aborted to break a deadlock.

Lock orders are kept consistent where we can see them (users by id, PR before users), but
a choice that is re-made after a candidate turned out ineligible locks its rows in a later
statement, and a human on a code host can act at any moment. PostgreSQL then aborts one
transaction with ``deadlock_detected`` (or ``serialization_failure``); since that rolled
back everything it did, running the use case again is safe and is what a client would do.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

import asyncpg

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

TRANSIENT: tuple[type[Exception], ...] = (
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.SerializationError,
)
ATTEMPTS = 4


def retry_transient(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Run ``fn`` again (up to ``ATTEMPTS`` times in all) when PostgreSQL aborted it."""

    @functools.wraps(fn)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await fn(*args, **kwargs)
            except TRANSIENT as exc:
                if attempt == ATTEMPTS:
                    raise
                log.info("%s: %s; trying again", fn.__qualname__, type(exc).__name__)
                # A little jitter so the two sides of a deadlock do not meet again.
                await asyncio.sleep(random.uniform(0, 0.005 * attempt))
        raise AssertionError("unreachable")

    return run
