"""POST /simulate: a team file body and a window in, the replay's JSON report out."""

from __future__ import annotations

import asyncpg
import httpx

from config.settings import Secret
from tests.conftest import AppFactory
from tests.simulate.support import CANDIDATE, row_counts, seed_small_history

ADMIN = {"Authorization": "Bearer admin-token"}
WINDOW = {"since": "2026-01-01", "until": "2026-01-11", "seed": "1"}


def _tokens() -> dict[str, Secret]:
    return {"admin_token": Secret("admin-token"), "user_token": Secret("user-token")}


async def test_the_report_of_a_team_file_body(make_client: AppFactory, pg: asyncpg.Pool) -> None:
    await seed_small_history(pg)
    before = await row_counts(pg)
    async with make_client(**_tokens()) as client:
        answer = await client.post("/simulate", params=WINDOW, content=CANDIDATE, headers=ADMIN)
        assert answer.status_code == 200, answer.text
        report = answer.json()
        as_user = await client.post(
            "/simulate",
            params=WINDOW,
            content=CANDIDATE,
            headers={"Authorization": "Bearer user-token"},
        )
    assert as_user.status_code == 401
    core = report["teams"]["core"]
    assert core["simulated"]["reviews"] == 3
    assert core["members"]["a"]["simulated"] == {"assigned": 2, "peak_open": 1, "mean_open": 0.8}
    assert report["files"] == ["body"] and report["seed"] == 1
    assert await row_counts(pg) == before


async def test_a_malformed_file_names_its_line(client: httpx.AsyncClient) -> None:
    bad = CANDIDATE.replace("strategy: round_robin", "strategy: fastest")
    answer = await client.post("/simulate", params=WINDOW, content=bad)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "INVALID_TEAMS_FILE"
    assert "body:3:15: teams[0].strategy: unknown strategy 'fastest'" in error["message"]


async def test_limits_and_bad_windows_are_clear_errors(client: httpx.AsyncClient) -> None:
    too_long = await client.post(
        "/simulate", params={"since": "2020-01-01", "until": "2026-01-01"}, content=CANDIDATE
    )
    assert too_long.status_code == 422
    assert too_long.json()["error"]["code"] == "SIMULATION_TOO_LARGE"
    backwards = await client.post(
        "/simulate", params={"since": "2026-02-01", "until": "2026-01-01"}, content=CANDIDATE
    )
    assert backwards.status_code == 400
    nonsense = await client.post("/simulate", params={"since": "last tuesday"}, content=CANDIDATE)
    assert nonsense.status_code == 400
    assert "since" in nonsense.json()["error"]["message"]
