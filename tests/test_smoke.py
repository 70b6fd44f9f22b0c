from __future__ import annotations

import httpx

from tests.conftest import add_team, create_pr, member


async def test_create_assigns_two_active_teammates(client: httpx.AsyncClient) -> None:
    await add_team(client, "core", member("a"), member("b"), member("c"), member("d", False))
    pr = await create_pr(client, "pr-1", "a")
    assert len(pr["assigned_reviewers"]) == 2
    assert set(pr["assigned_reviewers"]) <= {"b", "c"}
