"""Comment commands racing each other and PR deliveries on one PR, truly concurrently
against the real database; and comment post-backs that fail without holding up reviewers."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest
import respx

from bot.hosts.registry import HOSTS
from tests.webhooks.commands_kit import PR_IDS, FakeHost, comment, fake_host, handle, open_pr
from tests.webhooks.conftest import Bot, outbox_rows, reviewers, sent_reviewers
from tests.webhooks.test_commands import add_members


@pytest.fixture(params=list(HOSTS))
def host(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fake(
    host: str,
    github_api: respx.MockRouter,
    gitlab_api: respx.MockRouter,
    gitea_api: respx.MockRouter,
) -> FakeHost:
    return fake_host(host, github_api, gitlab_api, gitea_api)


async def test_racing_rerolls_replace_each_reviewer_exactly_once(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    await add_members(bot, pg, "frank", "gina", "hank", "ivan")
    original = await open_pr(bot, pg, host)
    answers = await asyncio.gather(
        *(comment(bot, host, "@reviewbot reroll", "alice") for _ in range(5))
    )
    assert all(a.status_code == 200 for a, _ in answers), [a.text for a, _ in answers]
    outcomes = sorted(a.json()["reaction"] for a, _ in answers)
    # 7 candidates, 2 per reroll, nobody rerolled away twice: at most 3 rerolls succeed.
    assert outcomes.count("ok") >= 1 and "refused" in outcomes
    pr_id = PR_IDS[host]
    rows = await pg.fetch(
        "SELECT replaced_user_id FROM assignment_events WHERE pull_request_id = $1"
        " AND kind = 'reassigned'",
        pr_id,
    )
    replaced = [r["replaced_user_id"] for r in rows]
    assert len(replaced) == len(set(replaced)), "someone was rerolled away twice"
    assert set(original) <= set(replaced), "each original reviewer was rerolled once"
    final = await reviewers(pg, pr_id)
    assert len(final) == 2 and len(set(final)) == 2 and "alice" not in final
    assert not set(final) & set(replaced)


async def test_racing_commands_and_deliveries_keep_the_two_reviewer_limit(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    await add_members(bot, pg, "frank", "gina")
    await open_pr(bot, pg, host, count=1)
    texts = ["r? @bob", "r? @dave", "r? @frank", "r? backend", "@reviewbot reroll"]
    await asyncio.gather(*(comment(bot, host, t, "alice") for t in texts))
    final = await reviewers(pg, PR_IDS[host])
    assert len(final) == 2 and len(set(final)) == 2 and "alice" not in final


async def test_a_failing_reaction_never_holds_up_reviewer_requests(
    bot: Bot, pg: asyncpg.Pool, github_api: respx.MockRouter
) -> None:
    path = "/repos/acme/widgets/pulls/7/requested_reviewers"
    requests = github_api.post(path).mock(return_value=httpx.Response(201, json={}))
    github_api.delete(path).mock(return_value=httpx.Response(200, json={}))
    github_api.post(path__regex=r"/repos/acme/widgets/issues/comments/\d+/reactions").mock(
        return_value=httpx.Response(404, json={"message": "Not Found"})
    )
    replies = github_api.post("/repos/acme/widgets/issues/7/comments").mock(
        return_value=httpx.Response(503)
    )
    [first] = await open_pr(bot, pg, "github", count=1)
    target = "dave" if first != "dave" else "bob"
    await comment(bot, "github", f"r? @{target}\n@reviewbot explain", "alice")
    await bot.drain()
    rows = {(r["kind"], r["state"]) for r in await outbox_rows(pg)}
    # The reviewer requests went out; the reaction failed for good; the reply retries.
    assert ("request", "done") in rows and ("request", "pending") not in rows
    assert ("react", "failed") in rows and ("reply", "pending") in rows
    sent = sorted(x for call in sent_reviewers(requests) for x in call)
    assert sent == sorted(handle("github", u) for u in (first, target))
    assert replies.call_count == 1
    # A reviewer change after the stuck reply is not held up behind it either.
    await comment(bot, "github", "@reviewbot reroll", "alice")
    await bot.drain()
    assert ("request", "pending") not in {(r["kind"], r["state"]) for r in await outbox_rows(pg)}
    replies.return_value = httpx.Response(201, json={})
    bot.clock.advance(600)
    await bot.drain()
    assert {r["state"] for r in await outbox_rows(pg) if r["kind"] == "reply"} == {"done"}
