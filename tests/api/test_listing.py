"""GET /team/list, /pullRequest/get and /pullRequest/list (filters and keyset pages)."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx

from tests.conftest import add_team, create_pr, member


async def _page(client: httpx.AsyncClient, **query: Any) -> dict[str, Any]:
    response = await client.get("/pullRequest/list", params=query)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _all_ids(client: httpx.AsyncClient, **query: Any) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        page = await _page(client, **query, **({"cursor": cursor} if cursor else {}))
        ids += [p["pull_request_id"] for p in page["pull_requests"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


async def test_team_list(client: httpx.AsyncClient) -> None:
    assert (await client.get("/team/list")).json() == {"teams": []}
    await add_team(client, "web", member("w2"), member("w1", False))
    await add_team(client, "api", member("a1"))
    await client.post("/team/add", json={"team_name": "empty", "members": []})
    teams = (await client.get("/team/list")).json()["teams"]
    assert [t["team_name"] for t in teams] == ["api", "empty", "web"]
    assert teams[1]["members"] == []
    assert [m["user_id"] for m in teams[2]["members"]] == ["w1", "w2"]
    assert teams[2]["members"][0] == {"user_id": "w1", "username": "name-w1", "is_active": False}


async def test_pull_request_get(client: httpx.AsyncClient) -> None:
    await add_team(client, "core", member("a"), member("b"))
    created = await create_pr(client, "pr-1", "a")
    response = await client.get("/pullRequest/get", params={"pull_request_id": "pr-1"})
    assert response.json() == {"pr": created}
    missing = await client.get("/pullRequest/get", params={"pull_request_id": "nope"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND"
    bad = await client.get("/pullRequest/get")
    assert bad.status_code == 400 and "pull_request_id" in bad.json()["error"]["message"]


async def test_filters(client: httpx.AsyncClient) -> None:
    await add_team(client, "core", member("a"), member("b"))
    await add_team(client, "web", member("w"), member("x"))
    await create_pr(client, "c1", "a")
    await create_pr(client, "c2", "b")
    await create_pr(client, "w1", "w")
    await client.post("/pullRequest/merge", json={"pull_request_id": "c2"})
    assert await _all_ids(client) == ["c1", "c2", "w1"]
    assert await _all_ids(client, status="MERGED") == ["c2"]
    assert await _all_ids(client, status="OPEN") == ["c1", "w1"]
    assert await _all_ids(client, team_name="web") == ["w1"]
    assert await _all_ids(client, reviewer_id="b") == ["c1"]
    assert await _all_ids(client, author_id="b") == ["c2"]
    assert await _all_ids(client, team_name="core", status="OPEN", reviewer_id="b") == ["c1"]
    assert await _all_ids(client, author_id="ghost") == []


async def test_pages_stay_correct_while_rows_are_added(
    client: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    await add_team(client, "core", member("a"), member("b"), member("c"))
    for i in range(7):
        await create_pr(client, f"pr-{i}", "a")
    # Two PRs share one creation time: the id breaks the tie, so neither is lost.
    await pg.execute(
        "UPDATE pull_requests SET created_at = (SELECT created_at FROM "
        "pull_requests WHERE pull_request_id = 'pr-2') WHERE pull_request_id = 'pr-3'"
    )
    seen: list[str] = []
    first = await _page(client, limit=3)
    seen += [p["pull_request_id"] for p in first["pull_requests"]]
    # Rows arrive between pages: later pages still continue exactly after the last row.
    await asyncio.gather(*(create_pr(client, f"new-{i}", "b") for i in range(4)))
    cursor = first["next_cursor"]
    while cursor:
        page = await _page(client, limit=3, cursor=cursor)
        seen += [p["pull_request_id"] for p in page["pull_requests"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 11
    assert seen[:7] == [f"pr-{i}" for i in range(7)]


async def test_bad_list_parameters(client: httpx.AsyncClient) -> None:
    for query in (
        {"status": "DRAFT"},
        {"limit": "0"},
        {"limit": "201"},
        {"limit": "ten"},
        {"cursor": "not-a-cursor"},
        {"team_name": ""},
    ):
        response = await client.get("/pullRequest/list", params=query)
        assert response.status_code == 400, query
        assert response.json()["error"]["code"] == "BAD_REQUEST"
