"""Review follow-through end to end on every host (issue 15): review events stop the
clock, a nudge then an escalation through the outbox, pauses while a PR is a draft or
waits on its author, several schedulers on one database, a restart in between. Real
PostgreSQL and Redis; time is the test's clock, nothing sleeps."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
import respx

from bot.hosts.registry import HOSTS
from bot.services.review_scheduler import ReviewScheduler
from tests.webhooks.commands_kit import GITLAB_IDS, PR_IDS, FakeHost, comment, fake_host, handle
from tests.webhooks.conftest import Bot, BotFactory, reviewers
from tests.webhooks.sla_kit import HOUR, open_pr, push, replies, review, run, set_sla


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
    explain = (
        json.loads(event["explain"]) if isinstance(event["explain"], str) else event["explain"]
    )
    assert explain["reason"] == {"escalation": True, "silent": first, "after": "2h"}
    assert explain["chosen"] == [third] and explain["strategy"] == "random"
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
    metrics = (await bot.client.get("/metrics")).text
    for action in ("late", "nudged", "escalated"):
        assert f'reviewbot_review_follow_ups_total{{action="{action}"}}' in metrics


async def test_a_comment_is_a_response_and_its_commands_still_run(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    await set_sla(pg)
    first, second = await open_pr(bot, pg, host)
    plain, _ = await comment(bot, host, "I will look at this tomorrow.", author=first)
    assert plain.status_code == 200 and plain.json()["responded"] == first
    command, _ = await comment(bot, host, "@reviewbot help", author=second)
    assert command.status_code == 200 and command.json()["responded"] == second
    assert command.json()["reaction"] == "ok"  # the command ran too
    stranger, _ = await comment(bot, host, "Nice!", author="erin")  # not a reviewer
    assert stranger.status_code == 202
    await run(bot, 5)  # both responded: no nudge, no escalation
    texts = await replies(pg, PR_IDS[host])
    assert texts and not any("reminder" in t or "has not responded" in t for t in texts)


@pytest.mark.parametrize("host", ["github", "gitea"])  # GitLab sends no such verdict
async def test_waiting_on_the_author_pauses_the_clock(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    await set_sla(pg)
    pr_id = PR_IDS[host]
    first, second = await open_pr(bot, pg, host)
    await run(bot, 0.5)
    asked = await review(bot, host, first, "changes_requested")
    assert asked.json()["responded"] == first
    await run(bot, 5)  # waits on the author: the other reviewer's clock stands still
    assert await replies(pg, pr_id) == []
    await push(bot, host)  # new commits: the clock runs again, 0.5 h already used
    await run(bot, 0.4)
    assert await replies(pg, pr_id) == []
    await run(bot, 0.2)
    texts = await replies(pg, pr_id)
    assert len(texts) == 1 and texts[0].startswith(f"@{handle(host, second)},")
    timeline = await bot.client.get("/pullRequest/explain", params={"pull_request_id": pr_id})
    events = [e["event"] for e in timeline.json()["follow_up"]]
    assert events.count("paused") == 1 and events.count("resumed") == 1


DRAFT_AGAIN = {
    "github": ("pull_request__converted_to_draft", "pull_request__ready_for_review"),
    "gitlab": ("merge_request__update", "merge_request__update__ready"),
    "gitea": ("pull_request__edited", "pull_request__edited__wip_removed"),
}


def back_to_draft(host: str) -> Any:
    """Each host's documented way of saying the PR is a draft again."""

    def edit(payload: dict[str, Any]) -> None:
        if host == "github":  # its own fixture already says so
            assert payload["action"] == "converted_to_draft"
        elif host == "gitlab":
            title = payload["object_attributes"]["title"]
            payload["object_attributes"].update(draft=True, title="Draft: " + title)
            payload["changes"] = {
                "draft": {"previous": False, "current": True},
                "title": {"previous": title, "current": "Draft: " + title},
            }
        else:
            title = payload["pull_request"]["title"]
            payload["pull_request"]["title"] = "WIP: " + title
            payload["changes"] = {"title": {"from": title}}

    return edit


