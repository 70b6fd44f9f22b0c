"""``/users/getReview`` reads grouped per event-loop turn: the same answers as one query per
request, fresh after every acknowledged write, failures reaching every waiting request."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from bot.core.errors import NotFound, Unavailable
from bot.services import review_reads
from bot.services.review_reads import ReviewReads
from config.settings import Settings
from store.db import Connection, Db
from tests.conftest import add_team, create_pr, member


class CountingDb(Db):
    """A real pool that counts the connections taken (one per statement here)."""

    taken = 0

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        self.taken += 1
        async with super().connection() as conn:
            yield conn


@pytest_asyncio.fixture
async def db(settings: Settings) -> AsyncIterator[CountingDb]:
    assert settings.database_url is not None
    found = CountingDb(settings.database_url, pool_size=4)
    await found.connect()
    yield found
    await found.disconnect()


async def _seed(client: httpx.AsyncClient) -> None:
    await add_team(client, "core", member("a"), member("b"), member("c"))
    for i in range(3):
        await create_pr(client, f"pr-{i}", "a", name=f"change {i}")


async def _one_by_one(client: httpx.AsyncClient, user_id: str) -> Any:
    response = await client.get("/users/getReview", params={"user_id": user_id})
    return response.status_code, response.json()


async def test_concurrent_requests_share_one_statement_and_get_their_own_answer(
    client: httpx.AsyncClient, db: CountingDb
) -> None:
    await _seed(client)
    reads = ReviewReads(db)
    asked = ["b", "c", "b", "nobody", "a"]
    answers = await asyncio.gather(*(reads.answer(u) for u in asked), return_exceptions=True)
    assert db.taken == 1
    assert isinstance(answers[3], NotFound)
    for user_id, body in zip(asked, answers, strict=True):
        if user_id == "nobody":
            continue
        assert isinstance(body, bytes)
        status, expected = await _one_by_one(client, user_id)
        assert status == 200 and httpx.Response(200, content=body).json() == expected
    assert answers[0] == answers[2]


async def test_a_read_after_a_write_sees_it(client: httpx.AsyncClient, db: CountingDb) -> None:
    await _seed(client)
    reads = ReviewReads(db)
    before = httpx.Response(200, content=await reads.answer("b")).json()["pull_requests"]
    await client.post("/pullRequest/merge", json={"pull_request_id": "pr-0"})
    after = httpx.Response(200, content=await reads.answer("b")).json()["pull_requests"]
    assert [p["status"] for p in before] == ["OPEN"] * 3
    assert [p["status"] for p in after] == ["MERGED", "OPEN", "OPEN"]


async def test_a_large_burst_is_split_into_bounded_groups(
    client: httpx.AsyncClient, db: CountingDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _seed(client)
    monkeypatch.setattr(review_reads, "MAX_GROUP", 2)
    reads = ReviewReads(db)
    answers = await asyncio.gather(*(reads.answer(u) for u in ["a", "b", "c", "a", "b"]))
    assert db.taken == 3 and answers[0] == answers[3] and answers[1] == answers[4]


async def test_a_failure_reaches_every_waiting_request(settings: Settings) -> None:
    unreachable = Db("postgresql://nobody@127.0.0.1:1/none", pool_size=2, query_timeout=1.0)
    await unreachable.connect()
    try:
        reads = ReviewReads(unreachable)
        results = await asyncio.gather(
            *(reads.answer(u) for u in ["a", "b", "a"]), return_exceptions=True
        )
        assert all(isinstance(r, Unavailable) for r in results), results
    finally:
        await unreachable.disconnect()


async def test_a_cancelled_request_leaves_the_others_answered(
    client: httpx.AsyncClient, db: CountingDb
) -> None:
    await _seed(client)
    reads = ReviewReads(db)
    first = asyncio.ensure_future(reads.answer("b"))
    second = asyncio.ensure_future(reads.answer("c"))
    await asyncio.sleep(0)
    first.cancel()
    assert b'"user_id":"c"' in (await second).replace(b" ", b"")
    with contextlib.suppress(asyncio.CancelledError):
        await first
