"""Gitea / Forgejo pull request hooks end to end."""

from __future__ import annotations

import asyncpg
import httpx
import respx

from tests.webhooks.conftest import Bot, outbox_rows, reviewers, sent_reviewers

PR = "gitea:acme/widgets#3"
PATH = "/repos/acme/widgets/pulls/3/requested_reviewers"


async def test_opened_assigns_and_posts_back(
    bot: Bot, pg: asyncpg.Pool, gitea_api: respx.MockRouter
) -> None:
    route = gitea_api.post(PATH).mock(return_value=httpx.Response(201, json=[]))
    response = await bot.post("gitea", "pull_request__opened")
    assert response.status_code == 200, response.text
    assigned = response.json()["assigned"]
    assert len(assigned) == 2
    await bot.drain()
    handles = {"bob": "bob", "carol": "carol-gt", "dave": "dave"}
    assert sorted(x for c in sent_reviewers(route) for x in c) == sorted(
        handles[u] for u in assigned
    )
    assert route.calls[0].request.headers["authorization"] == "token gt-token"


async def test_wip_title_waits_until_the_prefix_goes(bot: Bot, pg: asyncpg.Pool) -> None:
    wip = await bot.post("gitea", "pull_request__opened__wip")
    assert wip.json()["assigned"] == []
    assert await pg.fetchval("SELECT pull_request_name FROM pull_requests") == (
        "WIP: Add a sprocket to every widget"
    )
    ready = await bot.post("gitea", "pull_request__edited__wip_removed")
    assert len(ready.json()["assigned"]) == 2
    assert await pg.fetchval("SELECT pull_request_name FROM pull_requests") == (
        "Add a sprocket to every widget"
    )


async def test_forgejo_headers_are_accepted(bot: Bot) -> None:
    body = b'{"action": "opened"}'
    import hashlib
    import hmac

    digest = hmac.new(b"gt-secret", body, hashlib.sha256).hexdigest()
    response = await bot.client.post(
        "/webhooks/gitea",
        content=body,
        headers={
            "x-forgejo-event": "push",
            "x-forgejo-delivery": "f-1",
            "x-forgejo-signature": digest,
            "content-type": "application/json",
        },
    )
    assert response.status_code == 202


async def test_mirrors_merges_and_closes(bot: Bot, pg: asyncpg.Pool) -> None:
    await bot.post("gitea", "pull_request__opened__wip")
    await bot.post("gitea", "pull_request__review_requested")
    assert await reviewers(pg, PR) == ["carol"]
    await bot.post("gitea", "pull_request__review_request_removed")
    assert await reviewers(pg, PR) == []
    assert await outbox_rows(pg) == []
    closed = await bot.post("gitea", "pull_request__closed__unmerged")
    assert closed.json()["pr_status"] == "CLOSED"
    merged = await bot.post("gitea", "pull_request__closed")
    assert merged.json()["pr_status"] == "MERGED"
    late = await bot.post("gitea", "pull_request__review_requested")
    assert late.json()["reviewers"] == []  # merged PRs never change
    pushed = await bot.post("gitea", "pull_request__synchronized")  # the review clock's only
    assert pushed.status_code == 200 and pushed.json()["reviewers"] == []
