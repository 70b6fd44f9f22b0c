"""Suggest and off modes on each host: a comment instead of reviewer requests, edited (never
repeated) when the suggestion changes; off posts nothing. Real PostgreSQL and Redis; the
hosts are respx fakes answering in their documented shapes (a created comment / note
carries its ``id``)."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field

import asyncpg
import httpx
import pytest
import respx

from bot.core.suggestion import MARK
from tests.webhooks.commands_kit import OPEN_FIXTURE, PR_IDS, comment, handle
from tests.webhooks.conftest import Bot, outbox_rows, reviewers
from tests.webhooks.test_gitlab import MR_PATH, FakeMergeRequest

HOSTS = ("github", "gitlab", "gitea")
REOPEN_FIXTURE = {
    "github": "pull_request__reopened",
    "gitlab": "merge_request__reopen",
    "gitea": "pull_request__reopened",
}
_ids = itertools.count(900001)


@dataclass
class CommentHost:
    """Comments by id as the host keeps them; every reviewer request it receives."""

    comments: dict[int, str] = field(default_factory=dict)
    created: list[int] = field(default_factory=list)
    edits: list[int] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    def create(self, request: httpx.Request) -> httpx.Response:
        cid = next(_ids)
        body = json.loads(request.content)["body"]
        self.comments[cid] = body
        self.created.append(cid)
        return httpx.Response(201, json={"id": cid, "body": body})

    def edit(self, request: httpx.Request, cid: str) -> httpx.Response:
        if int(cid) not in self.comments:
            return httpx.Response(404, json={"message": "Not Found"})
        body = json.loads(request.content)["body"]
        self.comments[int(cid)] = body
        self.edits.append(int(cid))
        return httpx.Response(200, json={"id": int(cid), "body": body})

    def request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(201, json={})


def fake(
    host: str, github: respx.MockRouter, gitlab: respx.MockRouter, gitea: respx.MockRouter
) -> CommentHost:
    found = CommentHost()
    if host == "gitlab":
        mr = FakeMergeRequest(gitlab)
        mr.put_route.mock(side_effect=found.request)
        decoded = MR_PATH.replace("%2F", "/")
        gitlab.post(MR_PATH + "/notes").mock(side_effect=found.create)
        gitlab.put(path__regex=decoded + r"/notes/(?P<cid>\d+)$").mock(side_effect=found.edit)
        return found
    router, number = (github, 7) if host == "github" else (gitea, 3)
    base = "/repos/acme/widgets"
    router.post(f"{base}/issues/{number}/comments").mock(side_effect=found.create)
    router.patch(path__regex=base + r"/issues/comments/(?P<cid>\d+)$").mock(side_effect=found.edit)
    router.post(f"{base}/pulls/{number}/requested_reviewers").mock(side_effect=found.request)
    router.post(path__regex=base + r"/issues/comments/(?P<cid>\d+)/reactions").mock(
        return_value=httpx.Response(201, json={"id": 1})
    )
    return found


async def set_mode(bot: Bot, pg: asyncpg.Pool, mode: str) -> None:
    await pg.execute("UPDATE teams SET mode = $1 WHERE team_name = 'backend'", mode)
    await bot.app.state.services.deliveries.directory.invalidate({"backend"})


@pytest.mark.parametrize("host", HOSTS)
async def test_suggest_mode_comments_instead_of_requesting(
    bot: Bot,
    pg: asyncpg.Pool,
    host: str,
    github_api: respx.MockRouter,
    gitlab_api: respx.MockRouter,
    gitea_api: respx.MockRouter,
) -> None:
    found = fake(host, github_api, gitlab_api, gitea_api)
    await set_mode(bot, pg, "suggest")
    opened = await bot.post(host, OPEN_FIXTURE[host])
    assert opened.status_code == 200, opened.text
    suggested = opened.json()["suggested"]
    assert len(suggested) == 2 and "alice" not in suggested
    assert opened.json()["assigned"] == []
    await bot.drain()
    pr_id = PR_IDS[host]
    assert await reviewers(pg, pr_id) == [], "nothing counts as a review or as load"
    assert found.requests == [], "nothing is requested on the host"
    assert len(found.created) == 1 and found.edits == []
    text = found.comments[found.created[0]]
    assert text.startswith(MARK)
    named = " and ".join(f"@{handle(host, u)}" for u in suggested)
    assert f"reviewbot would request {named} (team backend, random)." in text
    stored = await pg.fetchrow("SELECT reviewers, comment_id FROM pr_suggestions")
    assert list(stored["reviewers"]) == suggested and stored["comment_id"] == found.created[0]

    # The same PR again under a new delivery id: the suggestion stands, nothing is posted.
    again = await bot.post(host, REOPEN_FIXTURE[host])
    assert again.status_code == 200 and again.json()["suggested"] == suggested
    assert "suggestion_posted" not in again.json()
    await bot.drain()
    assert len(found.created) == 1 and found.edits == []

    # A suggested member is deactivated: the next event suggests someone else, by editing.
    gone = suggested[0]
    await bot.client.post("/users/setIsActive", json={"user_id": gone, "is_active": False})
    changed = await bot.post(host, REOPEN_FIXTURE[host])
    now = changed.json()["suggested"]
    assert gone not in now and suggested[1] in now and len(now) == 2
    await bot.drain()
    assert len(found.created) == 1, "edited, not repeated"
    assert found.edits == [found.created[0]]
    assert f"@{handle(host, gone)}" not in found.comments[found.created[0]]
    assert found.requests == []
    assert all(r["state"] == "done" for r in await outbox_rows(pg))


@pytest.mark.parametrize("host", HOSTS)
async def test_off_mode_records_and_posts_nothing(
    bot: Bot,
    pg: asyncpg.Pool,
    host: str,
    github_api: respx.MockRouter,
    gitlab_api: respx.MockRouter,
    gitea_api: respx.MockRouter,
) -> None:
    found = fake(host, github_api, gitlab_api, gitea_api)
    await set_mode(bot, pg, "off")
    opened = await bot.post(host, OPEN_FIXTURE[host])
    assert opened.status_code == 200, opened.text
    assert "team mode off: nothing chosen, nothing posted" in opened.json()["notes"]
    await bot.drain()
    assert await outbox_rows(pg) == []
    assert found.created == [] and found.requests == []
    # Recorded for history and statistics.
    assert (
        await pg.fetchval(
            "SELECT count(*) FROM pull_requests WHERE pull_request_id = $1", PR_IDS[host]
        )
        == 1
    )


async def test_switching_to_assign_applies_to_new_events_only(
    bot: Bot,
    pg: asyncpg.Pool,
    github_api: respx.MockRouter,
    gitlab_api: respx.MockRouter,
    gitea_api: respx.MockRouter,
) -> None:
    found = fake("github", github_api, gitlab_api, gitea_api)
    await set_mode(bot, pg, "suggest")
    await bot.post("github", OPEN_FIXTURE["github"])
    await bot.drain()
    assert found.requests == []
    await set_mode(bot, pg, "assign")
    # Nothing is replayed: the suggestion stays a comment until the PR's next event...
    assert await reviewers(pg, PR_IDS["github"]) == []
    reopened = await bot.post("github", REOPEN_FIXTURE["github"])
    # ...which assigns as in assign mode.
    assert len(reopened.json()["assigned"]) == 2
    await bot.drain()
    assert len(found.requests) == 1


async def test_reroll_in_suggest_mode_draws_a_new_suggestion(
    bot: Bot,
    pg: asyncpg.Pool,
    github_api: respx.MockRouter,
    gitlab_api: respx.MockRouter,
    gitea_api: respx.MockRouter,
) -> None:
    found = fake("github", github_api, gitlab_api, gitea_api)
    await set_mode(bot, pg, "suggest")
    old = (await bot.post("github", OPEN_FIXTURE["github"])).json()["suggested"]
    await bot.drain()
    answer, _ = await comment(bot, "github", "@reviewbot reroll", "alice")
    assert answer.status_code == 200, answer.text
    await bot.drain()
    (left,) = {"bob", "carol", "dave"} - set(old)
    stored = await pg.fetchval("SELECT reviewers FROM pr_suggestions")
    assert list(stored) == [left, old[1]]
    suggestion = found.comments[found.created[0]]
    assert f"@{handle('github', left)}" in suggestion, "the one comment is edited"
    assert found.edits == [found.created[0]]
    replies = [found.comments[c] for c in found.created[1:]]
    assert replies and "New suggestion:" in replies[0]
    assert found.requests == [] and await reviewers(pg, PR_IDS["github"]) == []
