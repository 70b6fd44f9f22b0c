"""Suggest mode with path rules: the routing worker's choice becomes the suggestion."""

from __future__ import annotations

import asyncpg
import pytest
import respx

from tests.webhooks.conftest import Bot, reviewers
from tests.webhooks.rules_kit import HOST_CASES, FakeFiles, configure
from tests.webhooks.test_rules import BACKEND, DBA, RULES, rbot
from tests.webhooks.test_suggest_mode import fake, set_mode

__all__ = ["rbot"]  # the fixture, imported for pytest


@pytest.mark.parametrize("host", ["github", "gitea"])
async def test_rules_choose_the_suggestion_and_nothing_is_requested(
    rbot: Bot,
    pg: asyncpg.Pool,
    host: str,
    github_api: respx.MockRouter,
    gitlab_api: respx.MockRouter,
    gitea_api: respx.MockRouter,
) -> None:
    case = HOST_CASES[host]
    router = github_api if host == "github" else gitea_api
    comments = fake(host, github_api, gitlab_api, gitea_api)
    await configure(pg, rbot.routing.router.directory, RULES)
    await set_mode(rbot, pg, "suggest")
    router.get(case.files_path).mock(side_effect=FakeFiles(case, ["src/app.py", "db/schema.sql"]))
    await rbot.post(host, case.opened)
    assert await rbot.route() == 1
    await rbot.drain()
    assert await reviewers(pg, case.pr) == [] and comments.requests == []
    suggested = list(await pg.fetchval("SELECT reviewers FROM pr_suggestions"))
    assert suggested[0] in DBA and suggested[1] in BACKEND
    (text,) = comments.comments.values()
    assert "path rule 'database' (db/schema.sql)" in text and "team backend, random" in text
    files = await pg.fetchval("SELECT changed_files FROM pr_routing")
    assert list(files) == ["src/app.py", "db/schema.sql"], "kept for later replays"
