"""POST /team/deactivate: replacements, removals, logging, notifications, cache."""

from __future__ import annotations

import random
from typing import Any

import asyncpg
import httpx

from bot.services.changes import ChangeFeed, Origin, ReviewerChange
from bot.services.chooser import Chooser
from bot.services.deactivation import Deactivations
from bot.services.teams import TeamDirectory
from config.settings import Settings
from store.cache import TeamCache
from store.db import Db
from tests.conftest import add_team, create_pr, member


async def deactivate(client: httpx.AsyncClient, team: str, ids: list[str] | None) -> Any:
    body: dict[str, Any] = {"team_name": team}
    if ids is not None:
        body["user_ids"] = ids
    response = await client.post("/team/deactivate", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def reviewers(client: httpx.AsyncClient, pr_id: str) -> list[str]:
    response = await client.get("/pullRequest/get", params={"pull_request_id": pr_id})
    assert response.status_code == 200, response.text
    found: list[str] = response.json()["pr"]["assigned_reviewers"]
    return found


async def test_reviews_move_to_active_teammates(
    client: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    await add_team(client, "core", *(member(u) for u in "abcdefg"))
    prs = [await create_pr(client, f"pr-{i}", "a") for i in range(6)]
    leaving = {"b", "c", "d"}
    result = await deactivate(client, "core", sorted(leaving))

    assert result["team_name"] == "core"
    assert result["deactivated"] == ["b", "c", "d"]
    expected = [
        (p["pull_request_id"], r) for p in prs for r in p["assigned_reviewers"] if r in leaving
    ]
    moves = result["reassignments"]
    assert sorted((m["pull_request_id"], m["old_reviewer"]) for m in moves) == sorted(expected)
    for pr in prs:
        now = await reviewers(client, pr["pull_request_id"])
        assert len(now) == len(set(now)) == len(pr["assigned_reviewers"])
        assert not set(now) & (leaving | {"a"})
        # Untouched reviewers keep their slot; a replacement takes the slot it replaces.
        for old, new in zip(pr["assigned_reviewers"], now, strict=True):
            assert new == old or old in leaving
    inactive = await pg.fetch("SELECT user_id FROM users WHERE NOT is_active ORDER BY user_id")
    assert [r["user_id"] for r in inactive] == ["b", "c", "d"]
    events = await pg.fetch(
        "SELECT kind, source, user_id, replaced_user_id FROM assignment_events"
        " WHERE source = 'deactivation'"
    )
    assert len(events) == len(expected)
    assert {(e["replaced_user_id"], e["kind"]) for e in events} <= {
        (u, "reassigned") for u in leaving
    }


async def test_reviewer_is_removed_when_nobody_is_left(client: httpx.AsyncClient) -> None:
    await add_team(client, "tiny", member("a"), member("b"), member("c"))
    pr = await create_pr(client, "pr-1", "a")
    assert sorted(pr["assigned_reviewers"]) == ["b", "c"]
    result = await deactivate(client, "tiny", ["b"])
    # c is already on the PR and a is the author: nobody can take b's place.
    assert result["reassignments"] == [
        {"pull_request_id": "pr-1", "old_reviewer": "b", "new_reviewer": None}
    ]
    assert await reviewers(client, "pr-1") == ["c"]


async def test_whole_team_when_user_ids_are_omitted(client: httpx.AsyncClient) -> None:
    await add_team(client, "core", member("a"), member("b"), member("c"), member("d", False))
    await create_pr(client, "pr-1", "a")
    result = await deactivate(client, "core", None)
    assert result["deactivated"] == ["a", "b", "c", "d"]
    assert {m["new_reviewer"] for m in result["reassignments"]} == {None}
    assert await reviewers(client, "pr-1") == []
    team = (await client.get("/team/get", params={"team_name": "core"})).json()
    assert [m["is_active"] for m in team["members"]] == [False] * 4


async def test_merged_and_other_prs_never_change(client: httpx.AsyncClient) -> None:
    await add_team(client, "core", *(member(u) for u in "abcde"))
    merged = await create_pr(client, "pr-merged", "a")
    await client.post("/pullRequest/merge", json={"pull_request_id": "pr-merged"})
    result = await deactivate(client, "core", merged["assigned_reviewers"])
    assert result["reassignments"] == []
    assert await reviewers(client, "pr-merged") == merged["assigned_reviewers"]


async def test_replacement_comes_from_the_reviewers_team(client: httpx.AsyncClient) -> None:
    await add_team(client, "web", member("a"), member("b"), member("c"), member("w"))
    await create_pr(client, "pr-1", "a")
    pr = await create_pr(client, "pr-2", "a")
    mover = pr["assigned_reviewers"][0]
    # The reviewer moves to another team; their reviews stay on pr-2.
    await add_team(client, "infra", member(mover), member("x"))
    result = await deactivate(client, "infra", [mover])
    moves = [m for m in result["reassignments"] if m["pull_request_id"] == "pr-2"]
    assert moves == [{"pull_request_id": "pr-2", "old_reviewer": mover, "new_reviewer": "x"}]


async def test_already_inactive_members_lose_their_open_reviews(
    client: httpx.AsyncClient,
) -> None:
    await add_team(client, "core", *(member(u) for u in "abcd"))
    pr = await create_pr(client, "pr-1", "a")
    gone = pr["assigned_reviewers"][0]
    await client.post("/users/setIsActive", json={"user_id": gone, "is_active": False})
    assert gone in await reviewers(client, "pr-1")  # the reference keeps their reviews
    result = await deactivate(client, "core", [gone])
    assert result["deactivated"] == [gone]
    assert gone not in await reviewers(client, "pr-1")


async def test_listeners_see_every_change_in_the_transaction(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await add_team(client, "core", *(member(u) for u in "abcdef"))
    for i in range(4):
        await create_pr(client, f"pr-{i}", "a")
    seen: list[tuple[ReviewerChange, bool]] = []

    async def listener(conn: Any, change: ReviewerChange) -> None:
        seen.append((change, conn.is_in_transaction()))

    changes = ChangeFeed()
    changes.subscribe(listener)
    assert settings.database_url is not None
    db = Db(settings.database_url, pool_size=2)
    await db.connect()
    cache = TeamCache.from_url(settings.redis_url, 1.0)
    directory = TeamDirectory(db, cache)
    use_case = Deactivations(db, directory, Chooser(directory, random.Random(1)), changes)
    try:
        done = await use_case.deactivate("core", ["b", "c"])
    finally:
        await cache.close()
        await db.disconnect()
    by_pr: dict[str, ReviewerChange] = {c.pull_request_id: c for c, _ in seen}
    assert all(in_tx for _, in_tx in seen)
    assert len(by_pr) == len(seen) == len({m.pull_request_id for m in done.moves}) > 0
    assert {c.origin for c, _ in seen} == {Origin.DEACTIVATION}
    for move in done.moves:
        change = by_pr[move.pull_request_id]
        assert move.old_reviewer in change.removed
        assert move.new_reviewer in change.added


async def test_cached_team_is_refreshed_after_commit(client: httpx.AsyncClient) -> None:
    await add_team(client, "core", member("a"), member("b"), member("c"))
    for _ in range(2):  # the second read is served by the cache
        team = (await client.get("/team/get", params={"team_name": "core"})).json()
        assert all(m["is_active"] for m in team["members"])
    await deactivate(client, "core", ["b"])
    team = (await client.get("/team/get", params={"team_name": "core"})).json()
    assert {m["user_id"]: m["is_active"] for m in team["members"]} == {
        "a": True,
        "b": False,
        "c": True,
    }
    pr = await create_pr(client, "pr-1", "a")
    assert pr["assigned_reviewers"] == ["c"]


async def test_errors_write_nothing(client: httpx.AsyncClient, pg: asyncpg.Pool) -> None:
    await add_team(client, "core", member("a"), member("b"))
    await add_team(client, "other", member("x"))
    cases = [
        ({"team_name": "nope"}, 404, "NOT_FOUND"),
        ({"team_name": "core", "user_ids": ["b", "x"]}, 404, "NOT_FOUND"),
        ({"team_name": "core", "user_ids": ["ghost"]}, 404, "NOT_FOUND"),
        ({"team_name": "core", "user_ids": []}, 400, "BAD_REQUEST"),
        ({"team_name": "core", "user_ids": "b"}, 400, "BAD_REQUEST"),
        ({"user_ids": ["b"]}, 400, "BAD_REQUEST"),
    ]
    for body, status, code in cases:
        response = await client.post("/team/deactivate", json=body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["code"] == code
    active = await pg.fetchval("SELECT count(*) FROM users WHERE is_active")
    assert active == 3


async def test_statistics_count_deactivation_moves(client: httpx.AsyncClient) -> None:
    await add_team(client, "tiny", member("a"), member("b"), member("c"), member("d"))
    pr = await create_pr(client, "pr-1", "a")
    result = await deactivate(client, "tiny", pr["assigned_reviewers"])
    # Only d is left: one reviewer is replaced by d, the other removed.
    assert sorted(str(m["new_reviewer"]) for m in result["reassignments"]) == ["None", "d"]
    stats = (await client.get("/stats", params={"team_name": "tiny"})).json()
    away = {u["user_id"]: u["reassigned_away"] for u in stats["users"]}
    assert {u: away[u] for u in pr["assigned_reviewers"]} == dict.fromkeys(
        pr["assigned_reviewers"], 1
    )
    assert stats["pull_requests"] == [
        {"pull_request_id": "pr-1", "reassignments": 1, "removals": 1}
    ]


async def test_caps_and_load_see_earlier_replacements(
    client: httpx.AsyncClient, pg: asyncpg.Pool, redis_client: Any
) -> None:
    """The batch choice counts its own earlier replacements against caps and loads."""
    team = [f"m{i}" for i in range(10)]
    await add_team(client, "core", *(member(u) for u in team))
    for i in range(12):
        await create_pr(client, f"pr-{i}", team[i % 3])
    # Everyone may take exactly one more review; least_loaded reads load in the database.
    await pg.execute(
        """UPDATE users u SET max_open_reviews = (SELECT count(*) FROM pr_reviewers r
                                                   WHERE r.user_id = u.user_id) + 1""",
    )
    await pg.execute("UPDATE teams SET strategy = 'least_loaded'")
    await redis_client.flushdb()
    result = await deactivate(client, "core", team[3:6])
    added = [m["new_reviewer"] for m in result["reassignments"] if m["new_reviewer"]]
    assert added, result
    assert len(added) == len(set(added)), "someone got more than the one review allowed"
    over = await pg.fetchval(
        """SELECT count(*) FROM users u WHERE u.max_open_reviews <
             (SELECT count(*) FROM pr_reviewers r WHERE r.user_id = u.user_id)"""
    )
    assert over == 0
