"""Review follow-through end to end on every host (issue 15): review events stop the
clock, a nudge then an escalation through the outbox, pauses while a PR is a draft or
waits on its author, several schedulers on one database, a restart in between. Real
PostgreSQL and Redis; time is the test's clock, nothing sleeps."""

from __future__ import annotations

import asyncpg
import pytest
import respx

from bot.hosts.registry import HOSTS
from tests.webhooks.commands_kit import GITLAB_IDS, PR_IDS, FakeHost, fake_host, handle
from tests.webhooks.conftest import Bot, reviewers
from tests.webhooks.sla_kit import open_pr, replies, review, run, set_sla


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


async def test_a_review_stops_the_clock(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    await set_sla(pg)
    first, second = await open_pr(bot, pg, host)
    answer = await review(bot, host, first)
    assert answer.status_code == 200 and answer.json()["responded"] == first
    again = await review(bot, host, first)  # a second review is no new first response
    assert again.json()["responded"] is None

    await run(bot, 1.5)
    texts = await replies(pg, PR_IDS[host])
    assert len(texts) == 1 and f"@{handle(host, second)}," in texts[0]  # only the silent one
    row = await pg.fetchrow(
        "SELECT first_responded_at, nudged_at FROM review_requests WHERE user_id = $1", first
    )
    assert row["first_responded_at"] is not None and row["nudged_at"] is None


async def test_nudge_once_then_escalation(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    await set_sla(pg)
    pr_id = PR_IDS[host]
    first, second = await open_pr(bot, pg, host)
    third = ({"bob", "carol", "dave"} - {first, second}).pop()
    assert await run(bot, 0.5) == 2 and await replies(pg, pr_id) == []  # not yet due

    await run(bot, 0.6)  # 1.1 h: both reviewers are nudged, once each
    await run(bot, 0.1)
    nudges = await replies(pg, pr_id)
    assert len(nudges) == 2
    assert {handle(host, u) for u in (first, second)} == {t.split(",")[0][1:] for t in nudges}
    assert all("first-response target (1h" in t for t in nudges)

    await review(bot, host, second, "approved" if host == "gitlab" else "commented")
    await run(bot, 1.0)  # 2.2 h: the silent one is replaced by the third member
    assert await reviewers(pg, pr_id) == [third, second]
    why = (await replies(pg, pr_id))[-1]
    assert f"@{handle(host, first)} has not responded within 2h" in why
    assert f"asked @{handle(host, third)}" in why
    event = await pg.fetchrow(
        "SELECT source, explain FROM assignment_events WHERE pull_request_id = $1"
        " AND kind = 'reassigned'",
        pr_id,
    )
    assert event["source"] == "sla"
    await bot.drain()
    if fake.mr is not None:
        assert GITLAB_IDS[handle(host, third)] in fake.mr.reviewer_ids
    else:
        assert handle(host, third) in fake.requested and handle(host, first) in fake.removed
    assert why in fake.replies

    await run(bot, 0.5)  # nothing is repeated; the new reviewer's own clock started
    assert len(await replies(pg, pr_id)) == 3
    await run(bot, 0.6)  # an hour after taking over, the new reviewer is nudged in turn
    assert (await replies(pg, pr_id))[-1].startswith(f"@{handle(host, third)},")
    explained = await bot.client.get("/pullRequest/explain", params={"pull_request_id": pr_id})
    timeline = [(e["event"], e.get("user_id")) for e in explained.json()["follow_up"]]
    assert ("escalated", first) in timeline and ("responded", second) in timeline
    assert timeline.index(("requested", first)) < timeline.index(("nudged", first))
