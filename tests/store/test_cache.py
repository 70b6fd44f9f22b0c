"""The Redis team cache: used, never stale after a write, and never needed for correctness."""

from __future__ import annotations

import logging
from pathlib import Path

import asyncpg
import httpx
import pytest
import redis.asyncio as redis

from bot.cli.embedded import embedded_redis
from bot.core.models import Member, Team
from store import cache as cache_module
from store.cache import TeamCache
from tests.conftest import AppFactory, add_team, create_pr, member


async def _team(client: httpx.AsyncClient, name: str) -> dict[str, object]:
    response = await client.get("/team/get", params={"team_name": name})
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


async def test_team_reads_come_from_the_cache(client: httpx.AsyncClient, pg: asyncpg.Pool) -> None:
    await add_team(client, "core", member("a"))
    await _team(client, "core")
    # Change the database behind the service's back: a cached read does not see it.
    await pg.execute("UPDATE users SET username = 'changed' WHERE user_id = 'a'")
    cached = await _team(client, "core")
    assert cached["members"] == [member("a")]


async def test_read_after_write_is_fresh(client: httpx.AsyncClient) -> None:
    await add_team(client, "core", member("a"), member("b"))
    await _team(client, "core")
    await client.post("/users/setIsActive", json={"user_id": "b", "is_active": False})
    assert await _team(client, "core") == {
        "team_name": "core",
        "members": [member("a"), member("b", False)],
    }
    await add_team(client, "other", member("b"))  # moves b away from core
    assert [m["user_id"] for m in (await _team(client, "core"))["members"]] == ["a"]  # type: ignore[index]


async def test_assignment_sees_a_deactivation_at_once(client: httpx.AsyncClient) -> None:
    await add_team(client, "core", member("a"), member("b"), member("c"))
    await create_pr(client, "warm-the-cache", "a")
    await client.post("/users/setIsActive", json={"user_id": "b", "is_active": False})
    for i in range(10):
        assert (await create_pr(client, f"pr-{i}", "a"))["assigned_reviewers"] == ["c"]


async def test_a_late_stale_write_lands_where_nobody_reads(redis_client: redis.Redis) -> None:
    cache = TeamCache(redis_client)
    missed, key = await cache.get_team("core")
    assert missed is None and key is not None
    await cache.invalidate({"core"})  # a writer commits and bumps the version
    stale = Team("core", (Member("a", "old", True),))
    await cache.put_team(key, stale)  # the slow reader stores what it read before the write
    found, _ = await cache.get_team("core")
    assert found is None


async def test_redis_off_still_serves(make_client: AppFactory) -> None:
    async with make_client(redis_url="off") as client:
        await add_team(client, "core", member("a"), member("b"))
        assert (await create_pr(client, "pr-1", "a"))["assigned_reviewers"] == ["b"]
        assert (await _team(client, "core"))["team_name"] == "core"


async def test_redis_stopping_mid_test_changes_no_answer(
    make_client: AppFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(cache_module, "RETRY_AFTER_SECONDS", 0.0)
    caplog.set_level(logging.WARNING, logger="store.cache")
    with embedded_redis(tmp_path) as url:
        async with make_client(redis_url=url, redis_timeout=0.2) as client:
            await add_team(client, "core", member("a"), member("b"), member("c"))
            await _team(client, "core")
            stopper = redis.Redis.from_url(url)
            await stopper.shutdown(nosave=True)
            await stopper.aclose()

            # Writes and reads during the outage: answered from PostgreSQL, still correct.
            await client.post("/users/setIsActive", json={"user_id": "b", "is_active": False})
            for i in range(5):
                pr = await create_pr(client, f"pr-{i}", "a")
                assert pr["assigned_reviewers"] == ["c"]
            assert (await _team(client, "core"))["members"][1] == member("b", False)  # type: ignore[index]
            downs = [r for r in caplog.records if "unavailable" in r.message]
            assert len(downs) == 1, [r.message for r in caplog.records]

            # Redis comes back (empty, at the same address): caching resumes by itself.
            with embedded_redis(tmp_path) as again:
                assert again == url
                await client.post("/users/setIsActive", json={"user_id": "b", "is_active": True})
                assert (await _team(client, "core"))["members"][1] == member("b")  # type: ignore[index]
                probe = redis.Redis.from_url(url)
                assert await probe.keys("rb:team:core:*")
                await probe.aclose()
            assert any("reachable again" in r.message for r in caplog.records)


async def test_a_late_stale_answer_lands_where_nobody_reads(redis_client: redis.Redis) -> None:
    cache = TeamCache(redis_client)
    missed, key = await cache.get_answer("core")
    assert missed is None and key is not None
    await cache.invalidate({"core"})  # a writer commits and bumps the version
    await cache.put_answer(key, b'{"team_name":"core","members":[]}')  # the slow reader
    found, fresh_key = await cache.get_answer("core")
    assert found is None and fresh_key != key
    await cache.put_answer(fresh_key, b'{"fresh":true}')
    assert await cache.get_answer("core") == (b'{"fresh":true}', None)


async def test_answers_survive_redis_forgetting_the_script(redis_client: redis.Redis) -> None:
    cache = TeamCache(redis_client)
    _, key = await cache.get_answer("core")
    await cache.put_answer(key, b"{}")
    await redis_client.script_flush()  # a restarted or failed-over Redis has no scripts
    assert await cache.get_answer("core") == (b"{}", None)


async def test_team_answers_are_served_as_stored_bytes(
    client: httpx.AsyncClient, redis_client: redis.Redis
) -> None:
    await add_team(client, "core", member("a"))
    first = await client.get("/team/get", params={"team_name": "core"})
    keys = [k async for k in redis_client.scan_iter(match="rb:teamanswer:core:*")]
    assert len(keys) == 1 and await redis_client.get(keys[0]) == first.content
    await client.post("/users/setIsActive", json={"user_id": "a", "is_active": False})
    assert (await _team(client, "core"))["members"] == [member("a", False)]
