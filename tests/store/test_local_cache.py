"""The in-process team copy: fast, but never staler than an invalidation it has received."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest_asyncio
import redis.asyncio as redis

from bot.core.models import Member, Team
from store.cache import TeamCache

TEAM = Team("core", (Member("u1", "Ann", True), Member("u2", "Bob", True)))
CHANGED = Team("core", (Member("u1", "Ann", False), Member("u2", "Bob", True)))


async def eventually(check: Callable[[], bool], what: str) -> None:
    for _ in range(500):  # up to 5 s; on one host this takes a millisecond or two
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


@pytest_asyncio.fixture
async def caches(
    redis_client: redis.Redis, redis_url: str
) -> AsyncIterator[Callable[[], Awaitable[TeamCache]]]:
    made: list[TeamCache] = []

    async def make() -> TeamCache:
        cache = TeamCache.from_url(redis_url, 0.25)
        made.append(cache)
        await cache.get_team("warm-up")  # starts the subscription
        assert cache._local is not None
        local = cache._local
        await eventually(lambda: local._ready, "the subscription")
        return cache

    yield make
    for cache in made:
        await cache.close()


async def fill(cache: TeamCache, team: Team) -> None:
    found, key = await cache.get_team(team.team_name)
    assert found is None
    await cache.put_team(key, team)


async def test_a_second_read_is_served_in_process(
    caches: Callable[[], Awaitable[TeamCache]],
) -> None:
    cache = await caches()
    await fill(cache, TEAM)
    found, key = await cache.get_team("core", local_ok=True)
    assert found == TEAM
    assert key is None  # nothing to store: it came from this process


async def test_answers_to_clients_skip_the_local_copy(
    caches: Callable[[], Awaitable[TeamCache]], redis_client: redis.Redis
) -> None:
    # Another instance's write reaches this copy only with its pub/sub message; a read
    # that answers a client goes to Redis, where the writer's version bump already is.
    cache = await caches()
    await fill(cache, TEAM)
    await redis_client.flushdb()
    found, key = await cache.get_team("core")
    assert found is None and key is not None
    assert (await cache.get_team("core", local_ok=True))[0] == TEAM


async def test_a_write_elsewhere_reaches_every_instance(
    caches: Callable[[], Awaitable[TeamCache]],
) -> None:
    writer, reader = await caches(), await caches()
    await fill(reader, TEAM)
    assert (await reader.get_team("core", local_ok=True))[0] == TEAM
    await writer.invalidate({"core"})
    local = reader._local
    assert local is not None
    await eventually(lambda: "core" not in local._teams, "the invalidation message")
    found, key = await reader.get_team("core", local_ok=True)
    assert found is None
    await reader.put_team(key, CHANGED)
    assert (await reader.get_team("core", local_ok=True))[0] == CHANGED


async def test_a_read_that_raced_an_invalidation_is_not_kept(
    caches: Callable[[], Awaitable[TeamCache]],
) -> None:
    cache = await caches()
    found, key = await cache.get_team(
        "core", local_ok=True
    )  # a reader misses and goes to PostgreSQL ...
    assert found is None
    await cache.invalidate({"core"})  # ... while a writer commits and invalidates
    await cache.put_team(key, TEAM)  # the reader's (old) result arrives late
    found, _ = await cache.get_team("core", local_ok=True)
    assert found is None


async def test_losing_the_subscription_empties_the_copy(
    caches: Callable[[], Awaitable[TeamCache]], redis_client: redis.Redis
) -> None:
    cache = await caches()
    await fill(cache, TEAM)
    local = cache._local
    assert local is not None and local._teams
    await redis_client.client_kill_filter(_type="pubsub")
    await eventually(lambda: not local._teams, "the copy to be emptied")
    # Until subscribed again, answers come from Redis, never from the old copy.
    await redis_client.flushdb()
    found, _ = await cache.get_team("core", local_ok=True)
    assert found is None
    await eventually(lambda: local._ready, "the subscription to come back")


async def test_no_redis_means_no_copy() -> None:
    cache = TeamCache.from_url("off", 0.25)
    assert cache._local is None
    assert await cache.get_team("core", local_ok=True) == (None, None)
