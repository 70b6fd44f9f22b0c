"""``POST /pullRequest/create`` with the ``changed_files`` extension: the team files' rules
pick first, the author's team tops up, ``GET /pullRequest/explain`` names the rule."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import httpx

from bot.core.routing import Rule
from tests.conftest import add_team, member

RULES = [
    Rule("database", ("migrations/**", "**/*.sql"), team="dba"),
    Rule("docs", ("docs/",), members=("a", "w")),
    Rule("api-only", ("api/",), repos=("acme/api",), team="dba"),
]


async def _rules(pg: asyncpg.Pool, rules: list[Rule] = RULES) -> None:
    await pg.execute(
        """INSERT INTO routing_config (id, rules) VALUES (1, $1::jsonb)
           ON CONFLICT (id) DO UPDATE SET rules = EXCLUDED.rules""",
        json.dumps([r.as_json() for r in rules]),
    )


async def _teams(client: httpx.AsyncClient) -> None:
    await add_team(client, "core", member("a"), member("b"), member("c"))
    await add_team(client, "dba", member("d1"), member("d2"))
    await add_team(client, "writers", member("w"))


async def _create(client: httpx.AsyncClient, pr: str, files: Any) -> httpx.Response:
    body = {"pull_request_id": pr, "pull_request_name": "x", "author_id": "a"}
    if files is not None:
        body["changed_files"] = files
    return await client.post("/pullRequest/create", json=body)


async def _explain(client: httpx.AsyncClient, pr: str) -> dict[str, Any]:
    response = await client.get("/pullRequest/explain", params={"pull_request_id": pr})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_a_matched_rule_picks_first_and_the_team_tops_up(
    client: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    await _teams(client)
    await _rules(pg)
    response = await _create(client, "pr-1", ["migrations/0001.sql", "src/app.py"])
    assert response.status_code == 201, response.text
    first, second = response.json()["pr"]["assigned_reviewers"]
    assert first in {"d1", "d2"} and second in {"b", "c"}
    explained = await _explain(client, "pr-1")
    because = [e["explain"]["because"] for e in explained["assignments"]]
    assert because == [
        {"rule": "database", "file": "migrations/0001.sql", "files_matched": 1},
        {"team": "core"},
    ]
    assert explained["routing"] == {"files": 2, "notes": [], "at": explained["routing"]["at"]}


async def test_two_rules_fill_both_places_and_never_the_author(
    client: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    await _teams(client)
    await _rules(pg)
    response = await _create(client, "pr-2", ["db/x.sql", "docs/a.md", "api/x.py"])
    reviewers = response.json()["pr"]["assigned_reviewers"]
    assert reviewers[0] in {"d1", "d2"} and reviewers[1] == "w"  # 'a' wrote it
    # api-only names a repository: a REST PR has none, so it never applies here.
    assert len(reviewers) == 2


async def test_a_rule_whose_pool_has_nobody_eligible_is_skipped_with_the_reason(
    client: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    await _teams(client)
    await _rules(pg)
    for user in ("d1", "d2"):
        await client.post("/users/setIsActive", json={"user_id": user, "is_active": False})
    response = await _create(client, "pr-3", ["migrations/1.sql"])
    assert response.status_code == 201
    assert sorted(response.json()["pr"]["assigned_reviewers"]) == ["b", "c"]
    notes = (await _explain(client, "pr-3"))["routing"]["notes"]
    assert notes == ["database: skipped, nobody in its pool is eligible (d1 inactive, d2 inactive)"]


async def test_a_team_that_cannot_top_up_says_why(
    client: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    """Nobody assigned at all: the explanation still says why (the author, inactive)."""
    await _teams(client)
    await _rules(pg)
    for user in ("b", "c", "d1", "d2"):
        await client.post("/users/setIsActive", json={"user_id": user, "is_active": False})
    response = await _create(client, "pr-4", ["migrations/1.sql"])
    assert response.status_code == 201 and response.json()["pr"]["assigned_reviewers"] == []
    notes = (await _explain(client, "pr-4"))["routing"]["notes"]
    assert notes[-1].startswith("team ") and "nobody eligible to top up (" in notes[-1]
    assert "a author" in notes[-1] and "b inactive" in notes[-1] and "c inactive" in notes[-1]


async def test_without_changed_files_nothing_changes(
    client: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    await _teams(client)
    await _rules(pg)
    response = await _create(client, "pr-4", None)
    assert sorted(response.json()["pr"]["assigned_reviewers"]) == ["b", "c"]
    explained = await _explain(client, "pr-4")
    assert "routing" not in explained
    assert all("because" not in e["explain"] for e in explained["assignments"])


async def test_bad_changed_files_are_400_and_nothing_is_written(
    client: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    await _teams(client)
    for bad in ("a.sql", [1], [""], ["x"] * 3001):
        response = await _create(client, "pr-5", bad)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "BAD_REQUEST"
        assert "changed_files" in response.json()["error"]["message"]
    assert await pg.fetchval("SELECT count(*) FROM pull_requests") == 0


async def test_rules_wanting_more_than_two_the_first_in_file_order_win(
    client: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    await _teams(client)
    await _rules(
        pg,
        [
            Rule("docs", ("docs/",), members=("w",)),
            Rule("database", ("*.sql",), team="dba", reviewers=2),
        ],
    )
    response = await _create(client, "pr-6", ["docs/a.md", "b.sql"])
    reviewers = response.json()["pr"]["assigned_reviewers"]
    assert reviewers[0] == "w" and reviewers[1] in {"d1", "d2"} and len(reviewers) == 2
    explained = await _explain(client, "pr-6")
    assert [e["explain"]["because"].get("rule") for e in explained["assignments"]] == [
        "docs",
        "database",
    ]
    assert explained["routing"]["notes"] == ["database: 1 of 2 reviewers, a PR has at most 2"]
