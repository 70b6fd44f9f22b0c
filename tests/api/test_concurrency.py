"""CONTRACT §1 rule 6: the rules hold when requests race."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import httpx

from tests.conftest import add_team, create_pr, member

RACERS = 40


async def test_racing_creates_of_one_id_give_exactly_one_201(
    client: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    await add_team(client, "core", *[member(f"u{i}") for i in range(8)])
    body = {"pull_request_id": "pr-race", "pull_request_name": "race", "author_id": "u0"}
    responses = await asyncio.gather(
        *[client.post("/pullRequest/create", json=body) for _ in range(RACERS)]
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (RACERS - 1)
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {"PR_EXISTS"}
    assert await pg.fetchval("SELECT count(*) FROM pr_reviewers") == 2


async def test_racing_reassigns_of_one_reviewer_give_exactly_one_200(
    client: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    await add_team(client, "core", *[member(f"u{i}") for i in range(12)])
    pr = await create_pr(client, "pr-1", "u0")
    old = pr["assigned_reviewers"][0]
    body = {"pull_request_id": "pr-1", "old_user_id": old}
    responses = await asyncio.gather(
        *[client.post("/pullRequest/reassign", json=body) for _ in range(RACERS)]
    )
    ok = [r for r in responses if r.status_code == 200]
    assert len(ok) == 1
    assert {r.json()["error"]["code"] for r in responses if r.status_code != 200} == {
        "NOT_ASSIGNED"
    }
    final = await pg.fetch("SELECT user_id FROM pr_reviewers WHERE pull_request_id = 'pr-1'")
    assert len(final) == 2 and old not in {r["user_id"] for r in final}


async def test_racing_reassigns_of_both_reviewers_never_duplicate(
    client: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    # Two reviewers replaced at once while only a few candidates exist: they must not both
    # take the same replacement.
    await add_team(client, "core", member("a"), member("b"), member("c"), member("d"))
    for round_ in range(10):
        pr = await create_pr(client, f"pr-{round_}", "a")
        first, second = pr["assigned_reviewers"]
        results = await asyncio.gather(
            *[
                client.post(
                    "/pullRequest/reassign",
                    json={"pull_request_id": f"pr-{round_}", "old_user_id": old},
                )
                for old in (first, second)
            ]
        )
        codes = sorted(r.status_code for r in results)
        assert codes in ([200, 409], [200, 200]), [r.text for r in results]
        rows = await pg.fetch(
            "SELECT user_id FROM pr_reviewers WHERE pull_request_id = $1", f"pr-{round_}"
        )
        reviewers = [r["user_id"] for r in rows]
        assert len(reviewers) == 2 and len(set(reviewers)) == 2 and "a" not in reviewers


async def test_a_deactivated_user_is_never_assigned_afterwards(client: httpx.AsyncClient) -> None:
    """Deactivations race with creates; no create that *started* after a deactivation
    *finished* may return that user."""
    people = [f"u{i}" for i in range(16)]
    await add_team(client, "core", *[member(p) for p in people])
    finished: dict[str, float] = {}

    async def deactivate_half() -> None:
        for p in people[1:9]:
            response = await client.post(
                "/users/setIsActive", json={"user_id": p, "is_active": False}
            )
            assert response.status_code == 200
            finished[p] = time.monotonic()

    async def create(i: int) -> tuple[float, list[str]]:
        sent = time.monotonic()
        pr = await create_pr(client, f"pr-{i}", "u0")
        return sent, pr["assigned_reviewers"]

    results = await asyncio.gather(deactivate_half(), *[create(i) for i in range(60)])
    for sent, reviewers in results[1:]:  # type: ignore[misc]
        for r in reviewers:
            assert not (r in finished and finished[r] < sent), (r, reviewers)


async def test_mixed_load_keeps_every_invariant(
    client: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    await add_team(client, "t1", *[member(f"a{i}") for i in range(6)])
    await add_team(client, "t2", *[member(f"b{i}") for i in range(6)])

    async def worker(w: int) -> None:
        for i in range(12):
            pr_id = f"pr-{w}-{i}"
            author = f"a{w % 6}" if w % 2 else f"b{w % 6}"
            await client.post(
                "/pullRequest/create",
                json={"pull_request_id": pr_id, "pull_request_name": "x", "author_id": author},
            )
            got = await client.post(
                "/pullRequest/merge" if i % 5 == 4 else "/pullRequest/reassign",
                json={"pull_request_id": pr_id, "old_user_id": f"a{i % 6}"},
            )
            assert got.status_code < 500
            flip = {"user_id": f"{'ab'[i % 2]}{(w + i) % 6}", "is_active": i % 3 != 0}
            assert (await client.post("/users/setIsActive", json=flip)).status_code == 200

    await asyncio.gather(*[worker(w) for w in range(8)])
    bad = await pg.fetch(
        """SELECT p.pull_request_id FROM pull_requests p JOIN pr_reviewers r USING (pull_request_id)
            GROUP BY p.pull_request_id, p.author_id
           HAVING count(*) > 2 OR bool_or(r.user_id = p.author_id)"""
    )
    assert bad == []
