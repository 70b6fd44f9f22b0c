"""Webhooks while PostgreSQL is down: verified deliveries are spooled (202 queued) and
applied in arrival order, exactly once, when it is back; beyond the bound they get 503."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio

from bot.app import create_app
from bot.cli.embedded import stop_postgres
from config.settings import Settings
from store.db import migrate
from store.spool import Spool
from tests.conftest import add_team, member, running, with_hosts
from tests.webhooks.conftest import (
    HANDLES,
    HOOK_HOSTS,
    SECRETS,
    Bot,
    BotFactory,
    load,
    signed_headers,
)


@dataclass
class Postgres:
    url: str
    server: Any
    pgdata: Path

    def stop(self) -> None:
        stop_postgres(self.server, self.pgdata)

    def start(self) -> None:
        self.server.ensure_postgres_running()  # the same data and socket: the same URL


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[Postgres]:
    """A PostgreSQL of this test's own, to stop and start again while the app uses it."""
    from pgserver import get_server  # type: ignore[attr-defined]

    pgdata = (tmp_path / "postgres").resolve()
    server = get_server(pgdata, cleanup_mode=None)
    found = Postgres(server.get_uri(), server, pgdata)
    try:
        yield found
    finally:
        found.stop()


@pytest_asyncio.fixture
async def bot_with_spool(
    make_bot: BotFactory, pg: asyncpg.Pool, tmp_path: Path
) -> AsyncIterator[Bot]:
    """The suite's PostgreSQL (up), a spool under this test's directory, team backend."""
    async with make_bot(spool_dir=tmp_path / "spool") as b:
        await add_team(b.client, "backend", member("alice"), member("bob"), member("carol"))
        for user_id, handles in HANDLES.items():
            await pg.execute(
                "INSERT INTO user_handles (user_id, host, handle) VALUES ($1, 'github', $2)",
                user_id,
                handles["github"],
            )
        yield b


def opened(number: int) -> bytes:
    payload = load("github", "pull_request__opened")
    payload["number"] = payload["pull_request"]["number"] = number
    return json.dumps(payload).encode()


def closed(number: int) -> bytes:
    payload = load("github", "pull_request__closed")  # merged
    payload["number"] = payload["pull_request"]["number"] = number
    return json.dumps(payload).encode()


async def send(client: httpx.AsyncClient, body: bytes, delivery: str) -> httpx.Response:
    headers = signed_headers("github", "pull_request", body, delivery, SECRETS["github"])
    return await client.post("/webhooks/github", content=body, headers=headers)


