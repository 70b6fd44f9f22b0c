"""The page reuses its last read only while that read is still right: never after a
committed write (through the API, or by another instance straight in PostgreSQL), nor
once time has moved a count (a new day, an assignment leaving its 7- or 30-day window)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest_asyncio
import redis.asyncio as redis

from bot.hosts.registry import HOSTS
from bot.services.dashboard import Dashboard, Filters
from config.settings import Settings
from store.db import Db
from tests.conftest import AppFactory
from tests.dashboard.seed import HOST_PR, Seeded, seed


@pytest_asyncio.fixture
async def seeded(
    make_client: AppFactory, pg: asyncpg.Pool, redis_client: redis.Redis
) -> AsyncIterator[tuple[httpx.AsyncClient, Seeded]]:
    async with make_client(outbox_worker=False) as client:
        yield client, await seed(client, pg, redis_client)


@pytest_asyncio.fixture
async def db(settings: Settings) -> AsyncIterator[Db]:
    found = Db(settings.database_url)
    await found.connect()
    yield found
    await found.disconnect()


def _stat(page: str, team: str, stat: str) -> int:
    row = re.search(rf'<tr data-team="{team}">(.*?)</tr>', page, re.S)
    assert row, team
    found = re.search(rf'data-stat="{stat}">(\d+)<', row.group(1))
    assert found, stat
    return int(found.group(1))


async def _stats_open(client: httpx.AsyncClient, team: str) -> int:
    teams = (await client.get("/stats")).json()["teams"]
    return int(next(t["open_reviews"] for t in teams if t["team_name"] == team))


async def test_a_page_after_an_api_write_shows_it(
    seeded: tuple[httpx.AsyncClient, Seeded],
) -> None:
    client, _ = seeded
    before = _stat((await client.get("/dashboard")).text, "platform", "open_reviews")
    assert _stat((await client.get("/dashboard")).text, "platform", "open_reviews") == before
    created = await client.post(
        "/pullRequest/create",
        json={"pull_request_id": "PR-new", "pull_request_name": "New", "author_id": "ana"},
    )
    assert created.status_code == 201, created.text
    after = _stat((await client.get("/dashboard")).text, "platform", "open_reviews")
    assert after > before and after == await _stats_open(client, "platform")


async def test_a_page_after_a_write_by_another_instance_shows_it(
    seeded: tuple[httpx.AsyncClient, Seeded], pg: asyncpg.Pool
) -> None:
    """Another instance's write reaches this one through nothing but PostgreSQL."""
    client, _ = seeded
    page = (await client.get("/dashboard", params={"team": "platform"})).text
    assert 'data-user="ana">' in page and _stat(page, "platform", "active_members") == 5
    await pg.execute("UPDATE users SET is_active = false WHERE user_id = 'ana'")
    page = (await client.get("/dashboard", params={"team": "platform"})).text
    assert _stat(page, "platform", "active_members") == 4
    assert re.search(r'data-user="ana">.*?class="state inactive"', page, re.S)


async def test_the_same_read_while_nothing_changed(seeded: object, db: Db) -> None:
    now = datetime.now(UTC)
    dashboard = Dashboard(db, lambda: now, list(HOSTS))
    first = await dashboard.overview(Filters(), now)
    assert await dashboard.overview(Filters(), now + timedelta(seconds=1)) is first
    other = await dashboard.overview(Filters(team="platform"), now)
    assert other is not first and other.teams[0].team_name == "platform"
    assert await dashboard.overview(Filters(team="platform"), now) is other


async def test_read_again_after_a_write_even_one_outside_the_page(
    seeded: object, db: Db, pg: asyncpg.Pool
) -> None:
    """Any committed write changes the snapshot; the page cannot tell which tables it read."""
    now = datetime.now(UTC)
    dashboard = Dashboard(db, lambda: now, list(HOSTS))
    first = await dashboard.overview(Filters(), now)
    await pg.execute("UPDATE teams SET strategy = 'round_robin' WHERE team_name = 'data'")
    again = await dashboard.overview(Filters(), now)
    assert again is not first
    assert {t.team_name: t.strategy for t in again.teams}["data"] == "round_robin"


async def test_read_again_when_an_assignment_leaves_its_window(
    seeded: object, db: Db, pg: asyncpg.Pool
) -> None:
    """An assignment 7 days minus an hour old is the first to leave a window (the seed's
    are 2, 3, 12 and 40 days old): the read holds for that hour, on the same day."""
    now = datetime.now(UTC).replace(hour=10, minute=0)
    await pg.execute(
        "INSERT INTO assignment_events (pull_request_id, kind, user_id, source, at)"
        " VALUES ($1, 'assigned', 'ana', 'webhook', $2)",
        HOST_PR,
        now - timedelta(days=7) + timedelta(hours=1),
    )
    dashboard = Dashboard(db, lambda: now, list(HOSTS))
    first = await dashboard.overview(Filters(), now)
    assert await dashboard.overview(Filters(), now + timedelta(minutes=59)) is first
    moment = now + timedelta(hours=1, microseconds=1)
    later = await dashboard.overview(Filters(), moment)
    assert later is not first
    week = {t.team_name: t.assigned_7d for t in first.teams}["platform"]
    assert {t.team_name: t.assigned_7d for t in later.teams}["platform"] == week - 1
    fresh = await Dashboard(db, lambda: moment, list(HOSTS)).overview(Filters(), moment)
    assert later == fresh


async def test_read_again_on_a_new_day_and_when_the_clock_goes_back(
    seeded: object, db: Db, pg: asyncpg.Pool
) -> None:
    """Who is away is decided by the day: eve is away until 5 days from now."""
    now = datetime.now(UTC).replace(hour=12)
    dashboard = Dashboard(db, lambda: now, list(HOSTS))
    first = await dashboard.overview(Filters(team="platform"), now)
    assert await dashboard.overview(Filters(team="platform"), now - timedelta(hours=1)) is not first
    kept = await dashboard.overview(Filters(team="platform"), now)
    past_away = now + timedelta(days=6)
    later = await dashboard.overview(Filters(team="platform"), past_away)
    assert later is not kept
    assert {m.user_id: m.away_today for m in kept.members}["eve"] is True
    assert {m.user_id: m.away_today for m in later.members}["eve"] is False
