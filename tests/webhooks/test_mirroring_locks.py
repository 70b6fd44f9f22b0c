"""Mirroring reviewers a human requested on the host locks them in id order, as every
other writer does (team/add, team files, bulk deactivation)."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from tests.conftest import wait_until_blocked
from tests.webhooks.conftest import Bot, reviewers

PR = "github:acme/widgets#7"


def _requested(*logins: str) -> Any:
    def edit(payload: dict[str, Any]) -> None:
        payload["pull_request"]["requested_reviewers"] = [{"login": x, "id": 1} for x in logins]

    return edit


async def test_requested_reviewers_in_reverse_id_order_do_not_deadlock_with_team_add(
    bot: Bot, pg: asyncpg.Pool
) -> None:
    async with pg.acquire() as writer:
        tx = writer.transaction()
        await tx.start()
        # What team/add does: lock its users in id order (bob first, then dave).
        await writer.execute("SELECT 1 FROM users WHERE user_id = 'bob' FOR UPDATE")
        delivery = asyncio.create_task(
            bot.post("github", "pull_request__opened", edit=_requested("dave", "bob"))
        )
        await wait_until_blocked(pg, "the delivery")
        await writer.execute("SELECT 1 FROM users WHERE user_id = 'dave' FOR UPDATE")
        await tx.commit()
    response = await delivery
    assert response.status_code == 200, response.text
    assert sorted(await reviewers(pg, PR)) == ["bob", "dave"]
