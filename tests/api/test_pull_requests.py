"""CONTRACT §1: create, merge, reassign and the assignment rules 1-5."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import add_team, create_pr, member


async def _reassign(client: httpx.AsyncClient, pr: str, old: str, key: str = "old_user_id") -> Any:
    return await client.post("/pullRequest/reassign", json={"pull_request_id": pr, key: old})


async def test_create_returns_full_pr(client: httpx.AsyncClient) -> None:
    await add_team(client, "core", member("a"), member("b"), member("c"))
    response = await client.post(
        "/pullRequest/create",
        json={"pull_request_id": "pr-1", "pull_request_name": "Add x", "author_id": "a"},
    )
    assert response.status_code == 201
    pr = response.json()["pr"]
    assert pr["pull_request_id"] == "pr-1"
    assert pr["pull_request_name"] == "Add x"
    assert pr["author_id"] == "a"
    assert pr["status"] == "OPEN"
    assert sorted(pr["assigned_reviewers"]) == ["b", "c"]
    assert pr["createdAt"].endswith("Z") and "T" in pr["createdAt"]
    assert pr["mergedAt"] is None


async def test_create_picks_only_active_teammates_never_author(client: httpx.AsyncClient) -> None:
    await add_team(client, "core", *[member(f"c{i}") for i in range(6)], member("off", False))
    await add_team(client, "other", member("x"), member("y"))
    for i in range(40):
        pr = await create_pr(client, f"pr-{i}", "c0")
        reviewers = pr["assigned_reviewers"]
        assert len(reviewers) == 2 and len(set(reviewers)) == 2
        assert set(reviewers) <= {f"c{i}" for i in range(1, 6)}


async def test_create_with_one_or_no_candidate(client: httpx.AsyncClient) -> None:
    await add_team(client, "pair", member("a"), member("b"))
    await add_team(client, "solo", member("s"), member("s-off", False))
    assert (await create_pr(client, "pr-1", "a"))["assigned_reviewers"] == ["b"]
    assert (await create_pr(client, "pr-2", "s"))["assigned_reviewers"] == []


async def test_create_errors(client: httpx.AsyncClient) -> None:
    await add_team(client, "core", member("a"), member("b"))
    await create_pr(client, "pr-1", "a")
    again = await client.post(
        "/pullRequest/create",
        json={"pull_request_id": "pr-1", "pull_request_name": "x", "author_id": "a"},
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "PR_EXISTS"
    ghost = await client.post(
        "/pullRequest/create",
        json={"pull_request_id": "pr-2", "pull_request_name": "x", "author_id": "ghost"},
    )
    assert ghost.status_code == 404
    assert ghost.json()["error"]["code"] == "NOT_FOUND"


async def test_merge_is_idempotent_with_the_same_merged_at(client: httpx.AsyncClient) -> None:
    await add_team(client, "core", member("a"), member("b"))
    created = await create_pr(client, "pr-1", "a")
    first = await client.post("/pullRequest/merge", json={"pull_request_id": "pr-1"})
    second = await client.post("/pullRequest/merge", json={"pull_request_id": "pr-1"})
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    pr = first.json()["pr"]
    assert pr["status"] == "MERGED" and pr["mergedAt"] is not None
    assert pr["assigned_reviewers"] == created["assigned_reviewers"]
    missing = await client.post("/pullRequest/merge", json={"pull_request_id": "nope"})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "NOT_FOUND"


async def test_reassign_takes_from_the_replaced_reviewers_team(client: httpx.AsyncClient) -> None:
    # b reviews a's PR, then moves to team "other"; its replacement must come from "other".
    await add_team(client, "core", member("a"), member("b"))
    pr = await create_pr(client, "pr-1", "a")
    assert pr["assigned_reviewers"] == ["b"]
    await add_team(client, "other", member("b"), member("x"), member("y", False))
    response = await _reassign(client, "pr-1", "b")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["replaced_by"] == "x"
    assert body["pr"]["assigned_reviewers"] == ["x"]


async def test_reassign_accepts_old_reviewer_id(client: httpx.AsyncClient) -> None:
    await add_team(client, "core", member("a"), member("b"), member("c"), member("d"))
    pr = await create_pr(client, "pr-1", "a")
    old = pr["assigned_reviewers"][0]
    response = await _reassign(client, "pr-1", old, key="old_reviewer_id")
    assert response.status_code == 200
    body = response.json()
    new = body["replaced_by"]
    assert new not in {"a", old, pr["assigned_reviewers"][1]}
    # The replacement takes the slot of the reviewer it replaces.
    assert body["pr"]["assigned_reviewers"] == [new, pr["assigned_reviewers"][1]]


async def test_reassign_errors(client: httpx.AsyncClient) -> None:
    await add_team(client, "core", member("a"), member("b"), member("c"))
    await create_pr(client, "pr-1", "a")
    cases = [
        ("nope", "b", 404, "NOT_FOUND"),
        ("pr-1", "ghost", 404, "NOT_FOUND"),
        ("pr-1", "a", 409, "NOT_ASSIGNED"),
        ("pr-1", "b", 409, "NO_CANDIDATE"),  # c is on the PR, a is the author
    ]
    for pr_id, old, status, code in cases:
        response = await _reassign(client, pr_id, old)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), (
            pr_id,
            old,
        )
    await client.post("/pullRequest/merge", json={"pull_request_id": "pr-1"})
    merged = await _reassign(client, "pr-1", "b")
    assert merged.status_code == 409
    assert merged.json()["error"]["code"] == "PR_MERGED"


async def test_inactive_user_is_never_chosen_on_reassign(client: httpx.AsyncClient) -> None:
    await add_team(client, "core", member("a"), member("b"), member("c"), member("d"))
    pr = await create_pr(client, "pr-1", "a")
    free = ({"b", "c", "d"} - set(pr["assigned_reviewers"])).pop()
    await client.post("/users/setIsActive", json={"user_id": free, "is_active": False})
    response = await _reassign(client, "pr-1", pr["assigned_reviewers"][0])
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "NO_CANDIDATE"
