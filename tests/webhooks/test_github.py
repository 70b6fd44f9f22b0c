"""GitHub deliveries end to end: verify, dedupe, assign, mirror, post back through the outbox."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
import respx

from tests.webhooks.conftest import Bot, BotFactory, outbox_rows, reviewers, sent_reviewers

PR = "github:acme/widgets#7"
PATH = "/repos/acme/widgets/pulls/7/requested_reviewers"


def requested(*logins: str) -> Any:
    def edit(payload: dict[str, Any]) -> None:
        payload["pull_request"]["requested_reviewers"] = [{"login": x, "id": 1} for x in logins]

    return edit


async def test_opened_assigns_two_and_posts_them_back(
    bot: Bot, pg: asyncpg.Pool, github_api: respx.MockRouter
) -> None:
    route = github_api.post(PATH).mock(return_value=httpx.Response(201, json={}))
    response = await bot.post("github", "pull_request__opened")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "applied" and len(body["assigned"]) == 2
    assert set(body["assigned"]) <= {"bob", "carol", "dave"}
    assert route.call_count == 0  # the handler never calls the host
    pr = await pg.fetchrow("SELECT author_id, status, pull_request_name FROM pull_requests")
    assert dict(pr) == {
        "author_id": "alice",
        "status": "OPEN",
        "pull_request_name": "Add a sprocket to every widget",
    }
    events = await pg.fetch("SELECT source FROM assignment_events")
    assert [e["source"] for e in events] == ["webhook", "webhook"]

    assert await bot.drain() == 2
    handles = {"bob": "bob", "carol": "carol-gh", "dave": "dave"}
    assert sorted(x for call in sent_reviewers(route) for x in call) == sorted(
        handles[u] for u in body["assigned"]
    )
    assert route.calls[0].request.headers["authorization"] == "Bearer gh-token"
    assert {r["state"] for r in await outbox_rows(pg)} == {"done"}


async def test_bad_and_missing_signatures_are_401_and_change_nothing(
    bot: Bot, pg: asyncpg.Pool
) -> None:
    wrong = await bot.post("github", "pull_request__opened", secret="not-the-secret")
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "UNAUTHORIZED"
    missing = await bot.client.post(
        "/webhooks/github",
        content=b"{}",
        headers={"x-github-event": "pull_request", "content-type": "application/json"},
    )
    assert missing.status_code == 401
    assert await pg.fetchval("SELECT count(*) FROM pull_requests") == 0
    assert await pg.fetchval("SELECT count(*) FROM webhook_deliveries") == 0


async def test_unconfigured_host_is_403_naming_the_variable(make_bot: BotFactory, pg: Any) -> None:
    async with make_bot(github={"webhook_secret": None}) as b:
        response = await b.post("github", "pull_request__opened")
    assert response.status_code == 403
    assert "GITHUB_WEBHOOK_SECRET" in response.json()["error"]["message"]


async def test_oversized_body_is_413(make_bot: BotFactory, pg: Any) -> None:
    async with make_bot(webhook_max_bytes=2048) as b:
        response = await b.post("github", "pull_request__opened")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_ping_is_200(bot: Bot) -> None:
    response = await bot.post("github", "ping__ping")
    assert response.status_code == 200 and response.json()["status"] == "pong"


async def test_unhandled_action_and_unknown_author_are_202_with_a_reason(
    bot: Bot, pg: asyncpg.Pool
) -> None:
    # New commits only move the review clock (issue 15): on an unknown PR, nothing.
    unhandled = await bot.post("github", "pull_request__synchronize")
    assert unhandled.status_code == 202 and "not known" in unhandled.json()["reason"]

    def labeled(payload: dict[str, Any]) -> None:
        payload["action"] = "labeled"

    other = await bot.post("github", "pull_request__synchronize", edit=labeled)
    assert other.status_code == 202 and "'labeled' is not handled" in other.json()["reason"]

    def stranger(payload: dict[str, Any]) -> None:
        payload["pull_request"]["user"]["login"] = "mallory"

    unknown = await bot.post("github", "pull_request__opened", edit=stranger)
    assert unknown.status_code == 202
    assert "unknown author" in unknown.json()["reason"]
    assert await pg.fetchval("SELECT count(*) FROM pull_requests") == 0
    # Ignored deliveries are not remembered: once the author is known, a redelivery applies.
    assert await pg.fetchval("SELECT count(*) FROM webhook_deliveries") == 0


async def test_a_repeated_delivery_is_applied_once(bot: Bot, pg: asyncpg.Pool) -> None:
    first = await bot.post("github", "pull_request__opened", delivery="d-1")
    again = await bot.post("github", "pull_request__opened", delivery="d-1")
    assert first.json()["status"] == "applied"
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert len(await outbox_rows(pg)) == 2


async def test_concurrent_duplicates_are_applied_once(bot: Bot, pg: asyncpg.Pool) -> None:
    answers = await asyncio.gather(
        *(bot.post("github", "pull_request__opened", delivery="same") for _ in range(6))
    )
    statuses = sorted(a.json()["status"] for a in answers)
    assert statuses == ["applied"] + ["duplicate"] * 5
    assert len(await reviewers(pg, PR)) == 2
    assert len(await outbox_rows(pg)) == 2


async def test_racing_distinct_open_deliveries_assign_once(bot: Bot, pg: asyncpg.Pool) -> None:
    answers = await asyncio.gather(
        bot.post("github", "pull_request__opened"),
        bot.post("github", "pull_request__reopened"),
        bot.post("github", "pull_request__ready_for_review"),
    )
    assert sorted(len(a.json()["assigned"]) for a in answers) == [0, 0, 2]
    assert len(await reviewers(pg, PR)) == 2
    assert len(await outbox_rows(pg)) == 2


async def test_replayed_open_events_never_add_more(bot: Bot, pg: asyncpg.Pool) -> None:
    await bot.post("github", "pull_request__opened")
    again = await asyncio.gather(*(bot.post("github", "pull_request__reopened") for _ in range(3)))
    assert all(a.json()["assigned"] == [] for a in again)
    assert len(await reviewers(pg, PR)) == 2
    assert len(await outbox_rows(pg)) == 2


async def test_top_up_counts_people_already_requested_on_the_host(
    bot: Bot, pg: asyncpg.Pool
) -> None:
    response = await bot.post("github", "pull_request__opened", edit=requested("carol-gh"))
    body = response.json()
    assert len(body["assigned"]) == 1 and "carol" not in body["assigned"]
    assert (await reviewers(pg, PR))[0] == "carol"
    # carol was requested by a human on GitHub: only the chosen one is posted back.
    assert [(r["kind"], r["user_id"]) for r in await outbox_rows(pg)] == [
        ("request", body["assigned"][0])
    ]
    # A requested outsider (not a member) counts too: nobody is added.
    await pg.execute("TRUNCATE outbox")
    both = await bot.post("github", "pull_request__reopened", edit=requested("carol-gh", "ext"))
    assert both.json()["assigned"] == []


async def test_a_draft_is_assigned_when_ready(bot: Bot, pg: asyncpg.Pool) -> None:
    draft = await bot.post("github", "pull_request__opened__draft")
    assert draft.json()["assigned"] == []
    assert await reviewers(pg, PR) == []
    ready = await bot.post("github", "pull_request__ready_for_review")
    assert len(ready.json()["assigned"]) == 2


async def test_merged_and_closed(bot: Bot, pg: asyncpg.Pool) -> None:
    await bot.post("github", "pull_request__opened")
    for _ in range(2):  # idempotent
        merged = await bot.post("github", "pull_request__closed")
        assert merged.json()["pr_status"] == "MERGED"
    merged_at = await pg.fetchval("SELECT merged_at FROM pull_requests")
    assert merged_at is not None

    def other_pr(payload: dict[str, Any]) -> None:
        payload["pull_request"]["number"] = payload["number"] = 8

    await bot.post("github", "pull_request__opened", edit=other_pr)
    closed = await bot.post("github", "pull_request__closed__unmerged", edit=other_pr)
    assert closed.json()["pr_status"] == "CLOSED"
    reopened = await bot.post("github", "pull_request__reopened", edit=other_pr)
    assert reopened.json()["pr_status"] == "OPEN"


async def test_title_edit_renames(bot: Bot, pg: asyncpg.Pool) -> None:
    def titled(payload: dict[str, Any]) -> None:
        payload["pull_request"]["title"] = "Old title"

    await bot.post("github", "pull_request__opened", edit=titled)
    await bot.post("github", "pull_request__edited")
    assert await pg.fetchval("SELECT pull_request_name FROM pull_requests") == (
        "Add a sprocket to every widget"
    )


async def test_human_changes_are_mirrored_and_not_echoed(bot: Bot, pg: asyncpg.Pool) -> None:
    await bot.post("github", "pull_request__opened__draft")
    added = await bot.post("github", "pull_request__review_requested")
    assert added.json()["reviewers"] == ["carol"]
    removed = await bot.post("github", "pull_request__review_request_removed")
    assert removed.json()["reviewers"] == []
    assert await outbox_rows(pg) == []
    kinds = await pg.fetch("SELECT kind, source FROM assignment_events ORDER BY id")
    assert [(k["kind"], k["source"]) for k in kinds] == [("assigned", "host"), ("removed", "host")]


async def test_events_for_unknown_prs_are_202(bot: Bot) -> None:
    response = await bot.post("github", "pull_request__closed")
    assert response.status_code == 202 and "not known" in response.json()["reason"]
