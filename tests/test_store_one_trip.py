"""One-round-trip store helpers for the create path (measured in perf/, see README)."""

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


async def test_lock_and_add_reviewers_keeps_only_eligible_in_order_and_logs(
    client: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    await add_team(client, "core", member("a"), member("b"), member("c", False), member("d"))
    await add_team(client, "other", member("e"))
    async with pg.acquire() as conn, conn.transaction():
        await prs.insert_pr_for_author(conn, "pr-1", "x", "a")
        added = await prs.lock_and_add_reviewers(conn, "pr-1", ["d", "c", "e", "b"], "core", 0)
        assert added == ["d", "b"]  # c inactive, e in another team
        more = await prs.lock_and_add_reviewers(conn, "pr-1", ["c"], "core", len(added))
        assert more == []
    rows = await pg.fetch("SELECT user_id, slot FROM pr_reviewers ORDER BY slot")
    assert [tuple(r) for r in rows] == [("d", 0), ("b", 1)]
    events = await pg.fetch("SELECT kind, user_id FROM assignment_events ORDER BY id")
    assert sorted(tuple(e) for e in events) == [("assigned", "b"), ("assigned", "d")]


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


async def test_lock_and_replace_reviewer_replaces_only_an_eligible_user(
    client: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    await add_team(client, "core", member("a"), member("b"), member("c"))
    await add_team(client, "other", member("x"))
    await create_pr(client, "pr-1", "a")
    await client.post("/users/setIsActive", json={"user_id": "c", "is_active": False})
    await add_team(client, "late", member("d", False))
    async with pg.acquire() as conn, conn.transaction():
        assert not await prs.lock_and_replace_reviewer(conn, "pr-1", "b", "x", "core")
        assert not await prs.lock_and_replace_reviewer(conn, "pr-1", "b", "d", "core")
        await conn.execute(
            "UPDATE users SET team_name = 'core', is_active = true WHERE user_id = 'd'"
        )
        assert await prs.lock_and_replace_reviewer(conn, "pr-1", "b", "d", "core")
    rows = await pg.fetch("SELECT user_id FROM pr_reviewers ORDER BY slot")
    assert "d" in [r["user_id"] for r in rows] and "b" not in [r["user_id"] for r in rows]
    events = await pg.fetch("SELECT kind, user_id, replaced_user_id FROM assignment_events")
    assert ("reassigned", "d", "b") in [tuple(e) for e in events]
