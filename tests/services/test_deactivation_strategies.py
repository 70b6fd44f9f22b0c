"""Bulk deactivation under each team's strategy, availability and caps (real PostgreSQL)."""

from __future__ import annotations

import asyncio
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bot.services.team_config import TeamConfigService
from tests.services.teams_support import apply_text, configs, open_pr
from tests.services.test_deactivation_concurrency import assert_invariants

__all__ = ["configs"]  # the fixture, imported for pytest


def _team(strategy: str, *members: str) -> str:
    listed = "".join(f"      - {m}\n" for m in members)
    return f"teams:\n  - name: t\n    strategy: {strategy}\n    members:\n{listed}"


async def _deactivate(client: httpx.AsyncClient, ids: list[str]) -> list[dict[str, Any]]:
    response = await client.post("/team/deactivate", json={"team_name": "t", "user_ids": ids})
    assert response.status_code == 200, response.text
    moves: list[dict[str, Any]] = response.json()["reassignments"]
    return moves


async def _reviewers(client: httpx.AsyncClient, pr_id: str) -> list[str]:
    response = await client.get("/pullRequest/get", params={"pull_request_id": pr_id})
    found: list[str] = response.json()["pr"]["assigned_reviewers"]
    return found


async def test_round_robin_queue_carries_on_through_a_deactivation(
    client: httpx.AsyncClient, configs: TeamConfigService, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    members = [f"{{id: {u}}}" for u in "abcdefg"]
    await apply_text(configs, tmp_path, _team("round_robin", *members))
    picked = [await open_pr(client, f"p{i}", "a") for i in range(3)]
    assert picked == [["b", "c"], ["d", "e"], ["f", "g"]]  # turns 1..6
    moves = await _deactivate(client, ["b", "c"])
    # The oldest turns among those free for p0 (not a, b, c): d and e, stamped 7 and 8.
    assert {(m["old_reviewer"], m["new_reviewer"]) for m in moves} == {("b", "d"), ("c", "e")}
    assert await _reviewers(client, "p0") == ["d", "e"]
    assert await pg.fetchval("SELECT rr_cursor FROM teams WHERE team_name = 't'") == 8
    # f and g now have the oldest turns: the queue goes on where the batch left it.
    assert await open_pr(client, "next", "a") == ["f", "g"]


async def test_a_member_being_changed_is_skipped_not_waited_for(
    client: httpx.AsyncClient, configs: TeamConfigService, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    members = [f"{{id: {u}}}" for u in "abcde"]
    await apply_text(configs, tmp_path, _team("round_robin", *members))
    assert await open_pr(client, "p", "a") == ["b", "c"]
    async with pg.acquire() as writer, writer.transaction():
        # d is next in the queue, but another writer holds d's row.
        await writer.execute("SELECT 1 FROM users WHERE user_id = 'd' FOR UPDATE")
        moves = await asyncio.wait_for(_deactivate(client, ["b"]), timeout=30)
    assert moves == [{"pull_request_id": "p", "old_reviewer": "b", "new_reviewer": "e"}]
    shown = await client.get("/pullRequest/explain", params={"pull_request_id": "p"})
    (event,) = [e for e in shown.json()["assignments"] if e["source"] == "deactivation"]
    assert {"user_id": "d", "reason": "unavailable"} in event["explain"]["skipped"]


async def test_away_and_capped_members_never_take_over(
    client: httpx.AsyncClient, configs: TeamConfigService, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    soon = date.today() + timedelta(days=3)
    members = ["{id: author}", "{id: l1}", "{id: l2}", "{id: l3}", "{id: free}"]
    members += [f"{{id: away, away_until: {soon}}}", "{id: capped, max_open_reviews: 2}"]
    await apply_text(configs, tmp_path, _team("random", *members))
    for i in range(12):
        await open_pr(client, f"p{i}", "author")
    moves = await _deactivate(client, ["l1", "l2", "l3"])
    assert moves
    added = {m["new_reviewer"] for m in moves}
    assert added <= {"free", "capped", None}, moves
    capped = await pg.fetchval(
        """SELECT count(*) FROM pr_reviewers r JOIN pull_requests p USING (pull_request_id)
            WHERE r.user_id = 'capped' AND p.status = 'OPEN'"""
    )
    assert capped <= 2
    await assert_invariants(pg)


async def test_every_deactivation_event_explains_itself(
    client: httpx.AsyncClient, configs: TeamConfigService, tmp_path: Path
) -> None:
    await apply_text(configs, tmp_path, _team("least_loaded", *(f"{{id: {u}}}" for u in "abcd")))
    before = await open_pr(client, "p", "a")
    (left,) = {"b", "c", "d"} - set(before)
    moves = await _deactivate(client, before)
    # Only one member is left: one reviewer is replaced by them, the other removed.
    assert sorted(str(m["new_reviewer"]) for m in moves) == sorted(["None", left])
    shown = await client.get("/pullRequest/explain", params={"pull_request_id": "p"})
    events = [e for e in shown.json()["assignments"] if e["source"] == "deactivation"]
    assert sorted((e["kind"], e["replaced_user_id"]) for e in events) == sorted(
        [("reassigned", m["old_reviewer"]) for m in moves if m["new_reviewer"]]
        + [("removed", m["old_reviewer"]) for m in moves if not m["new_reviewer"]]
    )
    for event in events:
        explain = event["explain"]
        assert explain["strategy"] == "least_loaded" and explain["chosen"] == [left]
        assert explain["count"] == 2 and explain["considered"] == 1
        assert explain["candidates"] == [{"user_id": left, "open_reviews": 0}]
        skipped = {(s["user_id"], s["reason"]) for s in explain["skipped"]}
        assert {("a", "author"), *((u, "replaced") for u in before)} <= skipped


async def test_deactivation_racing_creates_in_a_capped_least_loaded_team(
    client: httpx.AsyncClient, configs: TeamConfigService, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    rng = random.Random(3)
    ids = [f"u{i:02d}" for i in range(12)]
    members = [f"{{id: {u}, max_open_reviews: 5}}" for u in ids]
    await apply_text(configs, tmp_path, _team("least_loaded", *members))
    for i in range(16):
        await open_pr(client, f"old-{i}", rng.choice(ids))
    leaving = sorted(rng.sample(ids, 4))

    async def create(i: int) -> None:
        body = {"pull_request_id": f"new-{i}", "pull_request_name": "x", "author_id": ids[i]}
        response = await client.post("/pullRequest/create", json=body)
        assert response.status_code < 500, response.text

    work = [create(i) for i in range(len(ids))]
    work.insert(6, _deactivate(client, leaving))
    await asyncio.gather(*work)
    await assert_invariants(pg)
    over = await pg.fetchval(
        """SELECT count(*) FROM (SELECT r.user_id FROM pr_reviewers r
                                   JOIN pull_requests p USING (pull_request_id)
                                  WHERE p.status = 'OPEN' GROUP BY r.user_id
                                 HAVING count(*) > 5) o"""
    )
    assert over == 0


async def test_round_robin_cursor_loses_no_turn_when_racing_creates_and_reassigns(
    client: httpx.AsyncClient, configs: TeamConfigService, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    rng = random.Random(8)
    ids = [f"u{i:02d}" for i in range(10)]
    await apply_text(configs, tmp_path, _team("round_robin", *(f"{{id: {u}}}" for u in ids)))
    existing = {f"old-{i}": await open_pr(client, f"old-{i}", rng.choice(ids)) for i in range(10)}

    async def create(i: int) -> None:
        body = {"pull_request_id": f"new-{i}", "pull_request_name": "x", "author_id": ids[i]}
        assert (await client.post("/pullRequest/create", json=body)).status_code == 201

    async def reassign(pr_id: str, old: str) -> None:
        body = {"pull_request_id": pr_id, "old_user_id": old}
        response = await client.post("/pullRequest/reassign", json=body)
        assert response.status_code < 500, response.text

    work = [create(i) for i in range(8)]
    work += [reassign(pr_id, reviewers[0]) for pr_id, reviewers in existing.items()]
    work.insert(5, _deactivate(client, sorted(rng.sample(ids, 3))))
    await asyncio.gather(*work)
    await assert_invariants(pg)
    # Every pick on every path takes one turn of the cursor: none lost, none repeated.
    picks = await pg.fetchval("SELECT count(*) FROM assignment_events WHERE user_id IS NOT NULL")
    cursor = await pg.fetchval("SELECT rr_cursor FROM teams WHERE team_name = 't'")
    assert cursor == picks
    last = await pg.fetchval("SELECT max(rr_turn) FROM users WHERE team_name = 't'")
    assert last == cursor