async def test_a_draft_pauses_the_clock(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    await set_sla(pg)
    pr_id = PR_IDS[host]
    await open_pr(bot, pg, host)
    await run(bot, 0.5)
    drafted = await bot.post(host, DRAFT_AGAIN[host][0], edit=back_to_draft(host))
    assert drafted.status_code == 200 and "to_draft" in drafted.json()["actions"]
    await run(bot, 24)
    assert await replies(pg, pr_id) == []
    ready = await bot.post(host, DRAFT_AGAIN[host][1])
    assert ready.status_code == 200
    await run(bot, 0.4)
    assert await replies(pg, pr_id) == []
    await run(bot, 0.2)
    assert len(await replies(pg, pr_id)) == 2  # both reviewers, 1 h of unpaused time


async def test_nothing_happens_on_merged_or_closed_prs(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    await set_sla(pg)
    before = await open_pr(bot, pg, host)
    closing = {
        "github": "pull_request__closed",
        "gitlab": "merge_request__merge",
        "gitea": "pull_request__closed",
    }[host]
    assert (await bot.post(host, closing)).status_code == 200
    await run(bot, 48)
    assert await replies(pg, PR_IDS[host]) == []
    assert await reviewers(pg, PR_IDS[host]) == before


async def test_two_schedulers_never_nudge_twice_and_a_restart_repeats_nothing(
    make_bot: BotFactory, bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    await set_sla(pg, escalate_after=None)
    pr_id = PR_IDS[host]
    await open_pr(bot, pg, host)
    bot.clock.advance(1.5 * 3600)
    services = bot.app.state.services
    schedulers = [
        ReviewScheduler(
            bot.app.state.review_scheduler.db,
            services.deliveries.chooser,
            services.deliveries.changes,
            clock=bot.clock,
        )
        for _ in range(4)
    ]
    await asyncio.gather(*(s.run_pass() for s in schedulers), *(s.run_pass() for s in schedulers))
    assert len(await replies(pg, pr_id)) == 2
    async with make_bot() as restarted:  # another instance, or this one after a restart
        restarted.clock.now = bot.clock.now
        await run(restarted, 10)
    assert len(await replies(pg, pr_id)) == 2


async def test_stats_show_time_to_first_response_and_breaches(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    await set_sla(pg, escalate_after=None, nudge=False)
    first, second = await open_pr(bot, pg, host)
    bot.clock.advance(1800)
    await review(bot, host, first)
    await run(bot, 1.0)  # 1.5 h: the second reviewer is late (no nudge asked: no comment)
    assert await replies(pg, PR_IDS[host]) == []
    stats = (await bot.client.get("/stats", params={"team_name": "backend"})).json()
    users = {u["user_id"]: u["reviews"] for u in stats["users"]}
    assert users[first]["time_to_first_response"]["p50_seconds"] == pytest.approx(1800, abs=1)
    assert users[first]["sla_breaches"] == 0 and users[second]["sla_breaches"] == 1
    assert users[second]["time_to_first_response"]["p50_seconds"] is None
    (team,) = stats["teams"]
    assert team["reviews"]["requests"] == 2 and team["reviews"]["responses"] == 1
    assert team["reviews"]["sla_breaches"] == 1
    explained = await bot.client.get(
        "/pullRequest/explain", params={"pull_request_id": PR_IDS[host]}
    )
    assert ("late", second) in [
        (e["event"], e.get("user_id")) for e in explained.json()["follow_up"]
    ]


@pytest.mark.parametrize("host", ["github"])  # the clock is host-independent
async def test_the_clock_runs_in_working_hours_only(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    await set_sla(pg, hours="09:00-17:00")  # UTC, mon-fri
    await pg.execute("UPDATE users SET timezone = 'Europe/Berlin' WHERE team_name = 'backend'")
    bot.clock.now = datetime(2027, 1, 8, 15, 30, tzinfo=UTC)  # Friday 16:30 in Berlin
    await open_pr(bot, pg, host)
    await run(bot, 2)  # Friday 18:30 Berlin: half an hour of work used
    assert await replies(pg, PR_IDS[host]) == []
    bot.clock.now = datetime(2027, 1, 11, 8, 29, tzinfo=UTC)  # Monday 09:29 Berlin
    await run(bot)
    assert await replies(pg, PR_IDS[host]) == []
    bot.clock.now = datetime(2027, 1, 11, 8, 31, tzinfo=UTC)  # Monday 09:31 Berlin
    await run(bot)
    assert len(await replies(pg, PR_IDS[host])) == 2


@pytest.mark.parametrize("host", ["github"])
async def test_a_reopened_pr_is_followed_up_again(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    await set_sla(pg, escalate_after=None)
    await open_pr(bot, pg, host)
    await bot.post(host, "pull_request__closed__unmerged")
    await run(bot, 0.5)  # closed: looked at once, then left alone
    assert await pg.fetchval("SELECT count(*) FROM review_requests WHERE due_at IS NOT NULL") == 0
    assert (await bot.post(host, "pull_request__reopened")).status_code == 200
    await run(bot, 0.6)
    assert await replies(pg, PR_IDS[host]) == []  # the half hour closed does not count
    await run(bot, 0.5)
    assert len(await replies(pg, PR_IDS[host])) == 2


async def test_an_escalation_never_brings_back_who_released_the_review(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    await set_sla(pg, escalate_after=HOUR, nudge=False)
    pr_id = PR_IDS[host]
    first, second = await open_pr(bot, pg, host)
    third = ({"bob", "carol", "dave"} - {first, second}).pop()
    answer, _ = await comment(bot, host, "@reviewbot release", author=first)
    assert answer.status_code == 200, answer.text
    assert await reviewers(pg, pr_id) == [third, second]
    await pg.execute(
        "UPDATE review_requests SET requested_at = $2 WHERE pull_request_id = $1",
        pr_id,
        bot.clock.now,
    )

    await run(bot, 1.1)  # both are silent past escalate_after; only the one who left is free
    assert await reviewers(pg, pr_id) == [third, second]
    escalations = [t for t in await replies(pg, pr_id) if t.startswith("⏰")]
    assert len(escalations) == 2
    assert all("nobody else in the team is available" in t for t in escalations)
