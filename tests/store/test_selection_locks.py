"""A statement that waited for a row lock reads other tables as of its own start.

Choosing reviewers locks the chosen users' rows; when that waited for a writer (a team
file apply marking them away), what the choice reads from other tables (away periods)
must be what that writer committed, not what was there before.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from tests.conftest import add_team, member, wait_until_blocked


async def test_members_marked_away_while_a_create_waits_for_them_are_not_assigned(
    client: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    await add_team(client, "t", member("a"), member("b"), member("c"))
    until = datetime.now(UTC).date() + timedelta(days=10)
    async with pg.acquire() as writer:
        tx = writer.transaction()
        await tx.start()
        # What a team file apply does: rewrite the member rows, then their away periods.
        await writer.execute("UPDATE users SET updated_at = now() WHERE user_id IN ('b', 'c')")
        await writer.execute(
            """INSERT INTO user_away (user_id, first_day, last_day)
               VALUES ('b', NULL, $1), ('c', NULL, $1)""",
            until,
        )
        create = asyncio.create_task(
            client.post(
                "/pullRequest/create",
                json={"pull_request_id": "p1", "pull_request_name": "x", "author_id": "a"},
            )
        )
        await wait_until_blocked(pg, "the create")
        await tx.commit()
    response = await create
    assert response.status_code == 201, response.text
    assert response.json()["pr"]["assigned_reviewers"] == []


def test_row_versions_newer_than_the_snapshot() -> None:
    from store.selection import newer_than_snapshot

    assert newer_than_snapshot(100, "90:100:")  # at xmax: began after the snapshot
    assert newer_than_snapshot(95, "90:100:93,95")  # in progress at the snapshot
    assert not newer_than_snapshot(94, "90:100:93,95")
    assert not newer_than_snapshot(50, "90:100:")
    # 64-bit ids in the snapshot, 32-bit xmin on the row, across a wraparound.
    assert not newer_than_snapshot(3, f"{(1 << 32) + 1}:{(1 << 32) + 5}:")
    assert newer_than_snapshot(7, f"{(1 << 32) + 1}:{(1 << 32) + 5}:")
    assert not newer_than_snapshot((1 << 32) - 10, f"{(1 << 32) + 1}:{(1 << 32) + 5}:")
