"""Strategies, availability, capacity and explain, end to end on real PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import httpx

from bot.services.team_config import TeamConfigService
from tests.conftest import AppFactory
from tests.services.teams_support import apply_text, chooser_for, configs, open_pr

__all__ = ["configs"]  # the fixture, imported for pytest


def _team(name: str, strategy: str, *members: str, reviewers: int = 2) -> str:
    listed = "".join(f"      - {m}\n" for m in members)
    head = f"  - name: {name}\n    strategy: {strategy}\n    reviewers: {reviewers}\n"
    return f"{head}    members:\n{listed}"


async def _in_batches(client: httpx.AsyncClient, author: str, total: int, batch: int) -> None:
    for start in range(0, total, batch):
        await asyncio.gather(
            *(open_pr(client, f"pr-{i}", author) for i in range(start, start + batch))
        )


async def _review_counts(pg: asyncpg.Pool, *, open_only: bool = False) -> Counter[str]:
    rows = await pg.fetch(
        """SELECT r.user_id, count(*) AS n FROM pr_reviewers r
             JOIN pull_requests p USING (pull_request_id)
            WHERE NOT $1 OR p.status = 'OPEN' GROUP BY r.user_id""",
        open_only,
    )
    return Counter({r["user_id"]: r["n"] for r in rows})


async def test_round_robin_is_fair_over_1000_concurrent_prs(
    client: httpx.AsyncClient, configs: TeamConfigService, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    members = ["{id: author}", *(f"{{id: m{i}}}" for i in range(7))]
    await apply_text(configs, tmp_path, "teams:\n" + _team("rr", "round_robin", *members))
    await _in_batches(client, "author", 1000, 10)
    counts = await _review_counts(pg)
    assert sum(counts.values()) == 2000 and "author" not in counts
    assert len(counts) == 7
    assert max(counts.values()) - min(counts.values()) <= 1, counts
    cursor = await pg.fetchval("SELECT rr_cursor FROM teams WHERE team_name = 'rr'")
    assert cursor == 2000


async def test_least_loaded_keeps_open_load_within_one(
    client: httpx.AsyncClient, configs: TeamConfigService, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    members = ["{id: author}", *(f"{{id: m{i}}}" for i in range(5))]
    await apply_text(configs, tmp_path, "teams:\n" + _team("ll", "least_loaded", *members))
    for batch in range(10):
        await asyncio.gather(*(open_pr(client, f"b{batch}-{i}", "author") for i in range(5)))
        counts = await _review_counts(pg, open_only=True)
        assert max(counts.values()) - min(counts.values()) <= 1, counts
    # Merging m0's reviews leaves m0 far behind; the next picks all go to m0 first.
    await pg.execute(
        """UPDATE pull_requests SET status = 'MERGED', merged_at = now()
            WHERE pull_request_id IN (SELECT pull_request_id FROM pr_reviewers
                                       WHERE user_id = 'm0')"""
    )
    behind = (await _review_counts(pg, open_only=True))["m0"]
    assert behind == 0
    for i in range(10):
        chosen = await open_pr(client, f"late-{i}", "author")
        assert "m0" in chosen or (await _review_counts(pg, open_only=True))["m0"] >= 9


async def test_away_and_capped_members_are_never_chosen_on_any_path(
    client: httpx.AsyncClient, configs: TeamConfigService, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    today = date.today()
    text = "teams:\n" + _team(
        "t",
        "random",
        "{id: author}",
        f"{{id: away1, away_until: {today + timedelta(days=1)}}}",
        f"{{id: away2, away: [{{from: {today - timedelta(days=2)}, to: {today}}}]}}",
        f"{{id: back, away_until: {today - timedelta(days=1)}}}",
        "{id: capped, max_open_reviews: 1}",
        "{id: free}",
    )
    await apply_text(configs, tmp_path, text)
    chosen: Counter[str] = Counter()
    prs = {}
    for i in range(30):
        prs[f"c-{i}"] = await open_pr(client, f"c-{i}", "author")
        chosen.update(prs[f"c-{i}"])
    assert set(chosen) == {"back", "capped", "free"}
    assert chosen["capped"] == 1, "capped at one open review"

    # Reassign: capped is full and the others are away: no one can replace "free" here...
    with_back = next(p for p, r in prs.items() if sorted(r) == ["back", "free"])
    full = await client.post(
        "/pullRequest/reassign", json={"pull_request_id": with_back, "old_user_id": "free"}
    )
    assert full.status_code == 409 and full.json()["error"]["code"] == "NO_CANDIDATE"
    # ...and on capped's PR, the one who is not reviewing it yet is the only choice.
    capped_pr = next(p for p, r in prs.items() if "capped" in r)
    (other,) = set(prs[capped_pr]) - {"capped"}
    response = await client.post(
        "/pullRequest/reassign", json={"pull_request_id": capped_pr, "old_user_id": other}
    )
    assert response.json()["replaced_by"] == ({"back", "free"} - {other}).pop(), response.text

    # Any other path (webhooks, bulk deactivation) goes through choose_and_lock.
    chooser = chooser_for(configs)
    async with configs.db.transaction() as conn:
        for _ in range(20):
            picked = await chooser.choose_and_lock(conn, "t", exclude={"author"}, count=2)
            assert set(picked) <= {"back", "free"}

    # Merging the capped member's review frees a slot.
    merged = await client.post("/pullRequest/merge", json={"pull_request_id": capped_pr})
    assert merged.status_code == 200
    later: Counter[str] = Counter()
    for i in range(10):
        later.update(await open_pr(client, f"later-{i}", "author"))
    assert later["capped"] == 1


async def test_explain_is_recorded_and_shown(
    client: httpx.AsyncClient, configs: TeamConfigService, tmp_path: Path
) -> None:
    text = "teams:\n" + _team(
        "t",
        "round_robin",
        "{id: author}",
        "{id: a}",
        "{id: b}",
        "{id: c}",
        "{id: offline, active: false}",
        "{id: gone, away_until: 2999-01-01}",
    )
    await apply_text(configs, tmp_path, text)
    assert await open_pr(client, "p", "author") == ["a", "b"]
    response = await client.post(
        "/pullRequest/reassign", json={"pull_request_id": "p", "old_user_id": "a"}
    )
    assert response.json()["replaced_by"] == "c"
    shown = await client.get("/pullRequest/explain", params={"pull_request_id": "p"})
    assert shown.status_code == 200
    events = shown.json()["assignments"]
    assert [(e["kind"], e["user_id"]) for e in events] == [
        ("assigned", "a"),
        ("assigned", "b"),
        ("reassigned", "c"),
    ]
    first = events[0]["explain"]
    assert first["strategy"] == "round_robin" and first["chosen"] == ["a", "b"]
    assert {"user_id": "author", "reason": "author"} in first["skipped"]
    assert {"user_id": "offline", "reason": "inactive"} in first["skipped"]
    assert {"user_id": "gone", "reason": "away"} in first["skipped"]
    assert {c["user_id"] for c in first["candidates"]} == {"a", "b", "c"}
    last = events[2]["explain"]
    assert last["chosen"] == ["c"]
    assert {"user_id": "a", "reason": "replaced"} in last["skipped"]
    assert {"user_id": "b", "reason": "already_reviewing"} in last["skipped"]
    missing = await client.get("/pullRequest/explain", params={"pull_request_id": "nope"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND"
    bad = await client.get("/pullRequest/explain")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "BAD_REQUEST"


async def test_random_path_rechecks_availability_under_lock(
    client: httpx.AsyncClient, configs: TeamConfigService, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    """The cached team says 'available'; the database (changed behind the cache) says away."""
    await apply_text(configs, tmp_path, "teams:\n" + _team("t", "random", "{id: a}", "{id: b}"))
    await open_pr(client, "warm", "a")  # the team is now cached
    await pg.execute("INSERT INTO user_away (user_id, last_day) VALUES ('b', '2999-01-01')")
    assert await open_pr(client, "after", "a") == []
    shown = await client.get("/pullRequest/explain", params={"pull_request_id": "warm"})
    assert shown.json()["assignments"][0]["explain"]["strategy"] == "random"


async def test_team_reviewer_count_is_used_on_create(
    client: httpx.AsyncClient, configs: TeamConfigService, tmp_path: Path
) -> None:
    text = "teams:\n" + _team("one", "random", "{id: a}", "{id: b}", "{id: c}", reviewers=1)
    text += _team("none", "least_loaded", "{id: x}", "{id: y}", reviewers=0)
    await apply_text(configs, tmp_path, text)
    assert len(await open_pr(client, "p1", "a")) == 1
    assert await open_pr(client, "p2", "x") == []
    # Other paths (webhooks) ask for "the team's number" with count=None.
    chooser = chooser_for(configs)
    async with configs.db.transaction() as conn:
        assert len(await chooser.choose_and_lock(conn, "one", exclude={"a"}, count=None)) == 1
        assert len(await chooser.choose_and_lock(conn, "one", exclude={"a"}, count=2)) == 2
        assert await chooser.choose_and_lock(conn, "none", exclude=set(), count=None) == []


async def test_selection_seed_makes_choices_reproducible(
    make_client: AppFactory, pg: asyncpg.Pool, redis_client: object
) -> None:
    runs = []
    for _ in range(2):
        await pg.execute("TRUNCATE teams, users, pull_requests CASCADE")
        async with make_client(selection_seed=99) as client:
            members = [{"user_id": u, "username": u, "is_active": True} for u in "abcdef"]
            await client.post("/team/add", json={"team_name": "t", "members": members})
            runs.append([await open_pr(client, f"p{i}", "a") for i in range(10)])
    assert runs[0] == runs[1]


async def test_a_member_being_changed_is_skipped_not_waited_for(
    client: httpx.AsyncClient, configs: TeamConfigService, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    """E.g. a bulk deactivation holding b's row while it picks replacements in this team."""
    members = ["{id: author}", "{id: a}", "{id: b}", "{id: c}"]
    await apply_text(configs, tmp_path, "teams:\n" + _team("t", "round_robin", *members))
    async with pg.acquire() as writer, writer.transaction():
        await writer.execute("SELECT 1 FROM users WHERE user_id = 'b' FOR UPDATE")
        chosen = await asyncio.wait_for(open_pr(client, "p", "author"), timeout=30)
        assert chosen == ["a", "c"]
    shown = await client.get("/pullRequest/explain", params={"pull_request_id": "p"})
    explain = shown.json()["assignments"][0]["explain"]
    assert {"user_id": "b", "reason": "unavailable"} in explain["skipped"]
