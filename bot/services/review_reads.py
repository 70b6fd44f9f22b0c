"""``/users/getReview`` reads grouped: the requests of one event-loop turn share one query.

Why: each answer is one PostgreSQL round trip, and under load its fixed cost (a pooled
connection taken and given back, a statement sent and its reply parsed) was most of a
read's app CPU. Requests that arrive while others are being parsed join one
``user_id = ANY(...)`` statement, so that cost is paid once per group.

Freshness is that of a query per request: a group's statement starts after every request
in it has arrived, so it sees every write acknowledged before any of them was sent.
"""

from __future__ import annotations

import asyncio

from bot.core.errors import NotFound
from store.db import Db
from store.review_reads import reviews_json_many

MAX_GROUP = 100  # users per statement; a larger burst starts another group at once


class ReviewReads:
    def __init__(self, db: Db) -> None:
        self._db = db
        self._waiting: dict[str, list[asyncio.Future[bytes | None]]] = {}
        self._scheduled = False
        self._running: set[asyncio.Task[None]] = set()

    async def answer(self, user_id: str) -> bytes:
        """The user's reviews (every status, oldest first) as the contract's JSON answer."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bytes | None] = loop.create_future()
        self._waiting.setdefault(user_id, []).append(future)
        if len(self._waiting) >= MAX_GROUP:
            self._start_group()
        elif not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._start_group)
        body = await future
        if body is None:
            raise NotFound(f"user '{user_id}' not found")
        return body

    def _start_group(self) -> None:
        self._scheduled = False
        group, self._waiting = self._waiting, {}
        if not group:
            return
        task = asyncio.get_running_loop().create_task(self._answer_group(group))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _answer_group(self, group: dict[str, list[asyncio.Future[bytes | None]]]) -> None:
        try:
            async with self._db.connection() as conn:
                found = await reviews_json_many(conn, list(group))
        except asyncio.CancelledError:  # shutting down: so are the requests waiting
            for waiting in group.values():
                for future in waiting:
                    future.cancel()
            raise
        except Exception as exc:  # every waiting request gets the failure (503, 500...)
            for waiting in group.values():
                for future in waiting:
                    if not future.done():
                        future.set_exception(exc)
            return
        for user_id, waiting in group.items():
            body = found.get(user_id)
            for future in waiting:
                if not future.done():  # its request may have been cancelled meanwhile
                    future.set_result(body)
