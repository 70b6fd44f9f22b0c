"""Review requests follow every reviewer change of a statement (migration 0014 tracks them
per statement): bulk moves, removals, and updates that change no reviewer."""

from __future__ import annotations

import asyncpg
import httpx

from tests.conftest import add_team, create_pr, member


async def requests(pg: asyncpg.Pool) -> dict[tuple[str, str], bool]:
    """(PR, reviewer) -> whether the request is still open."""
    rows = await pg.fetch("SELECT pull_request_id, user_id, ended_at FROM review_requests")
    return {(r["pull_request_id"], r["user_id"]): r["ended_at"] is None for r in rows}


async def test_a_bulk_move_ends_every_old_request_and_starts_every_new_one(
    client: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    await add_team(client, "core", *(member(u) for u in "abcdefgh"))
    prs = [await create_pr(client, f"pr-{i}", "a") for i in range(8)]
    before = {(p["pull_request_id"], r) for p in prs for r in p["assigned_reviewers"]}
    assert await requests(pg) == dict.fromkeys(before, True)

    response = await client.post(
        "/team/deactivate", json={"team_name": "core", "user_ids": ["b", "c", "d"]}
    )
    assert response.status_code == 200, response.text
    moves = response.json()["reassignments"]
    assert moves  # eight PRs of two reviewers among seven: b, c or d review some

    rows = await pg.fetch("SELECT pull_request_id, user_id FROM pr_reviewers")
    now = {(r["pull_request_id"], r["user_id"]) for r in rows}
    found = await requests(pg)
    assert {k for k, open_ in found.items() if open_} == now
    assert {k for k, open_ in found.items() if not open_} == before - now
    for move in moves:
        assert found[(move["pull_request_id"], move["old_reviewer"])] is False
        if move["new_reviewer"] is not None:
            assert found[(move["pull_request_id"], move["new_reviewer"])] is True


async def test_a_reviewer_put_back_starts_a_fresh_request(
    client: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    await add_team(client, "core", member("a"), member("b"))
    await create_pr(client, "pr-1", "a")
    await pg.execute("UPDATE review_requests SET first_responded_at = now()")
    await pg.execute("DELETE FROM pr_reviewers WHERE pull_request_id = 'pr-1'")
    assert await requests(pg) == {("pr-1", "b"): False}
    await pg.execute(
        "INSERT INTO pr_reviewers (pull_request_id, user_id, slot) VALUES ('pr-1', 'b', 0)"
    )
    row = await pg.fetchrow("SELECT ended_at, first_responded_at, due_at FROM review_requests")
    assert row is not None
    assert row["ended_at"] is None and row["first_responded_at"] is None
    assert row["due_at"] is not None


async def test_an_update_that_changes_no_reviewer_leaves_the_requests(
    client: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    await add_team(client, "core", *(member(u) for u in "abc"))
    await create_pr(client, "pr-1", "a")
    before = await pg.fetch("SELECT * FROM review_requests ORDER BY user_id")
    await pg.execute("UPDATE pr_reviewers SET assigned_at = now(), pr_open = false")
    assert await pg.fetch("SELECT * FROM review_requests ORDER BY user_id") == before
