"""Path rules and CODEOWNERS end to end on every host: the delivery leaves a routing job
(the handler calls no host), the worker reads the changed files page by page and the
repository's CODEOWNERS, chooses, and the post-backs go out through the outbox."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
import respx

from bot.core.routing import Rule
from bot.services.deliveries import ROUTED_NOTE
from store import outbox as outbox_store
from store import routing as routing_store
from tests.conftest import add_team, member
from tests.webhooks.conftest import (
    SECRETS,
    Bot,
    end_session,
    outbox_rows,
    reviewers,
    signed_headers,
)
from tests.webhooks.rules_kit import (
    HOST_CASES,
    FakeFiles,
    HostCase,
    configure,
    contents,
    not_found,
    serve_posts,
)

HOSTS = list(HOST_CASES)
DBA = {"dora", "dan"}
BACKEND = {"bob", "carol", "dave"}  # alice is the author
RULES = [
    Rule("database", ("migrations/**", "**/*.sql"), team="dba"),
    Rule("docs", ("docs/",), members=("erin",)),
]
# Enough files for several pages on every host; the two rules' files come last.
MANY = [f"src/module_{i}.py" for i in range(140)] + ["migrations/0001_init.sql", "docs/intro.md"]
CODEOWNERS = {
    "github": "* @acme/nobody-here\nmigrations/ @acme/dba\n*.md docs@example.com\n",
    "gitlab": "[Database]\nmigrations/ @acme/dba\n",
    "gitea": "migrations/.* @acme/dba\n.*\\.md docs@example.com\n",
}


@pytest_asyncio.fixture
async def rbot(bot: Bot) -> AsyncIterator[Bot]:
    await add_team(bot.client, "dba", member("dora"), member("dan"))
    yield bot


def routers(request: pytest.FixtureRequest, host: str) -> respx.MockRouter:
    router: respx.MockRouter = request.getfixturevalue(f"{host}_api")
    return router


def _files(case: HostCase, router: respx.MockRouter, files: list[str]) -> FakeFiles:
    fake = FakeFiles(case, files)
    router.get(case.files_path).mock(side_effect=fake)
    return fake


def _no_codeowners(case: HostCase, router: respx.MockRouter) -> None:
    for loc in (
        ".github/CODEOWNERS",
        "CODEOWNERS",
        "docs/CODEOWNERS",
        ".gitlab/CODEOWNERS",
        ".gitea/CODEOWNERS",
    ):
        router.get(case.contents(loc)).mock(return_value=not_found())


async def _explain(bot: Bot, pr: str) -> dict[str, Any]:
    response = await bot.client.get("/pullRequest/explain", params={"pull_request_id": pr})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("host", HOSTS)
async def test_two_matched_rules_give_one_reviewer_each_across_pages(
    rbot: Bot, pg: asyncpg.Pool, request: pytest.FixtureRequest, host: str
) -> None:
    case, router = HOST_CASES[host], routers(request, host)
    await configure(pg, rbot.routing.router.directory, RULES)
    fake = _files(case, router, MANY)
    posts = serve_posts(case, router)
    answer = await rbot.post(host, case.opened)
    assert answer.status_code == 200, answer.text
    assert answer.json()["assigned"] == [] and ROUTED_NOTE in answer.json()["notes"]
    assert fake.pages == []  # the handler never calls the host
    assert await rbot.route() == 1
    pages = -(-len(MANY) // case.per_page)
    assert fake.pages == list(range(1, pages + 1))
    chosen = await reviewers(pg, case.pr)
    assert len(chosen) == 2 and chosen[1] == "erin" and chosen[0] in DBA
    explained = await _explain(rbot, case.pr)
    because = [a["explain"]["because"] for a in explained["assignments"]]
    assert because[0]["rule"] == "database" and because[0]["file"] == "migrations/0001_init.sql"
    assert because[1]["rule"] == "docs"
    assert explained["routing"]["files"] == len(MANY)
    assert await rbot.drain() >= 1
    assert {r["state"] for r in await outbox_rows(pg)} == {"done"}
    assert posts is not None and posts.call_count >= 1


@pytest.mark.parametrize("host", HOSTS)
async def test_the_team_tops_up_what_the_rules_leave(
    rbot: Bot, pg: asyncpg.Pool, request: pytest.FixtureRequest, host: str
) -> None:
    case, router = HOST_CASES[host], routers(request, host)
    await configure(pg, rbot.routing.router.directory, RULES)
    _files(case, router, ["src/app.py", "db/schema.sql"])
    await rbot.post(host, case.opened)
    await rbot.route()
    chosen = await reviewers(pg, case.pr)
    assert chosen[0] in DBA and chosen[1] in BACKEND
    explained = await _explain(rbot, case.pr)
    assert explained["assignments"][1]["explain"]["because"] == {"team": "backend"}


@pytest.mark.parametrize("host", HOSTS)
async def test_codeowners_team_entry_maps_to_the_reviewbot_team(
    rbot: Bot, pg: asyncpg.Pool, request: pytest.FixtureRequest, host: str
) -> None:
    case, router = HOST_CASES[host], routers(request, host)
    await configure(
        pg, rbot.routing.router.directory, [], codeowners=True, team_handles={host: "acme/dba"}
    )
    _files(case, router, ["migrations/0002.sql", "README.md"])
    _no_codeowners(case, router)
    second = {"github": "CODEOWNERS", "gitlab": "docs/CODEOWNERS", "gitea": "docs/CODEOWNERS"}[host]
    read = router.get(case.contents(second)).mock(
        return_value=contents(host, second, CODEOWNERS[host])
    )
    await rbot.post(host, case.opened)
    await rbot.route()
    chosen = await reviewers(pg, case.pr)
    assert chosen[0] in DBA and chosen[1] in BACKEND
    explained = await _explain(rbot, case.pr)
    because = explained["assignments"][0]["explain"]["because"]
    assert because["codeowners"].startswith(f"{second}:") and "@acme/dba" in because["codeowners"]
    if host != "gitlab":  # the e-mail owner is named as skipped
        assert any("docs@example.com skipped" in n for n in explained["routing"]["notes"])
    # Cached: a second PR of the repository reads the file no more.
    assert read.call_count == 1
    await pg.execute("DELETE FROM routing_jobs")
    await rbot.post(host, case.pushed)
    await rbot.route()
    assert read.call_count == 1


async def test_a_repository_without_codeowners_is_assigned_by_its_team(
    rbot: Bot, pg: asyncpg.Pool, github_api: respx.MockRouter
) -> None:
    case = HOST_CASES["github"]
    await configure(pg, rbot.routing.router.directory, [], codeowners=True)
    _files(case, github_api, ["migrations/0002.sql"])
    _no_codeowners(case, github_api)
    await rbot.post("github", case.opened)
    await rbot.route()
    assert set(await reviewers(pg, case.pr)) <= BACKEND and len(await reviewers(pg, case.pr)) == 2
    notes = (await _explain(rbot, case.pr))["routing"]["notes"]
    assert "no CODEOWNERS file in the repository" in notes


@pytest.mark.parametrize("host", HOSTS)
async def test_codeowners_failing_transiently_is_retried(
    rbot: Bot, pg: asyncpg.Pool, request: pytest.FixtureRequest, host: str
) -> None:
    case, router = HOST_CASES[host], routers(request, host)
    await configure(
        pg, rbot.routing.router.directory, [], codeowners=True, team_handles={host: "acme/dba"}
    )
    _files(case, router, ["migrations/0002.sql"])
    first = {"github": ".github/CODEOWNERS", "gitlab": "CODEOWNERS", "gitea": "CODEOWNERS"}[host]
    flaky = router.get(case.contents(first)).mock(
        side_effect=[
            httpx.Response(502, text="bad gateway"),
            contents(host, first, CODEOWNERS[host]),
        ]
    )
    await rbot.post(host, case.opened)
    assert await rbot.route() == 1
    assert await reviewers(pg, case.pr) == []  # nothing chosen yet: it is retried
    job = await pg.fetchrow("SELECT state, attempts, last_error FROM routing_jobs")
    assert job["state"] == "pending" and "502" in job["last_error"]
    rbot.clock.advance(60)
    assert await rbot.route() == 1
    assert flaky.call_count == 2
    assert (await reviewers(pg, case.pr))[0] in DBA


@pytest.mark.parametrize("host", HOSTS)
async def test_codeowners_failing_for_good_assigns_without_it_and_says_so(
    rbot: Bot, pg: asyncpg.Pool, request: pytest.FixtureRequest, host: str
) -> None:
    case, router = HOST_CASES[host], routers(request, host)
    await configure(
        pg, rbot.routing.router.directory, [], codeowners=True, team_handles={host: "acme/dba"}
    )
    _files(case, router, ["migrations/0002.sql"])
    first = {"github": ".github/CODEOWNERS", "gitlab": "CODEOWNERS", "gitea": "CODEOWNERS"}[host]
    router.get(case.contents(first)).mock(
        return_value=httpx.Response(401, json={"message": "Bad credentials"})
    )
    await rbot.post(host, case.opened)
    await rbot.route()
    assert set(await reviewers(pg, case.pr)) <= BACKEND and len(await reviewers(pg, case.pr)) == 2
    notes = (await _explain(rbot, case.pr))["routing"]["notes"]
    assert any(n.startswith("CODEOWNERS not read (HTTP 401") for n in notes), notes
    assert await pg.fetchval("SELECT state FROM routing_jobs") == "done"


async def test_changed_files_failing_past_the_budget_fall_back_to_the_team(
    rbot: Bot, pg: asyncpg.Pool, github_api: respx.MockRouter
) -> None:
    case = HOST_CASES["github"]
    await configure(pg, rbot.routing.router.directory, RULES)
    down = github_api.get(case.files_path).mock(return_value=httpx.Response(503, text="down"))
    await rbot.post("github", case.opened)
    await rbot.route()
    assert await reviewers(pg, case.pr) == []
    rbot.clock.advance(rbot.routing.policy.give_up_after + 1)
    await rbot.route()
    assert down.call_count == 2
    assert set(await reviewers(pg, case.pr)) <= BACKEND and len(await reviewers(pg, case.pr)) == 2
    notes = (await _explain(rbot, case.pr))["routing"]["notes"]
    assert any(n.startswith("changed files not read (gave up") for n in notes), notes


@pytest.mark.parametrize("host", HOSTS)
async def test_new_commits_top_up_unsatisfied_rules_and_never_remove(
    rbot: Bot, pg: asyncpg.Pool, request: pytest.FixtureRequest, host: str
) -> None:
    case, router = HOST_CASES[host], routers(request, host)
    await configure(pg, rbot.routing.router.directory, RULES, backend_reviewers=1)
    fake = _files(case, router, ["src/app.py"])
    await rbot.post(host, case.opened)
    await rbot.route()
    first = await reviewers(pg, case.pr)
    assert len(first) == 1 and first[0] in BACKEND
    fake.files = ["src/app.py", "migrations/0003.sql"]
    pushed = await rbot.post(host, case.pushed)
    assert pushed.status_code == 200, pushed.text
    assert ROUTED_NOTE in pushed.json()["notes"]
    await rbot.route()
    after = await reviewers(pg, case.pr)
    assert after[0] == first[0] and after[1] in DBA
    fake.files = ["src/other.py"]  # the migration left the diff: nobody is taken off
    await rbot.post(host, case.pushed)
    await rbot.route()
    assert await reviewers(pg, case.pr) == after


@pytest.mark.parametrize("host", HOSTS)
async def test_without_rules_new_commits_change_no_reviewer(
    rbot: Bot, pg: asyncpg.Pool, host: str
) -> None:
    """They only move the review clock (docs/sla.md): no routing job, no post-back."""
    case = HOST_CASES[host]
    await rbot.post(host, case.opened)
    before = await pg.fetch("SELECT user_id FROM pr_reviewers ORDER BY user_id")
    outbox = await pg.fetchval("SELECT count(*) FROM outbox")
    pushed = await rbot.post(host, case.pushed)
    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["actions"] == ["new_commits"]
    assert await pg.fetchval("SELECT count(*) FROM routing_jobs") == 0
    assert await pg.fetch("SELECT user_id FROM pr_reviewers ORDER BY user_id") == before
    assert await pg.fetchval("SELECT count(*) FROM outbox") == outbox


PUSH_EVENTS = {"github": "push", "gitlab": "Push Hook", "gitea": "push"}


def _push_payload(host: str, ref: str) -> dict[str, Any]:
    """The fields of each host's documented push payload that reviewbot reads."""
    if host == "gitlab":
        project = {"path_with_namespace": "acme/platform/widgets", "default_branch": "main"}
        return {"object_kind": "push", "ref": ref, "project": project, "commits": []}
    repository = {"full_name": "acme/widgets", "default_branch": "main"}
    return {"ref": ref, "before": "0" * 40, "after": "1" * 40, "repository": repository}


