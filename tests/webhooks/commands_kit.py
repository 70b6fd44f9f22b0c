"""Test kit for comment commands: a stateful respx fake of each host's comment, reaction and
reviewer endpoints, and helpers to open a PR and post a comment as someone."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import respx

from tests.webhooks.conftest import Bot, reviewers
from tests.webhooks.test_gitlab import MR_PATH, FakeMergeRequest

PR_IDS = {
    "github": "github:acme/widgets#7",
    "gitlab": "gitlab:acme/platform/widgets!12",
    "gitea": "gitea:acme/widgets#3",
}
OPEN_FIXTURE = {
    "github": "pull_request__opened",
    "gitlab": "merge_request__open",
    "gitea": "pull_request__opened",
}
COMMENT_FIXTURE = {
    "github": "issue_comment__created",
    "gitlab": "note__merge_request",
    "gitea": "issue_comment__created",
}
# What each host calls 👍 and 😕.
OK = {"github": "+1", "gitlab": "thumbsup", "gitea": "+1"}
REFUSED = {"github": "confused", "gitlab": "confused", "gitea": "confused"}
# Handles of the members on each host (tests/webhooks/conftest.py HANDLES; others: user id).
SUFFIX = {"github": "-gh", "gitlab": "-gl", "gitea": "-gt"}
GITLAB_IDS = {"alice-gl": 51, "bob": 52, "carol-gl": 53, "dave": 54, "erin": 55, "mallory": 66}

_comment_ids = itertools.count(500000)


def handle(host: str, user_id: str) -> str:
    return user_id + SUFFIX[host] if user_id in ("alice", "carol") else user_id


@dataclass
class FakeHost:
    """Records what reviewbot sends: reactions by comment id, replies, reviewer calls."""

    host: str
    reactions: dict[int, list[str]] = field(default_factory=dict)
    replies: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    mr: FakeMergeRequest | None = None

    def react(self, request: httpx.Request, cid: str) -> httpx.Response:
        body = json.loads(request.content)
        self.reactions.setdefault(int(cid), []).append(body.get("content") or body.get("name"))
        return httpx.Response(201, json={"id": 1})

    def reply(self, request: httpx.Request) -> httpx.Response:
        self.replies.append(json.loads(request.content)["body"])
        return httpx.Response(201, json={"id": 2})

    def reviewers(self, request: httpx.Request) -> httpx.Response:
        names = json.loads(request.content)["reviewers"]
        (self.requested if request.method == "POST" else self.removed).extend(names)
        return httpx.Response(201, json={})

    def last_reaction(self, comment_id: int) -> str | None:
        found = self.reactions.get(comment_id)
        return found[-1] if found else None


def fake_host(
    host: str, github: respx.MockRouter, gitlab: respx.MockRouter, gitea: respx.MockRouter
) -> FakeHost:
    fake = FakeHost(host)
    if host == "gitlab":
        fake.mr = FakeMergeRequest(gitlab)
        fake.mr.known.update(GITLAB_IDS)
        # respx matches a regex against the decoded path ('%2F' read as '/').
        mr_path = MR_PATH.replace("%2F", "/")
        gitlab.post(path__regex=mr_path + r"/notes/(?P<cid>\d+)/award_emoji").mock(
            side_effect=fake.react
        )
        gitlab.post(MR_PATH + "/notes").mock(side_effect=fake.reply)
        return fake
    router, number = (github, 7) if host == "github" else (gitea, 3)
    base = "/repos/acme/widgets"
    router.post(path__regex=base + r"/issues/comments/(?P<cid>\d+)/reactions").mock(
        side_effect=fake.react
    )
    router.post(f"{base}/issues/{number}/comments").mock(side_effect=fake.reply)
    path = f"{base}/pulls/{number}/requested_reviewers"
    router.post(path).mock(side_effect=fake.reviewers)
    router.delete(path).mock(side_effect=fake.reviewers)
    return fake


def comment_edit(host: str, body: str, author: str, comment_id: int) -> Any:
    """An edit of the comment fixture: ``author`` (a user id of the test team, or any
    handle) writes ``body``."""
    login = handle(host, author)

    def edit(payload: dict[str, Any]) -> None:
        if host == "gitlab":
            payload["object_attributes"].update(note=body, id=comment_id)
            payload["user"] = {"id": GITLAB_IDS.get(login, 99), "username": login, "name": login}
        else:
            payload["comment"].update(body=body, id=comment_id)
            payload["comment"]["user"]["login"] = login
            payload["sender"]["login"] = login

    return edit


async def comment(
    bot: Bot,
    host: str,
    body: str,
    author: str = "alice",
    *,
    delivery: str | None = None,
    comment_id: int | None = None,
    edit: Any = None,
) -> tuple[httpx.Response, int]:
    cid = comment_id or next(_comment_ids)
    base = comment_edit(host, body, author, cid)

    def both(payload: dict[str, Any]) -> None:
        base(payload)
        if edit is not None:
            edit(payload)

    response = await bot.post(host, COMMENT_FIXTURE[host], delivery=delivery, edit=both)
    return response, cid


async def open_pr(bot: Bot, pg: asyncpg.Pool, host: str, count: int = 2) -> list[str]:
    """Deliver the host's "opened" event with the team asking for ``count`` reviewers."""
    if count != 2:
        await pg.execute("UPDATE teams SET reviewers = $1 WHERE team_name = 'backend'", count)
        await bot.app.state.services.deliveries.directory.invalidate({"backend"})
    response = await bot.post(host, OPEN_FIXTURE[host])
    assert response.status_code == 200, response.text
    return await reviewers(pg, PR_IDS[host])
