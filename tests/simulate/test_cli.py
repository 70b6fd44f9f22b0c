"""``reviewbot simulate`` from the command line, against the suite's PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import asyncpg

from config.settings import Settings
from tests.simulate.support import CANDIDATE, row_counts, seed_small_history, write


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "REDIS"))}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_the_side_by_side_report_and_json(
    settings: Settings, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    assert settings.database_url
    env = {"DATABASE_URL": settings.database_url, "REDIS_URL": "off"}
    await seed_small_history(pg)
    before = await row_counts(pg)
    file = write(tmp_path, CANDIDATE)
    window = ["--since", "2026-01-01", "--until", "2026-01-11", "--seed", "1"]
    text = _cli("simulate", file, *window, env=env)
    assert text.returncode == 0, text.stderr
    assert "team core (round_robin, 1 reviewer per PR, mode assign)" in text.stdout
    assert "  fewer than wanted                  0           1 *" in text.stdout
    assert "  a                             2 / 2         1 / 2*    0.80 / 0.40*" in text.stdout
    as_json = _cli("simulate", file, *window, "--json", env=env)
    report = json.loads(as_json.stdout)
    assert report["teams"]["core"]["simulated"]["reviews"] == 3
    assert await row_counts(pg) == before


def test_malformed_files_give_the_errors_of_teams_validate(tmp_path: Path) -> None:
    bad = write(tmp_path, CANDIDATE.replace("round_robin", "rr") + "      - {id: a}\n", "bad.yaml")
    simulated = _cli("simulate", bad, env={})
    validated = _cli("teams", "validate", bad, env={})
    assert simulated.returncode == validated.returncode == 1
    problems = [line for line in validated.stdout.splitlines() if line.startswith("  ")]
    assert problems and all(p in simulated.stdout for p in problems)
    assert f"{bad}:3:15: teams[0].strategy: unknown strategy 'rr'" in simulated.stdout
    assert "nothing was simulated" in simulated.stdout
    window = _cli("simulate", write(tmp_path, CANDIDATE), "--since", "soon", env={})
    assert window.returncode == 2 and "since" in window.stderr
