"""GitLab merge request hooks end to end, against a stateful fake of the MR's reviewer list."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import httpx
import pytest
import respx

from tests.webhooks.conftest import Bot, outbox_rows, reviewers

PR = "gitlab:acme/platform/widgets!12"
MR_PATH = "/projects/acme%2Fplatform%2Fwidgets/merge_requests/12"
USER_IDS = {"bob": 52, "carol-gl": 53, "dave": 54}


class FakeMergeRequest:
    """GET returns the reviewers, PUT replaces them, /users resolves usernames."""

    def __init__(self, router: respx.MockRouter, reviewer_ids: list[int] | None = None) -> None:
        self.reviewer_ids = list(reviewer_ids or [])
        self.lookups: list[str] = []
        self.known = dict(USER_IDS)
        router.get(MR_PATH).mock(side_effect=self.get)
        self.put_route = router.put(MR_PATH).mock(side_effect=self.put)
        router.get("/users").mock(side_effect=self.users)

    def get(self, request: httpx.Request) -> httpx.Response:
        found = [{"id": i, "username": f"user{i}"} for i in self.reviewer_ids]
        return httpx.Response(200, json={"iid": 12, "reviewers": found})

    def put(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["private-token"] == "gl-token"
        self.reviewer_ids = json.loads(request.content)["reviewer_ids"]
        return httpx.Response(200, json={"iid": 12})

    def users(self, request: httpx.Request) -> httpx.Response:
        name = request.url.params["username"]
        self.lookups.append(name)
        found = [{"id": self.known[name], "username": name}] if name in self.known else []
        return httpx.Response(200, json=found)


@pytest.fixture
def mr(gitlab_api: respx.MockRouter) -> FakeMergeRequest:
    return FakeMergeRequest(gitlab_api, reviewer_ids=[77])  # 77: someone a human added


async def test_open_assigns_and_sets_the_full_reviewer_list(
    bot: Bot, pg: asyncpg.Pool, mr: FakeMergeRequest
) -> None:
    response = await bot.post("gitlab", "merge_request__open")
    assert response.status_code == 200, response.text
    assigned = response.json()["assigned"]
    assert len(assigned) == 2
    await bot.drain()
    handles = {"bob": "bob", "carol": "carol-gl", "dave": "dave"}
    expected = {USER_IDS[handles[u]] for u in assigned}
    assert mr.reviewer_ids[0] == 77 and set(mr.reviewer_ids[1:]) == expected  # 77 kept
    # Usernames are looked up once each, then cached.
    mr.reviewer_ids = [77]
    await pg.execute("UPDATE outbox SET state = 'pending' WHERE kind = 'request'")
    await bot.drain()
    assert sorted(mr.lookups) == sorted(handles[u] for u in assigned)


async def test_ids_seen_in_payloads_save_lookups(
    bot: Bot, pg: asyncpg.Pool, mr: FakeMergeRequest
) -> None:
    await bot.post("gitlab", "merge_request__open__draft")
    await bot.post("gitlab", "merge_request__update__reviewers")  # carol (id 53) mirrored
    assert await reviewers(pg, PR) == ["carol"]
    assert await outbox_rows(pg) == []  # a human's change is not echoed
    ready = await bot.post("gitlab", "merge_request__update__ready")
    assert len(ready.json()["assigned"]) == 1
    await bot.drain()
    assert "carol-gl" not in mr.lookups


async def test_author_known_only_by_number(bot: Bot, pg: asyncpg.Pool, mr: Any) -> None:
    def someone_else_acts(payload: dict[str, Any]) -> None:
        payload["user"] = {"id": 60, "name": "Bot", "username": "ci-bot"}

    unknown = await bot.post("gitlab", "merge_request__reopen", edit=someone_else_acts)
    assert unknown.status_code == 202 and "unknown author" in unknown.json()["reason"]
    await pg.execute("INSERT INTO gitlab_users (gitlab_id, username) VALUES (51, 'alice-gl')")
    known = await bot.post("gitlab", "merge_request__reopen", edit=someone_else_acts)
    assert known.json()["status"] == "applied"
    assert await pg.fetchval("SELECT author_id FROM pull_requests") == "alice"


async def test_merge_close_rename_and_removal(bot: Bot, pg: asyncpg.Pool, mr: Any) -> None:
    await bot.post("gitlab", "merge_request__open__draft")
    await bot.post("gitlab", "merge_request__update__reviewers")
    removed = await bot.post("gitlab", "merge_request__update__reviewer_removed")
    assert removed.json()["reviewers"] == []
    renamed = await bot.post("gitlab", "merge_request__update")
    assert renamed.json()["actions"] == ["renamed"]
    closed = await bot.post("gitlab", "merge_request__close")
    assert closed.json()["pr_status"] == "CLOSED"
    merged = await bot.post("gitlab", "merge_request__merge")
    assert merged.json()["pr_status"] == "MERGED"
    # An approval is a review response (issue 15); on a merged MR it changes nothing.
    approved = await bot.post("gitlab", "merge_request__approved")
    assert approved.status_code == 200 and approved.json()["pr_status"] == "MERGED"


async def test_wrong_token_is_401(bot: Bot) -> None:
    response = await bot.post("gitlab", "merge_request__open", secret="nope")
    assert response.status_code == 401


async def test_a_member_gitlab_does_not_know_is_replaced(
    bot: Bot, pg: asyncpg.Pool, mr: FakeMergeRequest
) -> None:
    assigned = (await bot.post("gitlab", "merge_request__open")).json()["assigned"]
    handles = {"bob": "bob", "carol": "carol-gl", "dave": "dave"}
    gone = assigned[0]
    del mr.known[handles[gone]]  # no such GitLab user (say, renamed)
    await bot.drain()
    now = await reviewers(pg, PR)
    assert gone not in now and len(now) == 2
    assert set(mr.reviewer_ids) == {77, *(USER_IDS[handles[u]] for u in now)}
    states = sorted(r["state"] for r in await outbox_rows(pg))
    assert states == ["done", "done", "replaced"]