async def _push(bot: Bot, host: str, ref: str) -> httpx.Response:
    body = json.dumps(_push_payload(host, ref)).encode()
    headers = signed_headers(host, PUSH_EVENTS[host], body, str(uuid.uuid4()), SECRETS[host])
    return await bot.client.post(f"/webhooks/{host}", content=body, headers=headers)


@pytest.mark.parametrize("host", HOSTS)
async def test_a_push_to_the_default_branch_drops_the_cached_codeowners(
    rbot: Bot, pg: asyncpg.Pool, request: pytest.FixtureRequest, host: str
) -> None:
    case, router = HOST_CASES[host], routers(request, host)
    await configure(
        pg, rbot.routing.router.directory, [], codeowners=True, team_handles={host: "acme/dba"}
    )
    _files(case, router, ["migrations/0002.sql"])
    _no_codeowners(case, router)
    await rbot.post(host, case.opened)
    await rbot.route()
    assert await pg.fetchval("SELECT count(*) FROM codeowners_cache") == 1
    other = await _push(rbot, host, "refs/heads/feature")
    assert other.status_code == 202
    assert await pg.fetchval("SELECT count(*) FROM codeowners_cache") == 1
    main = await _push(rbot, host, "refs/heads/main")
    assert main.status_code == 202 and "default branch" in main.json()["reason"]
    assert await pg.fetchval("SELECT count(*) FROM codeowners_cache") == 0


