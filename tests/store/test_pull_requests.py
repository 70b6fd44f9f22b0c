"""One-round-trip store helpers of the create and reassign paths (measured in perf/)."""

from __future__ import annotations

import asyncpg
import httpx

from store import pull_requests as prs
from tests.conftest import add_team, create_pr, member


async def test_insert_pr_for_author_tells_missing_author_from_taken_id(
    client: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    await add_team(client, "core", member("a"), member("b"))
    async with pg.acquire() as conn:
        assert await prs.insert_pr_for_author(conn, "pr-1", "x", "nobody") is None
        created = await prs.insert_pr_for_author(conn, "pr-1", "x", "a")
        assert created is not None and created[0] == "core" and created[1] is not None
        taken = await prs.insert_pr_for_author(conn, "pr-1", "y", "b")
        assert taken == ("core", None)
        row = await conn.fetchrow("SELECT author_id, pull_request_name FROM pull_requests")
    assert tuple(row) == ("a", "x")


async def test_fetch_locked_pr_and_user_reads_both_and_tells_what_is_missing(
    client: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    await add_team(client, "core", member("a"), member("b"), member("c"))
    await create_pr(client, "pr-1", "a")
    async with pg.acquire() as conn, conn.transaction():
        assert await prs.fetch_locked_pr_and_user(conn, "nope", "b") == (None, None)
        pr, user = await prs.fetch_locked_pr_and_user(conn, "pr-1", "ghost")
        assert pr is not None and pr.author_id == "a" and user is None
        pr, user = await prs.fetch_locked_pr_and_user(conn, "pr-1", "b")
        assert pr is not None and sorted(pr.assigned_reviewers) == ["b", "c"]
        assert user is not None and (user.user_id, user.team_name) == ("b", "core")
        locked = await conn.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' AND granted"
        )
        assert locked >= 1  # the row lock made this transaction take an id
