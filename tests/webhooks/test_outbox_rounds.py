"""A worker round claims and finishes on the worker's own session: post-backs go out while
requests hold every pooled connection, and every batch of a round is finished."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
import respx

from tests.webhooks.conftest import Bot

PRS = r"^/repos/acme/widgets/pulls/\d+/requested_reviewers$"


def numbered(n: int) -> Any:
    def edit(payload: dict[str, Any]) -> None:
        payload["number"] = payload["pull_request"]["number"] = n

    return edit


async def states(pg: asyncpg.Pool) -> list[str]:
    return [r["state"] for r in await pg.fetch("SELECT state FROM outbox ORDER BY id")]


async def test_post_backs_go_out_while_requests_hold_every_pooled_connection(
    bot: Bot, pg: asyncpg.Pool, github_api: respx.MockRouter
) -> None:
    route = github_api.post(path__regex=PRS).mock(return_value=httpx.Response(201, json={}))
    for n in range(1, 6):
        assert (
            await bot.post("github", "pull_request__opened", edit=numbered(n))
        ).status_code == 200
    db = bot.worker.db
    _, _, size = db.pool_use()
    release, all_held = asyncio.Event(), asyncio.Event()
    held = 0

    async def hold() -> None:
        nonlocal held
        async with db.connection():
            held += 1
            if held == size:
                all_held.set()
            await release.wait()

    holders = [asyncio.create_task(hold()) for _ in range(size)]
    try:
        await asyncio.wait_for(all_held.wait(), timeout=10)
        # Every pooled connection is taken: a round that needed one would wait forever.
        sent = await asyncio.wait_for(bot.drain(), timeout=10)
    finally:
        release.set()
        await asyncio.gather(*holders)
    assert route.call_count == 5  # one call per PR, its two reviewers together
    assert sent == 10 and await states(pg) == ["done"] * 10


async def test_one_round_finishes_every_batch_it_sent(
    bot: Bot, pg: asyncpg.Pool, github_api: respx.MockRouter
) -> None:
    answers = iter([201, 422, 201, 503, 201])

    def host(request: httpx.Request) -> httpx.Response:
        return httpx.Response(next(answers, 201), json={"message": "no"})

    github_api.post(path__regex=PRS).mock(side_effect=host)
    for n in range(1, 6):
        await bot.post("github", "pull_request__opened", edit=numbered(n))
    assert await bot.worker.run_once() == 10  # two reviewers of five PRs: a batch each
    rows = await pg.fetch("SELECT pull_request_id, state, lease_until FROM outbox ORDER BY id")
    by_state: dict[str, int] = {}
    for r in rows:
        by_state[r["state"]] = by_state.get(r["state"], 0) + 1
        if r["state"] != "pending":
            assert r["lease_until"] is None  # finished rows hold no lease
    assert by_state["done"] == 6  # the three PRs answered 201, finished in the same round
