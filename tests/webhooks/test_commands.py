"""Comment commands end to end on every host: signed comment deliveries, real PostgreSQL
and Redis, the reaction, reply and reviewer changes drained through the outbox to respx
fakes of each host's documented endpoints."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
import respx

from bot.hosts.registry import HOSTS
from tests.webhooks.commands_kit import (
    OK,
    PR_IDS,
    REFUSED,
    FakeHost,
    comment,
    fake_host,
    handle,
    open_pr,
)
from tests.webhooks.conftest import Bot, outbox_rows, reviewers

BACKEND = {"bob", "carol", "dave"}  # alice writes the PRs


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


async def add_members(bot: Bot, pg: asyncpg.Pool, *user_ids: str, active: bool = True) -> None:
    for user_id in user_ids:
        await pg.execute(
            "INSERT INTO users (user_id, username, team_name, is_active)"
            " VALUES ($1, $1, 'backend', $2)",
            user_id,
            active,
        )
    await bot.app.state.services.deliveries.directory.invalidate({"backend"})


async def events(pg: asyncpg.Pool, pr_id: str) -> list[dict[str, Any]]:
    rows = await pg.fetch(
        "SELECT kind, user_id, replaced_user_id, source, explain FROM assignment_events"
        " WHERE pull_request_id = $1 ORDER BY id",
        pr_id,
    )
    return [
        {**dict(r), "explain": json.loads(r["explain"]) if r["explain"] else None} for r in rows
    ]


def on_host(fake: FakeHost, host: str, user_id: str) -> bool:
    """Whether the fake host was asked to request ``user_id`` as a reviewer."""
    if host == "gitlab":
        assert fake.mr is not None
        return fake.mr.known[handle(host, user_id)] in fake.mr.reviewer_ids
    return handle(host, user_id) in fake.requested


async def test_help_reacts_and_replies_with_the_table(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    response, cid = await comment(bot, host, "@reviewbot help", "mallory")  # anyone may
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "applied" and body["reaction"] == "ok"
    assert await pg.fetchval("SELECT count(*) FROM pull_requests") == 0  # help needs no PR
    await bot.drain()
    assert fake.last_reaction(cid) == OK[host]
    [reply] = fake.replies
    assert "r? @handle" in reply and "@reviewbot away until YYYY-MM-DD" in reply
    assert {r["state"] for r in await outbox_rows(pg)} == {"done"}


async def test_r_handle_requests_that_member_and_records_why(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    [first] = await open_pr(bot, pg, host, count=1)
    target = sorted(BACKEND - {first})[0]
    response, cid = await comment(bot, host, f"r? @{handle(host, target)}", "alice")
    assert response.json()["reaction"] == "ok", response.text
    pr_id = PR_IDS[host]
    assert await reviewers(pg, pr_id) == [first, target]
    last = (await events(pg, pr_id))[-1]
    assert last["source"] == "command" and last["user_id"] == target
    reason = last["explain"]["reason"]
    assert reason == {
        "command": f"r? @{handle(host, target)}",
        "by": handle(host, "alice"),
        "word": "r?",
    }
    explained = await bot.client.get("/pullRequest/explain", params={"pull_request_id": pr_id})
    assert explained.status_code == 200
    assert explained.json()["assignments"][-1]["explain"]["reason"] == reason
    await bot.drain()
    assert on_host(fake, host, target)
    assert fake.last_reaction(cid) == OK[host]
    assert fake.replies == [f"Requested @{handle(host, target)}."]


async def test_r_handle_on_a_full_pr_replaces_the_newest_picked_reviewer(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    first, second = await open_pr(bot, pg, host)
    [target] = BACKEND - {first, second}
    response, _ = await comment(bot, host, f"r? @{handle(host, target)}", "alice")
    assert response.json()["reaction"] == "ok"
    assert await reviewers(pg, PR_IDS[host]) == [first, target]  # the seat of the newest
    await bot.drain()
    assert f"It replaces @{handle(host, second)}" in fake.replies[0]
    if host != "gitlab":
        assert fake.removed == [handle(host, second)]


async def test_r_on_a_full_pr_nobody_reviewbot_picked_is_refused(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    first, second = await open_pr(bot, pg, host)
    # As if a person had requested both on the host: nobody reviewbot picked to make room.
    await pg.execute("UPDATE assignment_events SET explain = NULL, source = 'host'")
    [target] = BACKEND - {first, second}
    response, cid = await comment(bot, host, f"r? @{handle(host, target)}", "alice")
    assert response.json()["reaction"] == "refused"
    assert await reviewers(pg, PR_IDS[host]) == [first, second]
    await bot.drain()
    assert fake.last_reaction(cid) == REFUSED[host]
    assert "none of them was picked by reviewbot" in fake.replies[0]


REFUSALS = [
    # (command, commenter, what the reply says)
    ("r? @nobody-here", "alice", "no member has the {host} handle @nobody-here"),
    ("r? @{alice}", "alice", "wrote this pull request"),
    ("r? @{dave}", "erin", "only the author, its reviewers and the author's team"),
    ("r? @{dave}", "mallory", "not a member reviewbot knows"),
    ("r? @gone", "alice", "@gone is inactive"),
    ("r? nosuchteam", "alice", "there is no team 'nosuchteam'"),
    ("@reviewbot reroll", "erin", "only the author and its reviewers may reroll"),
    ("@reviewbot release", "alice", "only a current reviewer may release"),
    ("@reviewbot away until 2020-01-01", "bob", "is in the past"),
    ("@reviewbot away until 2026-02-30", "bob", "not a calendar day"),
    ("@reviewbot away until 2099-01-01", "mallory", "not a member reviewbot knows"),
    ("@reviewbot dance", "bob", "unknown command 'dance'"),
    ("@reviewbot back", "mallory", "not a member reviewbot knows"),
    ("@reviewbot explain now", "bob", "takes no arguments"),
]


async def test_refused_commands_change_nothing_and_say_why(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    await add_members(bot, pg, "gone", active=False)
    [first] = await open_pr(bot, pg, host, count=1)
    await pg.execute("UPDATE outbox SET state = 'done'")
    before = await events(pg, PR_IDS[host])
    names = {u: handle(host, u) for u in ("alice", "dave")}
    for text, author, says in REFUSALS:
        line = text.format(**names)
        response, cid = await comment(bot, host, line, author)
        assert response.json()["reaction"] == "refused", (line, response.text)
        await bot.drain()
        assert fake.last_reaction(cid) == REFUSED[host], line
        assert says.format(host=host) in fake.replies[-1], (line, fake.replies[-1])
        assert "Correct form: `" in fake.replies[-1]
    assert await reviewers(pg, PR_IDS[host]) == [first]
    assert await events(pg, PR_IDS[host]) == before
    assert await pg.fetchval("SELECT count(*) FROM user_away") == 0
    assert {r["kind"] for r in await outbox_rows(pg)} == {"request", "react", "reply"}


async def test_r_team_adds_one_chosen_from_that_team(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    [first] = await open_pr(bot, pg, host, count=1)
    response, _ = await comment(bot, host, "r? design", "bob")  # a teammate of the author
    assert response.json()["reaction"] == "ok", response.text
    assert await reviewers(pg, PR_IDS[host]) == [first, "erin"]
    last = (await events(pg, PR_IDS[host]))[-1]
    assert last["explain"]["strategy"] == "random"  # chosen by the team's strategy
    assert last["explain"]["reason"]["command"] == "r? design"
    await bot.drain()
    assert on_host(fake, host, "erin")
    assert fake.replies == ["Requested @erin from team design."]


async def test_reroll_replaces_every_picked_reviewer_never_repicking_them(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    await add_members(bot, pg, "frank", "gina", "hank")
    old = await open_pr(bot, pg, host)
    response, cid = await comment(bot, host, "@reviewbot reroll", "alice")
    assert response.json()["reaction"] == "ok", response.text
    new = await reviewers(pg, PR_IDS[host])
    assert len(new) == 2 and not set(new) & set(old) and "alice" not in new
    await bot.drain()
    assert fake.last_reaction(cid) == OK[host]
    assert fake.replies[0].startswith("Rerolled: ")
    assert all(on_host(fake, host, u) for u in new)


async def test_release_hands_the_review_to_someone_else(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    first, second = await open_pr(bot, pg, host)
    [free] = BACKEND - {first, second}
    response, _ = await comment(bot, host, "@reviewbot release", first)
    assert response.json()["reaction"] == "ok", response.text
    assert await reviewers(pg, PR_IDS[host]) == [free, second]
    await bot.drain()
    assert fake.replies == [f"@{handle(host, first)} handed the review to @{handle(host, free)}."]
    # Nobody left to take over: refused, nothing changes.
    await pg.execute("UPDATE users SET is_active = false WHERE user_id = $1", first)
    await bot.app.state.services.deliveries.directory.invalidate({"backend"})
    refused, _ = await comment(bot, host, "@reviewbot release", second)
    assert refused.json()["reaction"] == "refused"
    assert await reviewers(pg, PR_IDS[host]) == [free, second]


async def test_away_and_back_are_set_by_the_member(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    until = (datetime.now(UTC) + timedelta(days=3)).date()
    response, _ = await comment(bot, host, f"@reviewbot away until {until}", "bob")
    assert response.json()["reaction"] == "ok", response.text
    row = await pg.fetchrow("SELECT first_day, last_day, source FROM user_away")
    assert dict(row) == {"first_day": None, "last_day": until, "source": "command"}
    assert set(await open_pr(bot, pg, host)) == {"carol", "dave"}  # bob is not chosen
    back, _ = await comment(bot, host, "@reviewbot back", "bob")
    assert back.json()["reaction"] == "ok"
    assert await pg.fetchval("SELECT count(*) FROM user_away") == 0
    await bot.drain()
    assert f"is away up to and including {until}" in fake.replies[0]
    assert fake.replies[1] == "Welcome back, @bob."


async def test_explain_says_why_each_reviewer_was_chosen(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    chosen = await open_pr(bot, pg, host)
    response, _ = await comment(bot, host, "@reviewbot explain", "mallory")
    assert response.json()["reaction"] == "ok"
    await bot.drain()
    [reply] = fake.replies
    for user_id in chosen:
        assert f"@{handle(host, user_id)}: assigned (webhook); strategy random" in reply
    assert "alice (author)" in reply


async def test_a_merged_pr_takes_no_reviewer_change(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    chosen = await open_pr(bot, pg, host)
    await pg.execute("UPDATE pull_requests SET status = 'MERGED', merged_at = now()")
    response, _ = await comment(bot, host, "@reviewbot reroll", "alice")
    assert response.json()["reaction"] == "refused"
    assert await reviewers(pg, PR_IDS[host]) == chosen
    await bot.drain()
    assert "the pull request is merged" in fake.replies[0]


async def test_several_commands_run_in_order_with_one_reaction_and_one_reply(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    [first] = await open_pr(bot, pg, host, count=1)
    target = sorted(BACKEND - {first})[0]
    text = f"Let's get a second pair of eyes.\n\nr? @{handle(host, target)}\nr? @nobody-here\n"
    response, cid = await comment(bot, host, text, "alice")
    body = response.json()
    assert body["commands"] == [f"r? @{handle(host, target)}", "r? @nobody-here"]
    assert body["reaction"] == "refused"  # one of them was
    assert await reviewers(pg, PR_IDS[host]) == [first, target]  # the other one ran
    await bot.drain()
    assert fake.reactions[cid] == [REFUSED[host]]
    [reply] = fake.replies
    assert reply.index("Requested @") < reply.index("❌ `r? @nobody-here`")


@pytest.mark.parametrize(
    "text",
    [
        "```\nr? @bob\n```",
        "> r? @bob\n> @reviewbot reroll",
        "I think @reviewbot reroll would help",
        "LGTM",
    ],
)
async def test_code_blocks_quotes_and_prose_are_no_commands(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost, text: str
) -> None:
    await open_pr(bot, pg, host, count=1)
    response, _ = await comment(bot, host, text, "alice")
    assert response.status_code == 202
    assert response.json() == {"status": "ignored", "reason": "the comment holds no command"}
    assert {r["kind"] for r in await outbox_rows(pg)} == {"request"}


@pytest.mark.parametrize("account", ["reviewbot", "reviewbot[bot]", "ReviewBot"])
async def test_the_bots_own_comments_are_ignored(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost, account: str
) -> None:
    response, _ = await comment(bot, host, "@reviewbot help\n\n| `r? @handle` |", account)
    assert response.status_code == 202 and "reviewbot itself" in response.json()["reason"]
    assert await outbox_rows(pg) == []
    assert await pg.fetchval("SELECT count(*) FROM webhook_deliveries") == 0


async def test_a_redelivered_comment_does_nothing_twice(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    [first] = await open_pr(bot, pg, host, count=1)
    target = sorted(BACKEND - {first})[0]
    line = f"r? @{handle(host, target)}"
    once, cid = await comment(bot, host, line, "alice", delivery="same-delivery")
    again, _ = await comment(bot, host, line, "alice", delivery="same-delivery", comment_id=cid)
    assert once.json()["status"] == "applied"
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    rows = await outbox_rows(pg)
    assert [r["kind"] for r in rows] == ["request", "request", "react", "reply"]
    await bot.drain()
    assert fake.reactions[cid] == [OK[host]] and len(fake.replies) == 1


async def test_the_same_comment_under_a_new_delivery_id_does_nothing_twice(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    """A host that resends with a fresh delivery id (GitLab's event UUID, a manual redeliver
    of a copied payload) still carries the comment's id: that is what runs once."""
    [first] = await open_pr(bot, pg, host, count=1)
    line = "@reviewbot reroll"
    once, cid = await comment(bot, host, line, "alice", delivery="first-delivery")
    after_once = await reviewers(pg, PR_IDS[host])
    again, _ = await comment(bot, host, line, "alice", delivery="other-delivery", comment_id=cid)
    assert once.json()["status"] == "applied", once.text
    assert after_once != [first] and await reviewers(pg, PR_IDS[host]) == after_once
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    rows = await outbox_rows(pg)
    assert [r["kind"] for r in rows].count("react") == 1
    await bot.drain()
    assert fake.reactions[cid] == [OK[host]]


