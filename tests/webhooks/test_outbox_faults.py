"""The outbox under faults, against the real PostgreSQL: a worker that dies holding claims,
one that is stuck (the lease backstop), and a host that is down for 20 s (its circuit)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import respx

from bot.core.circuit import State
from store import outbox as store
from tests.webhooks.conftest import Bot, BotFactory, end_session, outbox_rows
from tests.webhooks.test_metrics import _sample

PRS = r"/repos/acme/widgets/pulls/\d+/requested_reviewers"


def numbered(n: int) -> Any:
    def edit(payload: dict[str, Any]) -> None:
        payload["number"] = payload["pull_request"]["number"] = n

    return edit


async def claimed_by_another_worker(bot: Bot) -> tuple[store.Owner, list[store.Entry]]:
    """A second worker's session claims every due row, as if its host calls were in flight."""
    other = store.Owner(bot.worker.db.url)
    key = await other.ensure()
    now = bot.clock()
    async with bot.worker.db.transaction() as conn:
        entries = await store.claim(conn, now, now + timedelta(seconds=60), 50, key)
    assert entries
    return other, entries


async def states(pg: asyncpg.Pool) -> set[str]:
    return {r["state"] for r in await outbox_rows(pg)}


async def test_a_dead_workers_claims_are_retaken_at_once(
    bot: Bot, pg: asyncpg.Pool, github_api: respx.MockRouter
) -> None:
    route = github_api.post(path__regex=PRS).mock(return_value=httpx.Response(201, json={}))
    await bot.post("github", "pull_request__opened")
    other, _ = await claimed_by_another_worker(bot)
    await bot.drain()
    assert route.call_count == 0  # its owner is alive: the rows are its own
    await end_session(pg, other)
    await bot.drain()  # the fake clock has not moved: the 60 s lease has not run out
    assert route.call_count == 1 and await states(pg) == {"done"}
    await other.close()


async def test_a_stuck_workers_claims_wait_for_the_configured_lease(
    make_bot: BotFactory, pg: asyncpg.Pool, github_api: respx.MockRouter
) -> None:
    route = github_api.post(path__regex=PRS).mock(return_value=httpx.Response(201, json={}))
    async with make_bot(outbox_lease=15.0) as b:
        await pg.execute("INSERT INTO teams VALUES ('t')")
        await pg.execute(
            "INSERT INTO users (user_id, username, team_name, is_active) VALUES "
            "('alice-gh', 'a', 't', true), ('bob', 'b', 't', true)"
        )
        await b.post("github", "pull_request__opened")
        # Claimed by a live session that never answers (a frozen process), leased 15 s.
        other = store.Owner(b.worker.db.url)
        key = await other.ensure()
        now = b.clock()
        lease = now + timedelta(seconds=b.worker.policy.lease)
        async with b.worker.db.transaction() as conn:
            assert await store.claim(conn, now, lease, 50, key)
        b.clock.advance(14.9)
        await b.drain()
        assert route.call_count == 0
        b.clock.advance(0.2)
        await b.drain()
        assert route.call_count == 1 and await states(pg) == {"done"}
        await other.close()


async def test_a_stopped_worker_leaves_no_session_behind(bot: Bot, pg: asyncpg.Pool) -> None:
    await bot.drain()
    pid = bot.worker.owner.backend_pid()
    assert pid is not None
    await bot.worker.close()
    assert bot.worker.owner.backend_pid() is None
    await bot.drain()  # a new session (and key) is taken when needed
    assert bot.worker.owner.backend_pid() not in (None, pid)


async def test_a_hosts_backlog_goes_out_as_soon_as_it_is_back(
    bot: Bot, pg: asyncpg.Pool, github_api: respx.MockRouter
) -> None:
    down = {"on": True}

    def host(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503 if down["on"] else 201, json={})

    route = github_api.post(path__regex=PRS).mock(side_effect=host)
    for n in range(1, 11):
        await bot.post("github", "pull_request__opened", edit=numbered(n))
    await bot.drain()
    assert route.call_count == 10  # sent together, before anything was known to fail
    assert bot.worker.circuits["github"].state is State.OPEN
    circuit_open = "reviewbot_host_circuit_open"
    assert await _sample(bot.client, circuit_open, host="github") == 1
    for _ in range(80):  # a 20 s outage in 0.25 s steps: one probe at a time
        bot.clock.advance(0.25)
        await bot.drain()
    during = route.call_count - 10
    # One probe a second (ten rows each backing off alone asked ~40 times).
    assert 10 <= during <= 25, during
    assert await states(pg) == {"pending"}
    # Some rows had failed for long before: each alone would wait minutes for its turn.
    await pg.execute(
        "UPDATE outbox SET attempts = 9, next_attempt_at = $1"
        " WHERE split_part(pull_request_id, '#', 2)::int > 5",
        bot.clock() + timedelta(minutes=5),
    )
    down["on"] = False
    for _ in range(5):  # the next probe is due within 1 s; it releases every row at once
        bot.clock.advance(0.25)
        await bot.drain()
    assert await states(pg) == {"done"}
    assert bot.worker.circuits["github"].state is State.CLOSED
    assert await _sample(bot.client, circuit_open, host="github") == 0


async def test_a_rate_limit_holds_every_post_back_to_that_host(
    bot: Bot, pg: asyncpg.Pool, github_api: respx.MockRouter
) -> None:
    limited = {"on": True}

    def host(request: httpx.Request) -> httpx.Response:
        if limited["on"]:
            limited["on"] = False
            return httpx.Response(429, headers={"Retry-After": "60"}, json={})
        return httpx.Response(201, json={})

    route = github_api.post(path__regex=PRS).mock(side_effect=host)
    await bot.post("github", "pull_request__opened", edit=numbered(1))
    await bot.drain()
    await bot.post("github", "pull_request__opened", edit=numbered(2))
    bot.clock.advance(59)
    await bot.drain()
    assert route.call_count == 1  # the second PR waits for the host's minute too
    bot.clock.advance(1.5)
    await bot.drain()
    assert route.call_count == 3 and await states(pg) == {"done"}
