"""``reviewbot teams …`` as a team lead runs it: a separate process on the same store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import httpx
import pytest
import redis.asyncio as redis

from bot.cli.embedded import embedded_servers
from config.settings import Settings

GOOD = """\
teams:
  - name: core
    strategy: round_robin
    members:
      - {id: a, github: a-gh}
      - {id: b, away_until: 2030-01-01}
"""


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "REDIS"))}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "teams", *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _write(tmp_path: Path, text: str, name: str = "teams.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_validate_reports_every_problem_and_exits_1(tmp_path: Path) -> None:
    good = _write(tmp_path, GOOD)
    ok = _cli("validate", good, env={})
    assert ok.returncode == 0 and "valid: 1 team, 2 members" in ok.stdout
    bad = _write(tmp_path, GOOD.replace("round_robin", "rr") + "      - {id: a}\n", "bad.yaml")
    failed = _cli("validate", bad, env={})
    assert failed.returncode == 1
    assert f"{bad}:3:15: teams[0].strategy: unknown strategy 'rr'" in failed.stdout
    assert f"{bad}:7:14: teams[0].members[2].id: member 'a' is again" in failed.stdout


async def test_plan_apply_export_prune_through_database_url(
    settings: Settings, pg: asyncpg.Pool, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    assert settings.database_url and settings.redis_url
    env = {"DATABASE_URL": settings.database_url, "REDIS_URL": settings.redis_url}
    files = _write(tmp_path, GOOD)
    planned = _cli("plan", "--json", files, env=env)
    assert planned.returncode == 0, planned.stderr
    assert json.loads(planned.stdout)["summary"] == {"team_created": 1, "user_created": 2}
    applied = _cli("apply", files, env=env)
    assert applied.returncode == 0 and "applied." in applied.stdout
    assert await pg.fetchval("SELECT strategy FROM teams WHERE team_name = 'core'") == (
        "round_robin"
    )
    exported = str(tmp_path / "exported.yaml")
    assert _cli("export", "-o", exported, env=env).returncode == 0
    again = _cli("plan", exported, env=env)
    assert again.returncode == 0 and again.stdout.strip() == "no changes"
    only_a = _write(
        tmp_path, GOOD.replace("      - {id: b, away_until: 2030-01-01}\n", ""), "a.yaml"
    )
    cached = await client.get("/team/get", params={"team_name": "core"})  # now in Redis
    assert all(m["is_active"] for m in cached.json()["members"])
    pruned = _cli("apply", "--prune", only_a, env=env)
    assert "- user deactivated: b" in pruned.stdout
    assert await pg.fetchval("SELECT is_active FROM users WHERE user_id = 'b'") is False
    seen = await client.get("/team/get", params={"team_name": "core"})
    assert {m["user_id"]: m["is_active"] for m in seen.json()["members"]} == {
        "a": True,
        "b": False,
    }, "the service's cache was invalidated by the CLI"


async def _team_count(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM teams"))
    finally:
        await conn.close()


@pytest.mark.usefixtures("clean")
async def test_embedded_store_is_shared_with_a_running_service(tmp_path: Path) -> None:
    """Under DATA_DIR, the CLI reuses the service's PostgreSQL and leaves it running."""
    data_dir = tmp_path / "data"
    env = {"DATA_DIR": str(data_dir)}
    files = _write(tmp_path, GOOD)
    with embedded_servers(None, None, data_dir) as (url, cache_url):
        # ^ the "service"
        assert _cli("apply", files, env=env).returncode == 0
        assert await _team_count(url) == 1, "the CLI wrote to the service's database"
        cache = redis.Redis.from_url(cache_url)
        try:
            assert await cache.get("rb:teamver:core") == b"1", "and invalidated its cache"
        finally:
            await cache.aclose()
    # Service stopped: the CLI starts the server itself, and stops it again afterwards.
    exported = _cli("export", env=env)
    assert exported.returncode == 0 and "name: core" in exported.stdout
    assert not (data_dir / "postgres" / "postmaster.pid").exists()