async def test_a_rate_limited_file_list_waits_for_the_hosts_time(
    rbot: Bot, pg: asyncpg.Pool, github_api: respx.MockRouter
) -> None:
    case = HOST_CASES["github"]
    await configure(pg, rbot.routing.router.directory, RULES)
    fake = FakeFiles(case, ["migrations/1.sql"])
    fake.fail.append(httpx.Response(429, headers={"retry-after": "120"}, json={"message": "slow"}))
    github_api.get(case.files_path).mock(side_effect=fake)
    await rbot.post("github", case.opened)
    await rbot.route()
    job = await pg.fetchrow("SELECT state, next_attempt_at, last_error FROM routing_jobs")
    assert job["state"] == "pending" and job["last_error"].startswith("rate limited")
    assert (job["next_attempt_at"] - rbot.clock.now).total_seconds() >= 119
    rbot.clock.advance(60)
    assert await rbot.route() == 0  # not due yet (and the host's circuit holds it)
    rbot.clock.advance(61)
    assert await rbot.route() == 1
    assert (await reviewers(pg, case.pr))[0] in DBA


async def test_a_killed_instances_routing_job_is_taken_over_at_once(
    rbot: Bot, pg: asyncpg.Pool, request: pytest.FixtureRequest
) -> None:
    case, router = HOST_CASES["github"], routers(request, "github")
    await configure(pg, rbot.routing.router.directory, RULES)
    _files(case, router, MANY)
    serve_posts(case, router)
    await rbot.post("github", case.opened)
    # Another instance leases the job, as if reading the files, then its process dies.
    other = outbox_store.Owner(rbot.routing.db.url)
    key = await other.ensure()
    now = rbot.clock()
    async with rbot.routing.db.transaction() as conn:
        assert await routing_store.claim_jobs(conn, now, now + timedelta(seconds=60), 5, key, [])
    assert await rbot.route() == 0  # its owner is alive: the job is its own
    await end_session(pg, other)
    assert await rbot.route() == 1  # the fake clock has not moved: the lease has not run out
    assert len(await reviewers(pg, case.pr)) == 2
    await other.close()
