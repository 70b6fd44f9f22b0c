"""CONTRACT §1: /team/add, /team/get, /users/setIsActive, /users/getReview."""

from __future__ import annotations

import asyncpg
import httpx

from tests.conftest import add_team, create_pr, member


async def test_team_add_returns_the_team_wrapped(client: httpx.AsyncClient) -> None:
    body = {"team_name": "core", "members": [member("a"), member("b", False)]}
    response = await client.post("/team/add", json=body)
    assert response.status_code == 201
    assert response.json() == {"team": body}


async def test_team_add_twice_is_team_exists(client: httpx.AsyncClient) -> None:
    await add_team(client, "core", member("a"))
    response = await client.post("/team/add", json={"team_name": "core", "members": []})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "TEAM_EXISTS"


async def test_team_add_moves_listed_users_and_updates_them(client: httpx.AsyncClient) -> None:
    await add_team(client, "old", member("a"), member("b"))
    await add_team(client, "new", member("a", False, username="renamed"))
    old = (await client.get("/team/get", params={"team_name": "old"})).json()
    new = (await client.get("/team/get", params={"team_name": "new"})).json()
    assert [m["user_id"] for m in old["members"]] == ["b"]
    assert new["members"] == [{"user_id": "a", "username": "renamed", "is_active": False}]


async def test_team_get_unwrapped_and_not_found(client: httpx.AsyncClient) -> None:
    await add_team(client, "core", member("a"))
    ok = await client.get("/team/get", params={"team_name": "core"})
    assert ok.status_code == 200
    assert ok.json() == {"team_name": "core", "members": [member("a")]}
    missing = await client.get("/team/get", params={"team_name": "nope"})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "NOT_FOUND"


async def test_set_is_active(client: httpx.AsyncClient) -> None:
    await add_team(client, "core", member("a"))
    response = await client.post("/users/setIsActive", json={"user_id": "a", "is_active": False})
    assert response.status_code == 200
    assert response.json() == {
        "user": {"user_id": "a", "username": "name-a", "team_name": "core", "is_active": False}
    }
    missing = await client.post("/users/setIsActive", json={"user_id": "zz", "is_active": True})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "NOT_FOUND"


async def test_get_review_lists_prs_under_review(client: httpx.AsyncClient) -> None:
    await add_team(client, "core", member("a"), member("b"))
    none_yet = await client.get("/users/getReview", params={"user_id": "b"})
    assert none_yet.status_code == 200
    assert none_yet.json() == {"user_id": "b", "pull_requests": []}
    await create_pr(client, "pr-1", "a", name="first")
    await create_pr(client, "pr-2", "a", name="second")
    await client.post("/pullRequest/merge", json={"pull_request_id": "pr-2"})
    found = (await client.get("/users/getReview", params={"user_id": "b"})).json()
    assert found == {
        "user_id": "b",
        "pull_requests": [
            {"pull_request_id": "pr-1", "pull_request_name": "first", "author_id": "a",
             "status": "OPEN"},
            {"pull_request_id": "pr-2", "pull_request_name": "second", "author_id": "a",
             "status": "MERGED"},
        ],
    }  # fmt: skip
    author = (await client.get("/users/getReview", params={"user_id": "a"})).json()
    assert author["pull_requests"] == []


async def test_get_review_unknown_user_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get("/users/getReview", params={"user_id": "ghost"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


async def test_failed_team_add_writes_nothing(client: httpx.AsyncClient, pg: asyncpg.Pool) -> None:
    await add_team(client, "core", member("a"))
    response = await client.post(
        "/team/add", json={"team_name": "core", "members": [member("b"), member("a", False)]}
    )
    assert response.status_code == 400
    assert await pg.fetchval("SELECT count(*) FROM users") == 1
    assert await pg.fetchval("SELECT is_active FROM users WHERE user_id = 'a'") is True
