"""Running a whole transaction again when PostgreSQL aborted it to resolve a lock conflict.

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
# A transaction that set a short lock_timeout gives up with this instead of waiting.
LOCK_RACES: tuple[type[Exception], ...] = (asyncpg.exceptions.LockNotAvailableError, *TRANSIENT)
ATTEMPTS = 4


def _short_pause(attempt: int) -> float:
    # A little jitter so the two sides of a deadlock do not meet again.
    return random.uniform(0, 0.005 * attempt)


async def retrying(
    action: Callable[[], Awaitable[R]],
    *,
    what: str,
    errors: tuple[type[Exception], ...] = TRANSIENT,
    attempts: int = ATTEMPTS,
    pause: Callable[[int], float] = _short_pause,
) -> tuple[R, int]:
    """``action``'s result and the attempt that produced it; the last error after ``attempts``.

    ``pause(attempt)`` seconds pass between attempts (its randomness is kept apart from any
    seeded selection RNG, so a seeded run stays reproducible).
    """
    for attempt in range(1, attempts + 1):
        try:
            return await action(), attempt
        except errors as exc:
            if attempt == attempts:
                raise
            log.info("%s: %s (%s); trying again", what, type(exc).__name__, exc)
            await asyncio.sleep(pause(attempt))
    raise AssertionError("unreachable")


def retry_transient(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Run ``fn`` again (up to ``ATTEMPTS`` times in all) when PostgreSQL aborted it."""

    @functools.wraps(fn)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        result, _ = await retrying(lambda: fn(*args, **kwargs), what=fn.__qualname__)
        return result

    return run
