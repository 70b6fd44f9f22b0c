"""One vocabulary of skip reasons, whichever path assigned the reviewers (issue 12, point 8)."""

from __future__ import annotations

from typing import Any

import httpx
import respx

from bot.core.selection import Skip
from tests.webhooks.conftest import Bot

VOCABULARY = {reason.value for reason in Skip}


async def _skipped(bot: Bot, pr_id: str) -> list[dict[str, Any]]:
    response = await bot.client.get("/pullRequest/explain", params={"pull_request_id": pr_id})
    assert response.status_code == 200, response.text
    assignments = response.json()["assignments"]
    assert assignments
    return [s for a in assignments for s in a["explain"]["skipped"]]


async def test_the_author_is_skipped_as_author_on_the_webhook_and_rest_paths(
    bot: Bot, github_api: respx.MockRouter
) -> None:
    github_api.post(path__regex=r"/requested_reviewers$").mock(
        return_value=httpx.Response(201, json={})
    )
    hook = await bot.post("github", "pull_request__opened")
    assert hook.status_code == 200, hook.text
    rest = await bot.client.post(
        "/pullRequest/create",
        json={"pull_request_id": "pr-1", "pull_request_name": "x", "author_id": "alice"},
    )
    assert rest.status_code == 201, rest.text
    for pr_id in ("github:acme/widgets#7", "pr-1"):
        skipped = await _skipped(bot, pr_id)
        assert {"user_id": "alice", "reason": "author"} in skipped, (pr_id, skipped)
        assert {s["reason"] for s in skipped} <= VOCABULARY
    reassigned = await bot.client.post(
        "/pullRequest/reassign",
        json={"pull_request_id": "pr-1", "old_user_id": rest.json()["pr"]["assigned_reviewers"][0]},
    )
    assert reassigned.status_code == 200, reassigned.text
    reasons = {s["reason"] for s in await _skipped(bot, "pr-1")}
    assert {"author", "replaced", "already_reviewing"} <= reasons <= VOCABULARY
    explained = await bot.client.get("/pullRequest/explain", params={"pull_request_id": "pr-1"})
    last = explained.json()["assignments"][-1]["explain"]
    assert {"user_id": "alice", "reason": "author"} in last["skipped"], last
