"""A reassign that waited for another one on the same PR must see that one's result.

Found by ``make perf``: under load two reassigns of one PR occasionally ended in a 500
(duplicate reviewer). In READ COMMITTED a statement reads with the snapshot taken when it
started; ``SELECT ... FOR UPDATE`` that waits for the PR lock still returned the reviewer
list as it was *before* the other reassign committed.
"""

from __future__ import annotations

import asyncio

import asyncpg
import httpx

from tests.conftest import add_team, create_pr, member, wait_until_blocked


async def test_reassign_waiting_on_the_pr_lock_sees_the_committed_reviewers(
    client: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    await add_team(client, "core", member("author"), member("a"), member("b"), member("c", False))
    pr = await create_pr(client, "pr-1", "author")
    assert sorted(pr["assigned_reviewers"]) == ["a", "b"]
    await client.post("/users/setIsActive", json={"user_id": "c", "is_active": True})

    async with pg.acquire() as other:
        tx = other.transaction()
        await tx.start()
        # Another reassign of pr-1 holds the PR lock and has replaced a with c.
        await other.execute("SELECT 1 FROM pull_requests WHERE pull_request_id = 'pr-1' FOR UPDATE")
        await other.execute(
            "UPDATE pr_reviewers SET user_id = 'c' WHERE pull_request_id = 'pr-1' AND user_id = 'a'"
        )
        ours = asyncio.create_task(
            client.post(
                "/pullRequest/reassign", json={"pull_request_id": "pr-1", "old_user_id": "b"}
            )
        )
        await wait_until_blocked(pg, "the reassign")
        await tx.commit()
    response = await ours

    # Reviewers are now c and b; replacing b may only pick a (c is already on the PR).
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["replaced_by"] == "a"
    assert sorted(body["pr"]["assigned_reviewers"]) == ["a", "c"]
