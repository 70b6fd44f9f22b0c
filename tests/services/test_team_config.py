"""Plan, apply, export and prune against real PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import httpx
import pytest

from bot.services.team_config import TeamConfigService
from config.team_spec import ConfigInvalid
from tests.conftest import add_team, member
from tests.services.teams_support import configs, write_file

__all__ = ["configs"]  # the fixture, imported for pytest

BASE = """\
teams:
  - name: backend
    strategy: round_robin
    members:
      - {id: alice, name: Alice, github: alice-gh, max_open_reviews: 3}
      - {id: bob, away_until: 2030-01-01, away: [{from: 2031-02-01, to: 2031-02-03}]}
  - name: docs
    reviewers: 1
    members:
      - {id: carol, active: false}
"""


async def test_plan_apply_export_round_trip(
    configs: TeamConfigService, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    files = [write_file(tmp_path, BASE)]
    planned = await configs.plan(files)
    assert planned.summary() == {"team_created": 2, "user_created": 3}
    assert await pg.fetchval("SELECT count(*) FROM teams") == 0, "plan must not write"
    applied = await configs.apply(files)
    assert applied.as_json() == planned.as_json()
    row = await pg.fetchrow("SELECT strategy, reviewers FROM teams WHERE team_name = 'backend'")
    assert dict(row) == {"strategy": "round_robin", "reviewers": 2}
    assert await pg.fetchval("SELECT handle FROM user_handles WHERE user_id = 'alice'") == (
        "alice-gh"
    )
    assert await pg.fetchval("SELECT count(*) FROM user_away WHERE user_id = 'bob'") == 2
    assert (await configs.plan(files)).empty
    exported = write_file(tmp_path, await configs.export(), "exported.yaml")
    assert (await configs.plan([exported])).empty
    assert (await configs.apply([exported])).empty


async def test_updates_and_moves_are_planned_field_by_field(
    configs: TeamConfigService, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    await configs.apply([write_file(tmp_path, BASE)])
    changed = (
        BASE.replace("strategy: round_robin", "strategy: least_loaded")
        .replace(
            "      - {id: carol, active: false}",
            "      - {id: carol, active: false}\n      - {id: alice, name: Alice L, gitlab: al}",
        )
        .replace("      - {id: alice, name: Alice, github: alice-gh, max_open_reviews: 3}\n", "")
    )
    plan = await configs.apply([write_file(tmp_path, changed)])
    kinds = {(c.kind, c.name): c.details for c in plan.changes}
    assert kinds[("team_updated", "backend")] == {
        "strategy": {"from": "round_robin", "to": "least_loaded"}
    }
    moved = kinds[("user_moved", "alice")]
    assert moved["team"] == {"from": "backend", "to": "docs"}
    assert moved["name"] == {"from": "Alice", "to": "Alice L"}
    assert moved["handles"] == {"from": {"github": "alice-gh"}, "to": {"gitlab": "al"}}
    assert moved["max_open_reviews"] == {"from": 3, "to": None}
    assert "> user moved: alice" in plan.as_text()
    row = await pg.fetchrow("SELECT team_name, username FROM users WHERE user_id = 'alice'")
    assert dict(row) == {"team_name": "docs", "username": "Alice L"}
    handles = await pg.fetch("SELECT host, handle FROM user_handles WHERE user_id = 'alice'")
    assert [tuple(r) for r in handles] == [("gitlab", "al")]


async def test_prune_deactivates_unlisted_users_and_keeps_their_history(
    configs: TeamConfigService, client: httpx.AsyncClient, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    await add_team(client, "legacy", member("old1"), member("old2"), member("gone", False))
    pr = await client.post(
        "/pullRequest/create",
        json={"pull_request_id": "p1", "pull_request_name": "x", "author_id": "old1"},
    )
    assert pr.json()["pr"]["assigned_reviewers"] == ["old2"]
    files = [write_file(tmp_path, BASE)]
    assert not any(c.kind == "user_deactivated" for c in (await configs.plan(files)).changes)
    plan = await configs.plan(files, prune=True)
    pruned = [c.name for c in plan.changes if c.kind == "user_deactivated"]
    assert pruned == ["old1", "old2"], "already inactive users are not listed"
    await configs.apply(files, prune=True)
    rows = await pg.fetch("SELECT user_id, is_active FROM users WHERE team_name = 'legacy'")
    assert {r["user_id"]: r["is_active"] for r in rows} == {
        "old1": False,
        "old2": False,
        "gone": False,
    }
    reviews = (await client.get("/users/getReview", params={"user_id": "old2"})).json()
    assert [p["pull_request_id"] for p in reviews["pull_requests"]] == ["p1"]
    team = (await client.get("/team/get", params={"team_name": "legacy"})).json()
    assert all(not m["is_active"] for m in team["members"]), "cache was invalidated"
    assert (await configs.plan(files, prune=True)).empty


async def test_apply_invalidates_the_team_cache(
    configs: TeamConfigService, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    await configs.apply([write_file(tmp_path, BASE)])
    before = (await client.get("/team/get", params={"team_name": "docs"})).json()
    assert [m["user_id"] for m in before["members"]] == ["carol"]
    grown = BASE + "      - {id: dave}\n"
    await configs.apply([write_file(tmp_path, grown)])
    after = (await client.get("/team/get", params={"team_name": "docs"})).json()
    assert [m["user_id"] for m in after["members"]] == ["carol", "dave"]


async def test_invalid_files_apply_nothing(
    configs: TeamConfigService, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    good = write_file(tmp_path, BASE)
    bad = write_file(
        tmp_path, "teams:\n  - name: ops\n    strategy: nope\n    members: []\n", "b.yaml"
    )
    with pytest.raises(ConfigInvalid):
        await configs.apply([good, bad])
    assert await pg.fetchval("SELECT count(*) FROM teams") == 0


async def test_a_handle_owned_by_an_unlisted_user_is_refused(
    configs: TeamConfigService, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    await configs.apply([write_file(tmp_path, BASE)])
    other = "teams:\n  - name: ops\n    members:\n      - {id: zed, github: alice-gh}\n"
    with pytest.raises(ConfigInvalid) as raised:
        await configs.apply([write_file(tmp_path, other, "ops.yaml")])
    assert "belongs to user 'alice'" in str(raised.value)
    assert await pg.fetchval("SELECT count(*) FROM users WHERE user_id = 'zed'") == 0
    # Listing both lets the handle move from one to the other in one apply.
    swapped = BASE.replace("github: alice-gh, ", "") + "      - {id: zed, github: alice-gh}\n"
    await configs.apply([write_file(tmp_path, swapped)])
    assert await pg.fetchval("SELECT user_id FROM user_handles WHERE handle = 'alice-gh'") == "zed"


async def test_concurrent_applies_do_not_interleave(
    configs: TeamConfigService, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    """Each apply plans under the lock, so the second one sees the first one's result.

    Two different files racing: without the lock both would plan "create" for the same
    users and one would fail or half-overwrite the other. With it, the final state is
    exactly one of the files, and the later apply reports only its own differences.
    """
    one = write_file(tmp_path, BASE.replace("name: Alice", "name: One"), "one.yaml")
    two = write_file(tmp_path, BASE.replace("name: Alice", "name: Two"), "two.yaml")
    plans = await asyncio.gather(*(configs.apply([f]) for f in [one, two, one, two]))
    created = [p for p in plans if "team_created" in p.summary()]
    assert len(created) == 1, "exactly one apply created the teams"
    for plan in plans:
        if plan is not created[0]:
            assert set(plan.summary()) <= {"user_updated"}
    name = await pg.fetchval("SELECT username FROM users WHERE user_id = 'alice'")
    assert name in {"One", "Two"}
    assert await pg.fetchval("SELECT count(*) FROM users") == 3


SLA_FILE = """\
teams:
  - name: backend
    sla: {first_response: 8h, nudge: true, escalate_after: 16h}
    prefer_working_hours: true
    members:
      - {id: alice, timezone: Europe/Berlin, hours: "09:00-17:30", days: mon-fri}
      - {id: bob, hours: always}
