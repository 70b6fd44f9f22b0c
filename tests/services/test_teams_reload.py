"""TEAMS_FILE: applied at start, reloaded by SIGHUP and POST /teams/reload; a broken file
keeps the running config and says why."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path

import httpx
import pytest

from tests.conftest import AppFactory

GOOD = """\
teams:
  - name: core
    strategy: least_loaded
    members:
      - {id: a}
      - {id: b}
"""


async def _members(client: httpx.AsyncClient, team: str) -> list[str]:
    response = await client.get("/team/get", params={"team_name": team})
    assert response.status_code == 200, response.text
    return [m["user_id"] for m in response.json()["members"]]


async def test_teams_file_is_applied_at_start_and_reloaded(
    make_client: AppFactory, tmp_path: Path
) -> None:
    path = tmp_path / "teams.yaml"
    path.write_text(GOOD)
    async with make_client(teams_file=str(path)) as client:
        assert await _members(client, "core") == ["a", "b"]
        path.write_text(GOOD + "      - {id: c}\n")
        response = await client.post("/teams/reload")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "applied"
        assert body["plan"]["summary"] == {"user_created": 1}
        assert await _members(client, "core") == ["a", "b", "c"]


async def test_broken_file_on_reload_keeps_the_running_config(
    make_client: AppFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "teams.yaml"
    path.write_text(GOOD)
    async with make_client(teams_file=str(path)) as client:
        path.write_text(GOOD.replace("least_loaded", "fastest") + "      - {id: c}\n")
        with caplog.at_level(logging.ERROR, logger="bot.services.team_config"):
            response = await client.post("/teams/reload")
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "INVALID_TEAMS_FILE"
        assert f"{path}:3:15: teams[0].strategy: unknown strategy 'fastest'" in error["message"]
        assert "unknown strategy 'fastest'" in caplog.text
        assert await _members(client, "core") == ["a", "b"]


async def test_several_files_in_teams_file(make_client: AppFactory, tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text(GOOD)
    (tmp_path / "two.yaml").write_text("teams:\n  - name: web\n    members: [{id: w}]\n")
    files = f"{tmp_path / 'one.yaml'}, {tmp_path / 'two.yaml'}"
    async with make_client(teams_file=files) as client:
        assert await _members(client, "web") == ["w"]


async def test_sighup_reloads_the_file(make_client: AppFactory, tmp_path: Path) -> None:
    path = tmp_path / "teams.yaml"
    path.write_text(GOOD)
    async with make_client(teams_file=str(path)) as client:
        path.write_text(GOOD + "      - {id: hup}\n")
        os.kill(os.getpid(), signal.SIGHUP)
        for _ in range(200):  # bounded: at most ~10 s
            if "hup" in await _members(client, "core"):
                break
            await asyncio.sleep(0.05)
        assert "hup" in await _members(client, "core")
    assert signal.getsignal(signal.SIGHUP) in (signal.SIG_DFL, signal.default_int_handler, None)


async def test_reload_without_teams_file_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/teams/reload")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "NO_TEAMS_FILE"


async def test_broken_file_at_start_logs_and_starts_with_the_stored_config(
    make_client: AppFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "teams.yaml"
    path.write_text(GOOD)
    async with make_client(teams_file=str(path)) as client:
        assert await _members(client, "core") == ["a", "b"]
    path.write_text("teams: [")
    with caplog.at_level(logging.ERROR, logger="bot.services.team_config"):
        async with make_client(teams_file=str(path)) as client:
            assert await _members(client, "core") == ["a", "b"]
    assert "not valid YAML" in caplog.text


@pytest.mark.parametrize(
    "hostile",
    [
        "teams: " + "[" * 50_000 + "]" * 50_000,
        "a: &a [1, 1]\nb: &b [*a, *a]\nteams: [{name: core, members: *b}]\n",
    ],
    ids=["deep", "aliases"],
)
async def test_a_hostile_file_at_start_or_reload_keeps_the_stored_config(
    make_client: AppFactory, tmp_path: Path, hostile: str
) -> None:
    path = tmp_path / "teams.yaml"
    path.write_text(GOOD)
    async with make_client(teams_file=str(path)):
        pass  # applied once: the store now holds team core
    path.write_text(hostile)
    async with make_client(teams_file=str(path)) as client:  # starts all the same
        assert await _members(client, "core") == ["a", "b"]
        response = await client.post("/teams/reload")
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "INVALID_TEAMS_FILE"
        assert await _members(client, "core") == ["a", "b"]
