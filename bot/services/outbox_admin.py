"""What an operator does with the post-back outbox: see what failed, send it again."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from store import outbox as store
from store.db import Db

Entry = store.Entry


class OutboxAdmin:
    def __init__(self, db: Db, clock: Callable[[], datetime], wake: Callable[[], None]) -> None:
        self._db = db
        self._clock = clock
        self._wake = wake

    async def failed(self) -> list[Entry]:
        async with self._db.connection() as conn:
            return await store.list_failed(conn)

    async def retry(self, ids: Sequence[int] | None) -> list[int]:
        """Failed post-backs (all, or the given ids) back to pending with a fresh budget."""
        async with self._db.connection() as conn:
            retried = await store.retry_failed(conn, ids, self._clock())
        self._wake()
        return retried

    async def depth(self) -> dict[str, int]:
        async with self._db.connection() as conn:
            return await store.depth(conn)