"""


async def test_sla_and_working_hours_plan_apply_and_export_round_trip(
    configs: TeamConfigService, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    files = [write_file(tmp_path, SLA_FILE)]
    planned = (await configs.plan(files)).as_json()
    created = next(c for c in planned["changes"] if c["kind"] == "team_created")
    assert created["changes"]["sla.first_response"] == {"from": None, "to": "8h"}
    await configs.apply(files)
    row = await pg.fetchrow("SELECT * FROM team_sla WHERE team_name = 'backend'")
    assert (row["first_response"], row["nudge"], row["escalate_after"]) == (28800, True, 57600)
    assert row["prefer_working_hours"]
    alice = await pg.fetchrow(
        "SELECT timezone, work_hours, work_days FROM users WHERE user_id = 'alice'"
    )
    assert tuple(alice) == ("Europe/Berlin", "09:00-17:30", "mon-fri")
    assert (await configs.plan(files)).empty
    exported = await configs.export()
    assert "first_response: 8h" in exported and "timezone: Europe/Berlin" in exported
    again = write_file(tmp_path, exported, "exported.yaml")
    assert (await configs.plan([again])).empty
    changed = SLA_FILE.replace("escalate_after: 16h", "escalate_after: 1d")
    updated = (await configs.plan([write_file(tmp_path, changed, "changed.yaml")])).as_json()
    (change,) = updated["changes"]
    assert change["changes"] == {"sla.escalate_after": {"from": "16h", "to": "1d"}}
