"""GET /stats: per user, per team and per PR, with team and time-window filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from tests.conftest import add_team, create_pr, member


async def _stats(client: httpx.AsyncClient, **query: Any) -> dict[str, Any]:
    response = await client.get("/stats", params=query)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _arrange(client: httpx.AsyncClient) -> None:
    await add_team(client, "core", member("a"), member("b"), member("c"), member("d"))
    await add_team(client, "web", member("w"), member("x"), member("y"))
    pr1 = await create_pr(client, "pr-1", "a")
    await create_pr(client, "pr-2", "a")
    await create_pr(client, "pr-w", "w")
    old = pr1["assigned_reviewers"][0]
    response = await client.post(
        "/pullRequest/reassign", json={"pull_request_id": "pr-1", "old_user_id": old}
    )
    assert response.status_code == 200
    await client.post("/pullRequest/merge", json={"pull_request_id": "pr-2"})


async def test_counts_add_up(client: httpx.AsyncClient, pg: asyncpg.Pool) -> None:
    await _arrange(client)
    stats = await _stats(client)
    users = {u["user_id"]: u for u in stats["users"]}
    assert set(users) == set("abcdwxy")
    reviewers = await pg.fetch(
        "SELECT r.user_id, p.status FROM pr_reviewers r JOIN pull_requests p USING "
        "(pull_request_id)"
    )
    for uid, u in users.items():
        assert u["open_reviews"] == sum(
            1 for r in reviewers if r["user_id"] == uid and r["status"] == "OPEN"
        )
        assert u["merged_reviews"] == sum(
            1 for r in reviewers if r["user_id"] == uid and r["status"] == "MERGED"
        )
    # 2 + 2 (core creates) + 1 (the reassignment) and 2 on the web PR
    assert sum(users[u]["assignments"] for u in "abcd") == 5
    assert sum(users[u]["reassigned_away"] for u in "abcd") == 1
    assert users["a"]["assignments"] == 0 and users["a"]["open_reviews"] == 0
    teams = {t["team_name"]: t for t in stats["teams"]}
    assert teams["core"]["members"] == 4 and teams["core"]["active_members"] == 4
    assert teams["core"]["pull_requests_created"] == 2
    assert teams["core"]["assignments"] == 5 and teams["web"]["assignments"] == 2
    assert teams["core"]["merged_reviews"] == 2
    assert stats["pull_requests"] == [
        {"pull_request_id": "pr-1", "reassignments": 1, "removals": 0}
    ]


async def test_team_filter(client: httpx.AsyncClient) -> None:
    await _arrange(client)
    stats = await _stats(client, team_name="web")
    assert {u["user_id"] for u in stats["users"]} == {"w", "x", "y"}
    assert [t["team_name"] for t in stats["teams"]] == ["web"]
    assert stats["pull_requests"] == []
    missing = await client.get("/stats", params={"team_name": "nope"})
    assert missing.status_code == 404


async def test_time_window(client: httpx.AsyncClient, pg: asyncpg.Pool) -> None:
    await _arrange(client)
    # Move everything that happened so far a week into the past.
    week = timedelta(days=7)
    await pg.execute("UPDATE assignment_events SET at = at - $1::interval", week)
    await pg.execute(
        "UPDATE pull_requests SET created_at = created_at - $1::interval,"
        " merged_at = merged_at - $1::interval",
        week,
    )
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    recent = await _stats(client, since=since)
    assert sum(u["assignments"] for u in recent["users"]) == 0
    assert sum(u["merged_reviews"] for u in recent["users"]) == 0
    assert sum(u["open_reviews"] for u in recent["users"]) == 4  # open is always "now"
    assert recent["pull_requests"] == []
    assert recent["since"] is not None
    until = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    older = await _stats(client, until=until)
    assert sum(u["assignments"] for u in older["users"]) == 7
    assert older["pull_requests"][0]["pull_request_id"] == "pr-1"


async def test_bad_stats_parameters(client: httpx.AsyncClient) -> None:
    for query in (
        {"since": "yesterday"},
        {"since": "2024-01-01T00:00:00"},  # no offset
        {"since": "2024-02-01T00:00:00Z", "until": "2024-01-01T00:00:00Z"},
        {"pr_limit": "0"},
    ):
        response = await client.get("/stats", params=query)
        assert response.status_code == 400, query
