"""The replay simulator against a seeded history in real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from bot.core.replay.history import Window
from bot.services.simulate import Limits, Simulator
from config.team_parse import parse_config_files
from tests.simulate.support import (
    CANDIDATE,
    SINCE,
    UNTIL,
    day,
    row_counts,
    seed_pr,
    seed_small_history,
    seed_team,
    write,
)


async def test_small_case_matches_the_hand_computed_report(
    simulator: Simulator, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    await seed_small_history(pg)
    files = [write(tmp_path, CANDIDATE)]
    report = await simulator.run(parse_config_files(files), files, Window(SINCE, UNTIL), seed=1)
    # Round robin, 1 reviewer, author x excluded, c inactive: p1 -> a, p2 -> b, p3 -> a.
    # a: p1 open Jan 1-3 and p3 Jan 5 to the window's end (Jan 11): 8 of 10 days open.
    core = report["teams"]["core"]
    assert core["simulated"] == {
        "prs": 3,
        "reviews": 3,
        "fewer_than_wanted": 0,
        "why_fewer": {},
        "gini": 0.5833,  # [0, 0, 1, 2]: (1*1 + 3*2) / (4 * 3)
        "peak_max_over_mean": 2.0,  # peaks [1, 1, 0, 0]
    }
    assert core["actual"] == {
        "prs": 3,
        "reviews": 3,
        "fewer_than_wanted": 1,
        "why_fewer": {"as recorded": 1},
        "gini": 0.5833,
        "peak_max_over_mean": 2.6667,  # peaks [2, 1, 0, 0]: a had p1 and p2 open at once
    }
    assert core["changed"] == ["fewer_than_wanted", "peak_max_over_mean", "why_fewer"]
    members = core["members"]
    assert members["a"] == {
        "simulated": {"assigned": 2, "peak_open": 1, "mean_open": 0.8},
        "actual": {"assigned": 2, "peak_open": 2, "mean_open": 0.4},
        "changed": ["mean_open", "peak_open"],
    }
    assert members["b"]["simulated"] == {"assigned": 1, "peak_open": 1, "mean_open": 0.2}
    assert members["b"]["actual"] == {"assigned": 1, "peak_open": 1, "mean_open": 0.2}
    assert members["b"]["changed"] == []
    assert members["c"]["simulated"]["assigned"] == 0
    assert members["x"]["simulated"]["assigned"] == 0
    assert report["prs"] == 3


async def test_the_replay_writes_nothing(
    simulator: Simulator, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    await seed_small_history(pg)
    before = await row_counts(pg)
    files = [write(tmp_path, CANDIDATE)]
    await simulator.run(parse_config_files(files), files, Window(SINCE, UNTIL), seed=3)
    assert await row_counts(pg) == before
    # The stored teams are not the candidate's: the file is never applied.
    assert await pg.fetchval("SELECT strategy FROM teams WHERE team_name = 'core'") == "random"


async def test_a_seed_makes_random_choices_reproducible(
    simulator: Simulator, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    people = [f"m{i}" for i in range(12)]
    await seed_team(pg, "core", people)
    for i in range(60):
        await seed_pr(pg, f"p{i}", people[i % 12], day(1 + i % 9, i % 24), day(10))
    text = "teams:\n  - name: core\n    members:\n" + "".join(
        f"      - {{id: {p}, name: {p}}}\n" for p in people
    )
    files = [write(tmp_path, text)]
    config = parse_config_files(files)
    runs = [await simulator.run(config, files, Window(SINCE, UNTIL), seed=s) for s in (7, 7, 8)]
    assert runs[0] == runs[1]
    assigned = [
        {u: m["simulated"]["assigned"] for u, m in r["teams"]["core"]["members"].items()}
        for r in runs
    ]
    assert assigned[0] != assigned[2], "another seed should draw differently"
    assert sum(assigned[0].values()) == 120


async def test_mode_off_and_a_shortfall_say_why(
    simulator: Simulator, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    await seed_small_history(pg)
    text = CANDIDATE.replace("reviewers: 1", "reviewers: 2").replace(
        "{id: b, name: B}", "{id: b, name: B, away_until: 2026-01-02}"
    )
    files = [write(tmp_path, text)]
    report = await simulator.run(parse_config_files(files), files, Window(SINCE, UNTIL), seed=1)
    # p1 (Jan 1) and p2 (Jan 2): b away, c inactive -> only a; p3: a and b.
    short = report["teams"]["core"]["simulated"]["why_fewer"]
    assert short == {"not enough available members (away)": 2}
    off = [
        write(
            tmp_path, CANDIDATE.replace("reviewers: 1", "reviewers: 1\n    mode: off"), "off.yaml"
        )
    ]
    report = await simulator.run(parse_config_files(off), off, Window(SINCE, UNTIL), seed=1)
    assert report["teams"]["core"]["simulated"]["why_fewer"] == {"mode off": 3}
    assert report["teams"]["core"]["simulated"]["reviews"] == 0


async def test_limits_are_a_clear_error(
    simulator: Simulator, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    from bot.core.errors import SimulationTooLarge

    await seed_small_history(pg)
    files = [write(tmp_path, CANDIDATE)]
    with pytest.raises(SimulationTooLarge, match="more than 2 PRs"):
        await simulator.run(
            parse_config_files(files), files, Window(SINCE, UNTIL), 1, Limits(max_prs=2)
        )


async def test_one_replay_at_a_time(simulator: Simulator, pg: asyncpg.Pool, tmp_path: Path) -> None:
    import asyncio

    from bot.core.errors import Busy

    await seed_small_history(pg)
    files = [write(tmp_path, CANDIDATE)]
    config, window = parse_config_files(files), Window(SINCE, UNTIL)
    first, second = await asyncio.gather(
        simulator.run(config, files, window, 1),
        simulator.run(config, files, window, 1),
        return_exceptions=True,
    )
    assert isinstance(first, dict) and isinstance(second, Busy)
    assert (await simulator.run(config, files, window, 1))["prs"] == 3  # free again