@contextlib.asynccontextmanager
async def bot(
    pg: Postgres, spool_dir: Path, arrange: bool = True, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    await migrate(pg.url)
    base = Settings(database_url=pg.url, redis_url="off", outbox_worker=False, selection_seed=7)
    app = create_app(with_hosts(replace(base, spool_dir=spool_dir, **settings), **HOOK_HOSTS))
    async with running(app) as client:
        if not arrange:
            yield client
            return
        await add_team(client, "backend", member("alice"), member("bob"), member("carol"))
        conn = await asyncpg.connect(pg.url)
        try:
            await conn.execute(
                "INSERT INTO user_handles (user_id, host, handle) VALUES ('alice', 'github', "
                "'alice-gh') ON CONFLICT DO NOTHING"
            )
        finally:
            await conn.close()
        yield client


async def wait_drained(spool: Spool) -> None:
    for _ in range(200):  # 20 s at most
        if not spool.pending():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the spool did not drain")


async def test_deliveries_during_an_outage_are_applied_once_in_order_when_it_is_back(
    postgres: Postgres, tmp_path: Path
) -> None:
    spool = Spool(tmp_path / "spool", 1 << 30)
    async with bot(postgres, spool.directory) as client:
        await asyncio.to_thread(postgres.stop)
        first = str(uuid.uuid4())
        answers = [await send(client, opened(1), first)]
        answers += [await send(client, opened(n), str(uuid.uuid4())) for n in range(2, 6)]
        answers.append(await send(client, closed(1), str(uuid.uuid4())))  # after its opening
        answers.append(await send(client, opened(1), first))  # the host redelivers one
        assert [a.status_code for a in answers] == [202] * 7, [a.text for a in answers]
        assert {a.json()["status"] for a in answers} == {"queued"}
        assert spool.pending()
        back = datetime.now(UTC)
        await asyncio.to_thread(postgres.start)
        await wait_drained(spool)
        live = await send(client, opened(6), str(uuid.uuid4()))
        assert live.status_code == 200 and live.json()["status"] == "applied"
        conn = await asyncpg.connect(postgres.url)
        try:
            prs = await conn.fetch(
                "SELECT pull_request_id, status, created_at, merged_at FROM pull_requests"
            )
            deliveries = await conn.fetchval("SELECT count(*) FROM webhook_deliveries")
            outbox = await conn.fetch(
                "SELECT pull_request_id, count(*) AS n FROM outbox GROUP BY pull_request_id"
            )
            reviewers = await conn.fetch(
                "SELECT pull_request_id, count(*) AS n FROM pr_reviewers GROUP BY pull_request_id"
            )
        finally:
            await conn.close()
    ids = {f"github:acme/widgets#{n}" for n in range(1, 7)}
    assert {r["pull_request_id"]: r["status"] for r in prs} == {
        i: "MERGED" if i.endswith("#1") else "OPEN" for i in ids
    }
    # A spooled PR was opened, and #1 merged, when the host said so, not when it drained.
    times = {r["pull_request_id"]: r for r in prs}
    assert all(times[f"github:acme/widgets#{n}"]["created_at"] < back for n in range(1, 6))
    assert times["github:acme/widgets#1"]["merged_at"] < back
    assert times["github:acme/widgets#6"]["created_at"] > back
    assert deliveries == 7  # six spooled, one live: the redelivery was a duplicate
    assert {r["pull_request_id"]: r["n"] for r in reviewers} == dict.fromkeys(ids, 2)
    assert {r["pull_request_id"]: r["n"] for r in outbox} == dict.fromkeys(ids, 2)


async def test_what_is_still_spooled_at_shutdown_is_applied_by_the_next_start(
    postgres: Postgres, tmp_path: Path
) -> None:
    spool = Spool(tmp_path / "spool", 1 << 30)
    async with bot(postgres, spool.directory) as client:
        await asyncio.to_thread(postgres.stop)
        answer = await send(client, opened(1), "kept-on-disk")
    assert answer.status_code == 202 and spool.pending()  # the app stopped, PostgreSQL down
    await asyncio.to_thread(postgres.start)
    async with bot(postgres, spool.directory, arrange=False):
        await wait_drained(spool)
    conn = await asyncpg.connect(postgres.url)
    try:
        applied = await conn.fetchval("SELECT delivery_id FROM webhook_deliveries")
        posted = await conn.fetchval("SELECT count(*) FROM outbox")
    finally:
        await conn.close()
    assert (applied, posted) == ("kept-on-disk", 2)


async def test_beyond_the_bound_deliveries_get_503_and_nothing_is_half_kept(
    postgres: Postgres, tmp_path: Path
) -> None:
    room = int(len(opened(1)) * 1.5)  # one record fits, two do not
    spool = Spool(tmp_path / "spool", room)
    async with bot(postgres, spool.directory, spool_max_bytes=room) as client:
        await asyncio.to_thread(postgres.stop)
        kept = await send(client, opened(1), "kept")
        refused = await send(client, opened(2), "refused")
        unsigned = await client.post(
            "/webhooks/github", content=opened(3), headers={"x-github-event": "pull_request"}
        )
        await asyncio.to_thread(postgres.start)
        await wait_drained(spool)
    assert kept.status_code == 202 and kept.json()["status"] == "queued"
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"]["code"] == "UNAVAILABLE"
    assert "spool is full" in refused.json()["error"]["message"]
    assert refused.headers["retry-after"]
    assert unsigned.status_code == 401  # only verified deliveries are kept
    conn = await asyncpg.connect(postgres.url)
    try:
        prs = await conn.fetch("SELECT pull_request_id FROM pull_requests")
    finally:
        await conn.close()
    assert [r["pull_request_id"] for r in prs] == ["github:acme/widgets#1"]


async def test_with_the_spool_off_a_delivery_during_an_outage_is_503(
    postgres: Postgres, tmp_path: Path
) -> None:
    async with bot(postgres, tmp_path / "spool", spool_max_bytes=0) as client:
        await asyncio.to_thread(postgres.stop)
        answer = await send(client, opened(1), "d")
        await asyncio.to_thread(postgres.start)
    assert answer.status_code == 503 and answer.json()["error"]["code"] == "UNAVAILABLE"
    assert not (tmp_path / "spool").exists()


async def test_while_anything_is_spooled_a_new_event_queues_behind_it(
    bot_with_spool: Bot, tmp_path: Path
) -> None:
    waiting = Spool(tmp_path / "elsewhere", 1 << 20)  # a spool no drainer of this app reads
    waiting.append("github", "older", {"x-github-event": "pull_request"}, opened(1))
    bot_with_spool.app.state.services.deliveries.spool = waiting
    answer = await bot_with_spool.post("github", "pull_request__opened", delivery="newer")
    assert answer.status_code == 202 and answer.json()["status"] == "queued"
    assert [e.record.delivery for e in waiting.read(10)] == ["older", "newer"]
    assert waiting.read(10)[1].record.headers == {
        "x-github-event": "pull_request",
        "content-type": "application/json",
    }  # never the signature


async def test_a_record_that_can_never_apply_is_set_aside_and_the_rest_applied(
    bot_with_spool: Bot, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    spool = Spool(tmp_path / "spool", 1 << 20)
    spool.append("nohost", "lost-cause", {}, b"{}")
    spool.append("github", "fine", {"x-github-event": "pull_request"}, opened(7))
    bot_with_spool.app.state.services.deliveries.on_spooled()  # wake the drainer
    await wait_drained(spool)
    rejected = (spool.directory / "rejected.jsonl").read_text().splitlines()
    assert len(rejected) == 1 and "no code host 'nohost'" in rejected[0]
    assert await pg.fetchval("SELECT count(*) FROM pull_requests") == 1
    assert await pg.fetchval("SELECT delivery_id FROM webhook_deliveries") == "fine"


async def test_an_instance_started_while_postgres_is_down_serves_and_spools(
    postgres: Postgres, tmp_path: Path
) -> None:
    spool = Spool(tmp_path / "spool", 1 << 30)
    async with bot(postgres, spool.directory):  # the team and its handles, then stopped
        pass
    await asyncio.to_thread(postgres.stop)
    base = Settings(database_url=postgres.url, redis_url="off", outbox_worker=False)
    settings = with_hosts(replace(base, spool_dir=spool.directory), **HOOK_HOSTS)
    async with running(create_app(settings)) as client:  # starts with PostgreSQL away
        assert (await client.get("/health")).status_code == 200
        assert (await client.get("/ready")).status_code == 503
        api = await client.get("/team/get", params={"team_name": "backend"})
        assert api.status_code == 503 and api.json()["error"]["code"] == "UNAVAILABLE"
        queued = await send(client, opened(1), "while-down")
        assert queued.status_code == 202 and queued.json()["status"] == "queued"
        await asyncio.to_thread(postgres.start)
        await wait_drained(spool)
        assert (await client.get("/ready")).status_code == 200
    conn = await asyncpg.connect(postgres.url)
    try:
        applied = await conn.fetchval("SELECT delivery_id FROM webhook_deliveries")
        reviewers = await conn.fetchval("SELECT count(*) FROM pr_reviewers")
    finally:
        await conn.close()
    assert (applied, reviewers) == ("while-down", 2)
