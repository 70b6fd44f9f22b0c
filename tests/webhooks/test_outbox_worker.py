"""The post-back outbox: retries with controlled time, replacement, give-up and admin retry,
restart, two workers, reverse sync after a REST reassign, GitHub App credentials."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import jwt
import respx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from config.settings import Secret
from tests.webhooks.conftest import Bot, BotFactory, outbox_rows, reviewers, sent_reviewers

PR = "github:acme/widgets#7"
PATH = "/repos/acme/widgets/pulls/7/requested_reviewers"
HANDLES = {"bob": "bob", "carol": "carol-gh", "dave": "dave"}


def responses(*statuses: int | httpx.Response) -> Any:
    """Answer with these statuses in turn, then 201 forever."""
    queue = list(statuses)

    def answer(request: httpx.Request) -> httpx.Response:
        if not queue:
            return httpx.Response(201, json={})
        first = queue.pop(0)
        return first if isinstance(first, httpx.Response) else httpx.Response(first, json={})

    return answer


async def until(condition: Any) -> None:
    """Wait (at most 15 s) for background workers; a bound, not a timing assertion."""
    for _ in range(750):
        if await condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the background workers did not finish within 15 s")


async def test_5xx_is_retried_with_backoff(
    bot: Bot, pg: asyncpg.Pool, github_api: respx.MockRouter
) -> None:
    route = github_api.post(PATH).mock(side_effect=responses(500, 502))
    await bot.post("github", "pull_request__opened")
    await bot.drain()
    first, second = await outbox_rows(pg)  # both reviewers went out in one call
    assert (first["state"], first["attempts"], second["attempts"]) == ("pending", 1, 1)
    assert "HTTP 500" in first["last_error"]
    await bot.drain()
    assert route.call_count == 1  # not due yet: backing off
    bot.clock.advance(1.01)
    await bot.drain()
    assert route.call_count == 2
    bot.clock.advance(2.01)
    await bot.drain()
    assert route.call_count == 3
    assert len(sent_reviewers(route)[-1]) == 2
    assert [r["state"] for r in await outbox_rows(pg)] == ["done", "done"]


async def test_connection_errors_are_retried(
    bot: Bot, pg: asyncpg.Pool, github_api: respx.MockRouter
) -> None:
    calls = {"n": 0}

    def flaky(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ConnectError("connection refused")
        return httpx.Response(201, json={})

    github_api.post(PATH).mock(side_effect=flaky)
    await bot.post("github", "pull_request__opened")
    await bot.drain()
    assert "ConnectError" in (await outbox_rows(pg))[0]["last_error"]
    bot.clock.advance(1.01)
    await bot.drain()
    assert [r["state"] for r in await outbox_rows(pg)] == ["done", "done"]


async def test_429_waits_for_retry_after(
    bot: Bot, pg: asyncpg.Pool, github_api: respx.MockRouter
) -> None:
    limited = httpx.Response(429, headers={"Retry-After": "120"}, json={})
    route = github_api.post(PATH).mock(side_effect=responses(limited))
    await bot.post("github", "pull_request__opened")
    await bot.drain()
    bot.clock.advance(119)
    await bot.drain()
    assert route.call_count == 1
    bot.clock.advance(2)
    await bot.drain()
    assert route.call_count == 2


async def test_exhausted_rate_limit_waits_for_the_reset(
    bot: Bot, pg: asyncpg.Pool, github_api: respx.MockRouter
) -> None:
    reset = int(datetime.now(UTC).timestamp()) + 600
    limited = httpx.Response(
        403, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}, json={}
    )
    route = github_api.post(PATH).mock(side_effect=responses(limited))
    await bot.post("github", "pull_request__opened")
    await bot.drain()
    bot.clock.advance(300)
    await bot.drain()
    assert route.call_count == 1
    bot.clock.advance(400)
    await bot.drain()
    assert route.call_count == 2


async def test_422_replaces_the_refused_reviewer(
    bot: Bot, pg: asyncpg.Pool, github_api: respx.MockRouter
) -> None:
    refused_handle: list[str] = []

    def collaborators_only(request: httpx.Request) -> httpx.Response:
        if refused_handle[0] in json.loads(request.content)["reviewers"]:
            body = {"message": "Reviews may only be requested from collaborators."}
            return httpx.Response(422, json=body)
        return httpx.Response(201, json={})

    route = github_api.post(PATH).mock(side_effect=collaborators_only)
    assigned = (await bot.post("github", "pull_request__opened")).json()["assigned"]
    first_refused = assigned[0]
    refused_handle.append(HANDLES[first_refused])
    await bot.drain()
    # The pair was refused as a whole, then each was asked alone to learn whom GitHub refused.
    assert sorted(map(len, sent_reviewers(route)))[-1] == 2
    now = await reviewers(pg, PR)
    assert first_refused not in now and len(now) == 2 and "alice" not in now
    substitute = (set(now) - set(assigned)).pop()
    states = Counter(r["state"] for r in await outbox_rows(pg))
    assert states == {"done": 2, "replaced": 1}
    assert [HANDLES[substitute]] in sent_reviewers(route)
    event = await pg.fetchrow("SELECT * FROM assignment_events WHERE kind = 'reassigned'")
    assert (event["user_id"], event["replaced_user_id"], event["source"]) == (
        substitute,
        first_refused,
        "webhook",
    )
    # The host never asked the refused one to review: no request of theirs in /stats.
    stats = (await bot.client.get("/stats")).json()
    reviews = {u["user_id"]: u["reviews"] for u in stats["users"]}
    assert reviews[first_refused]["requests"] == 0
    assert sum(r["requests"] for r in reviews.values()) == 2
    assert stats["teams"][0]["reviews"]["requests"] == 2


async def test_give_up_then_admin_lists_and_retries(
    make_bot: BotFactory, pg: asyncpg.Pool, github_api: respx.MockRouter
) -> None:
    route = github_api.post(PATH).mock(return_value=httpx.Response(503, json={}))
    async with make_bot(outbox_give_up_after=10.0, admin_token=Secret("adm")) as b:
        await pg.execute("INSERT INTO teams VALUES ('backend')")
        await pg.execute(
            "INSERT INTO users (user_id, username, team_name, is_active) VALUES "
            "('alice', 'a', 'backend', true), ('bob', 'b', 'backend', true)"
        )
        await pg.execute("INSERT INTO user_handles VALUES ('alice', 'github', 'alice-gh')")
        await b.post("github", "pull_request__opened")
        for _ in range(6):
            await b.drain()
            b.clock.advance(4)
        failed = await b.client.get("/outbox/failed", headers={"authorization": "Bearer adm"})
        [row] = failed.json()["failed"]
        assert (row["pull_request_id"], row["user_id"], row["kind"]) == (PR, "bob", "request")
        assert "gave up" in row["last_error"] and "HTTP 503" in row["last_error"]
        assert (await b.client.get("/outbox/failed")).status_code == 401

        route.mock(return_value=httpx.Response(201, json={}))
        retried = await b.client.post(
            "/outbox/retry", json={}, headers={"authorization": "Bearer adm"}
        )
        assert retried.json() == {"retried": [row["id"]]}
        await b.drain()
        assert (await outbox_rows(pg))[0]["state"] == "done"
        assert (
            await b.client.get("/outbox/failed", headers={"authorization": "Bearer adm"})
        ).json() == {"failed": []}


async def test_missing_credentials_fail_visibly(make_bot: BotFactory, pg: asyncpg.Pool) -> None:
    async with make_bot(gitea={"token": None}) as b:
        await pg.execute("INSERT INTO teams VALUES ('t')")
        await pg.execute(
            "INSERT INTO users (user_id, username, team_name, is_active) VALUES "
            "('alice-gt', 'a', 't', true), ('bob', 'b', 't', true)"
        )
        await b.post("gitea", "pull_request__opened")
        await b.drain()
        [row] = (await b.client.get("/outbox/failed")).json()["failed"]
        assert "GITEA_TOKEN" in row["last_error"]


async def test_pending_post_backs_survive_a_restart(
    bot: Bot, make_bot: BotFactory, pg: asyncpg.Pool, github_api: respx.MockRouter
) -> None:
    route = github_api.post(PATH).mock(return_value=httpx.Response(201, json={}))
    await bot.post("github", "pull_request__opened")
    # One row was in flight in a worker that crashed: its lease has run out.
    await pg.execute(
        "UPDATE outbox SET attempts = 1, lease_until = now() - interval '1 minute' "
        "WHERE id = (SELECT min(id) FROM outbox)"
    )
    assert route.call_count == 0
    async with make_bot(outbox_worker=True, outbox_poll_interval=0.05):

        async def all_done() -> bool:
            return {r["state"] for r in await outbox_rows(pg)} == {"done"}

        await until(all_done)
    assert sorted(x for call in sent_reviewers(route) for x in call) == sorted(
        {HANDLES[r] for r in await reviewers(pg, PR)}
    )


async def test_two_workers_send_every_post_back_exactly_once(
    bot: Bot, make_bot: BotFactory, pg: asyncpg.Pool, github_api: respx.MockRouter
) -> None:
    route = github_api.post(path__regex=r"/repos/acme/widgets/pulls/\d+/requested_reviewers")
    route.mock(return_value=httpx.Response(201, json={}))
    for number in range(1, 16):

        def numbered(payload: dict[str, Any], n: int = number) -> None:
            payload["number"] = payload["pull_request"]["number"] = n

        await bot.post("github", "pull_request__opened", edit=numbered)
    async with (
        make_bot(outbox_worker=True, outbox_poll_interval=0.02),
        make_bot(outbox_worker=True, outbox_poll_interval=0.02),
    ):

        async def all_done() -> bool:
            return {r["state"] for r in await outbox_rows(pg)} == {"done"}

        await until(all_done)
    sent = Counter(
        (call.request.url.path, reviewer)
        for call in route.calls
        for reviewer in json.loads(call.request.content)["reviewers"]
    )
    assert len(sent) == 30 and set(sent.values()) == {1}


async def test_reverse_sync_after_a_rest_reassign(
    bot: Bot, pg: asyncpg.Pool, github_api: respx.MockRouter
) -> None:
    requests = github_api.post(PATH).mock(return_value=httpx.Response(201, json={}))
    removals = github_api.delete(PATH).mock(return_value=httpx.Response(200, json={}))
    assigned = (await bot.post("github", "pull_request__opened")).json()["assigned"]
    await bot.drain()
    old = assigned[0]
    response = await bot.client.post(
        "/pullRequest/reassign", json={"pull_request_id": PR, "old_user_id": old}
    )
    assert response.status_code == 200, response.text
    new = response.json()["replaced_by"]
    await bot.drain()
    assert sent_reviewers(removals) == [[HANDLES[old]]]
    assert sent_reviewers(requests)[-1] == [HANDLES[new]]
    # PRs created through the REST API have no host: nothing is queued for them.
    await bot.client.post(
        "/pullRequest/create",
        json={"pull_request_id": "pr-1", "pull_request_name": "x", "author_id": "alice"},
    )
    assert {r["pull_request_id"] for r in await outbox_rows(pg)} == {PR}


def _rsa_key() -> tuple[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, key.public_key()


async def test_github_app_mints_and_caches_installation_tokens(
    make_bot: BotFactory, pg: asyncpg.Pool, github_api: respx.MockRouter
) -> None:
    pem, public = _rsa_key()
    expires = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    mint = github_api.post("/app/installations/4242/access_tokens").mock(
        return_value=httpx.Response(201, json={"token": "ghs_install", "expires_at": expires})
    )
    route = github_api.post(path__regex=r"/repos/acme/widgets/pulls/\d+/requested_reviewers")
    route.mock(return_value=httpx.Response(201, json={}))
    app = {"token": None, "app_id": "123", "app_private_key": Secret(pem.replace("\n", "\\n"))}
    async with make_bot(github=app) as b:
        await pg.execute("INSERT INTO teams VALUES ('t')")
        await pg.execute(
            "INSERT INTO users (user_id, username, team_name, is_active) VALUES "
            "('alice-gh', 'a', 't', true), ('bob', 'b', 't', true)"
        )
        await b.post("github", "pull_request__opened")

        def eight(payload: dict[str, Any]) -> None:
            payload["number"] = payload["pull_request"]["number"] = 8

        await b.post("github", "pull_request__opened", edit=eight)
        await b.drain()
        assert mint.call_count == 1  # cached for the second post-back

        # A revoked token (401) is forgotten and the post-back retried with a fresh one.
        def nine(payload: dict[str, Any]) -> None:
            payload["number"] = payload["pull_request"]["number"] = 9

        route.side_effect = responses(httpx.Response(401, json={"message": "Bad credentials"}))
        await b.post("github", "pull_request__opened", edit=nine)
        await b.drain()
        b.clock.advance(2)
        await b.drain()
        assert mint.call_count == 2
        assert {r["state"] for r in await outbox_rows(pg)} == {"done"}
    bearer = mint.calls[0].request.headers["authorization"].removeprefix("Bearer ")
    claims = jwt.decode(bearer, public, algorithms=["RS256"])
    assert claims["iss"] == "123" and claims["exp"] - claims["iat"] <= 600
    assert {c.request.headers["authorization"] for c in route.calls} == {"Bearer ghs_install"}
    assert route.call_count == 4


async def test_the_running_worker_is_woken_by_the_commit(
    make_bot: BotFactory, pg: asyncpg.Pool, github_api: respx.MockRouter
) -> None:
    route = github_api.post(PATH).mock(return_value=httpx.Response(201, json={}))
    # A poll interval far beyond the test's bound: only the wake-up can deliver in time.
    async with make_bot(outbox_worker=True, outbox_poll_interval=3600.0) as b:
        await pg.execute("INSERT INTO teams VALUES ('t')")
        await pg.execute(
            "INSERT INTO users (user_id, username, team_name, is_active) VALUES "
            "('alice-gh', 'a', 't', true), ('bob', 'b', 't', true)"
        )
        await asyncio.sleep(0.05)  # let the worker reach its idle wait first
        await b.post("github", "pull_request__opened")

        async def sent() -> bool:
            return route.call_count == 1

        await until(sent)
    assert sent_reviewers(route) == [["bob"]]
