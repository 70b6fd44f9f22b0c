"""Malformed input: always 400 BAD_REQUEST in the envelope, naming the field; never a 500."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from tests.conftest import add_team, member

POST_CASES = [
    # (path, raw body, text the message must contain)
    ("/team/add", b"", "empty"),
    ("/team/add", b"{not json", "malformed JSON"),
    ("/team/add", b"[]", "object"),
    ("/team/add", b'"team"', "object"),
    ("/team/add", b'{"members": []}', "team_name"),
    ("/team/add", b'{"team_name": "t"}', "members"),
    ("/team/add", b'{"team_name": 5, "members": []}', "$.team_name"),
    ("/team/add", b'{"team_name": "", "members": []}', "$.team_name"),
    ("/team/add", b'{"team_name": "t", "members": {}}', "$.members"),
    ("/team/add", b'{"team_name": "t", "members": [{"user_id": "u", "username": "n"}]}',
     "is_active"),
    ("/team/add", b'{"team_name": "t", "members": [{"user_id": "u", "username": "n", '
                  b'"is_active": "yes"}]}', "$.members[0].is_active"),
    ("/team/add", b'{"team_name": "t", "members": [{"user_id": "u", "username": "n", '
                  b'"is_active": true}, {"user_id": "u", "username": "m", "is_active": true}]}',
     "more than once"),
    ("/users/setIsActive", b'{"user_id": "a"}', "is_active"),
    ("/users/setIsActive", b'{"user_id": null, "is_active": true}', "$.user_id"),
    ("/users/setIsActive", b'{"user_id": "a", "is_active": 1}', "$.is_active"),
    ("/pullRequest/create", b'{"pull_request_id": "p", "pull_request_name": "n"}', "author_id"),
    ("/pullRequest/create", b'{"pull_request_id": 1, "pull_request_name": "n", '
                            b'"author_id": "a"}', "$.pull_request_id"),
    ("/pullRequest/create", b'{"pull_request_id": "p", "pull_request_name": ["n"], '
                            b'"author_id": "a"}', "$.pull_request_name"),
    ("/pullRequest/merge", b"{}", "pull_request_id"),
    ("/pullRequest/merge", b'{"pull_request_id": true}', "$.pull_request_id"),
    ("/pullRequest/reassign", b'{"pull_request_id": "p"}', "old_user_id"),
    ("/pullRequest/reassign", b'{"old_user_id": "a"}', "pull_request_id"),
    ("/pullRequest/reassign", b'{"pull_request_id": "p", "old_user_id": 3}', "$.old_user_id"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "raw", "needle"), POST_CASES)
async def test_malformed_bodies(
    client: httpx.AsyncClient, pg: asyncpg.Pool, path: str, raw: bytes, needle: str
) -> None:
    await add_team(client, "seed", member("a"), member("b"))
    before = await _row_counts(pg)
    response = await client.post(path, content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "BAD_REQUEST"
    assert needle in error["message"], error["message"]
    assert await _row_counts(pg) == before


@pytest.mark.parametrize(
    ("path", "params", "needle"),
    [
        ("/team/get", {}, "team_name"),
        ("/team/get", {"team_name": ""}, "team_name"),
        ("/users/getReview", {}, "user_id"),
    ],
)
async def test_missing_query_parameters(
    client: httpx.AsyncClient, path: str, params: dict[str, str], needle: str
) -> None:
    response = await client.get(path, params=params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST"
    assert needle in response.json()["error"]["message"]


async def test_unknown_route_and_wrong_method_use_the_envelope(client: httpx.AsyncClient) -> None:
    missing = await client.get("/no/such/route")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "NOT_FOUND"
    wrong = await client.get("/team/add")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


async def test_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    huge = b'{"team_name": "' + b"x" * (2 << 20) + b'", "members": []}'
    response = await client.post("/team/add", content=huge)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_unknown_fields_are_ignored(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/team/add", json={"team_name": "t", "members": [], "colour": "blue"}
    )
    assert response.status_code == 201


async def _row_counts(pg: asyncpg.Pool) -> tuple[int, ...]:
    row = await pg.fetchrow(
        """SELECT (SELECT count(*) FROM teams), (SELECT count(*) FROM users),
                  (SELECT count(*) FROM pull_requests), (SELECT count(*) FROM pr_reviewers),
                  (SELECT count(*) FILTER (WHERE is_active) FROM users)"""
    )
    return tuple(row)


DEEP = b'{"ignored": ' + b"[" * 5_000 + b"]" * 5_000 + b"}"


async def test_deeply_nested_json_is_a_400_on_every_post_route(client: httpx.AsyncClient) -> None:
    posts = sorted({path for path, _, _ in POST_CASES} | {"/team/deactivate", "/outbox/retry"})
    for path in posts:
        response = await client.post(path, content=DEEP)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["error"] == {
            "code": "BAD_REQUEST",
            "message": "malformed JSON: nested too deeply",
        }