async def test_a_command_on_an_unseen_pr_records_it_first(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    response, _ = await comment(bot, host, "r? @bob", "alice")
    assert response.json()["reaction"] == "ok", response.text
    pr = await pg.fetchrow("SELECT author_id, status, pull_request_name FROM pull_requests")
    assert dict(pr) == {
        "author_id": "alice",
        "status": "OPEN",
        "pull_request_name": "Add a sprocket to every widget",
    }
    assert await reviewers(pg, PR_IDS[host]) == ["bob"]
    await bot.drain()
    assert on_host(fake, host, "bob")


async def test_an_unseen_merged_pr_is_recorded_merged_and_refuses_changes(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    def merged(payload: dict[str, Any]) -> None:
        if host == "gitlab":
            payload["merge_request"]["state"] = "merged"
        else:
            payload["issue"]["state"] = "closed"
            payload["issue"]["pull_request"]["merged_at"] = "2026-11-03T10:00:00Z"
            payload["issue"]["pull_request"]["merged"] = True

    response, _ = await comment(bot, host, "r? @bob", "alice", edit=merged)
    assert response.json()["reaction"] == "refused"
    assert await pg.fetchval("SELECT status FROM pull_requests") == "MERGED"
    assert await reviewers(pg, PR_IDS[host]) == []


async def test_an_unseen_pr_by_a_stranger_is_still_answered(
    bot: Bot, pg: asyncpg.Pool, host: str, fake: FakeHost
) -> None:
    def stranger(payload: dict[str, Any]) -> None:
        if host == "gitlab":
            payload["merge_request"]["author_id"] = 66  # nobody reviewbot knows
        else:
            payload["issue"]["user"]["login"] = "mallory"

    response, cid = await comment(bot, host, "r? @bob\n@reviewbot explain", "bob", edit=stranger)
    assert response.json()["reaction"] == "refused"
    assert await pg.fetchval("SELECT count(*) FROM pull_requests") == 0
    await bot.drain()
    assert fake.last_reaction(cid) == REFUSED[host]
    assert "no record of this pull request" in fake.replies[0]


async def test_a_person_undoing_a_command_on_the_host_is_mirrored(
    bot: Bot, pg: asyncpg.Pool, github_api: respx.MockRouter
) -> None:
    fake = fake_host("github", github_api, github_api, github_api)
    [first] = await open_pr(bot, pg, "github", count=1)
    target = "carol" if first != "carol" else "dave"
    await comment(bot, "github", f"r? @{handle('github', target)}", "alice")
    assert target in await reviewers(pg, PR_IDS["github"])

    def removed(payload: dict[str, Any]) -> None:
        payload["requested_reviewer"]["login"] = handle("github", target)

    response = await bot.post("github", "pull_request__review_request_removed", edit=removed)
    assert response.status_code == 200, response.text
    assert await reviewers(pg, PR_IDS["github"]) == [first]  # never fight people
    await bot.drain()
    assert fake.removed == []  # a copy of what a person did is not sent back
