"""prefer_working_hours (issue 15) on real PostgreSQL and Redis: members in three zones,
the choice read at a controlled time; away and capacity still rule."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from bot.services.chooser import Chooser
from bot.services.team_config import TeamConfigService
from bot.services.teams import TeamDirectory
from tests.services.teams_support import apply_text, configs

__all__ = ["configs"]  # the fixture, imported for pytest

TEAM = """teams:
  - name: world
    strategy: {strategy}
    prefer_working_hours: true
    members:
      - {{id: author}}
      - {{id: berlin, timezone: Europe/Berlin, hours: "09:00-17:00"{berlin_extra}}}
      - {{id: newyork, timezone: America/New_York, hours: "09:00-17:00"}}
      - {{id: tokyo, timezone: Asia/Tokyo, hours: "09:00-17:00"}}
"""
# Wednesday 2 December 2026, 10:00 UTC: 11:00 in Berlin (at work), 05:00 in New York
# (starts 14:00 UTC), 19:00 in Tokyo (starts 00:00 UTC on Thursday).
MORNING = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
# 15:00 UTC: Berlin (16:00) and New York (10:00) are both at work.
AFTERNOON = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


def chooser_at(configs: TeamConfigService, now: datetime, seed: int) -> Chooser:
    directory = TeamDirectory(configs.db, configs.cache)
    return Chooser(directory, random.Random(seed), today=lambda: now.date(), clock=lambda: now)


async def apply(
    configs: TeamConfigService, tmp_path: Path, strategy: str = "random", berlin_extra: str = ""
) -> None:
    text = TEAM.format(strategy=strategy, berlin_extra=berlin_extra)
    await apply_text(configs, tmp_path, text)


async def pick(configs: TeamConfigService, now: datetime, count: int, seed: int) -> list[str]:
    async with configs.db.transaction() as conn:
        return await chooser_at(configs, now, seed).choose_and_lock(
            conn, "world", exclude={"author"}, count=count, author="author"
        )


async def test_those_at_work_come_first_then_the_soonest(
    configs: TeamConfigService, tmp_path: Path
) -> None:
    await apply(configs, tmp_path)
    for seed in range(15):
        assert await pick(configs, MORNING, 1, seed) == ["berlin"]
        assert await pick(configs, MORNING, 2, seed) == ["berlin", "newyork"]  # NY starts first
        assert set(await pick(configs, AFTERNOON, 2, seed)) == {"berlin", "newyork"}


async def test_each_strategy_ranks_by_working_hours(
    configs: TeamConfigService, tmp_path: Path
) -> None:
    for strategy in ("round_robin", "least_loaded"):
        await apply(configs, tmp_path, strategy)
        assert await pick(configs, MORNING, 1, 1) == ["berlin"]


async def test_away_and_capacity_still_rule(
    configs: TeamConfigService, tmp_path: Path, pg: asyncpg.Pool
) -> None:
    await apply(configs, tmp_path, berlin_extra=", away_until: 2026-12-03")
    assert await pick(configs, MORNING, 1, 3) == ["newyork"]  # the soonest of the others
    await apply(configs, tmp_path, berlin_extra=", max_open_reviews: 0")
    assert await pick(configs, MORNING, 1, 3) == ["newyork"]


async def test_the_explanation_says_so(
    configs: TeamConfigService, tmp_path: Path, pg: asyncpg.Pool
) -> None:
    await apply(configs, tmp_path)
    async with configs.db.transaction() as conn:
        chosen = await chooser_at(configs, MORNING, 7).choose_and_lock(
            conn, "world", exclude={"author"}, count=2, author="author"
        )
        raw = await conn.fetchval("SELECT current_setting('reviewbot.explain', true)")
    assert chosen == ["berlin", "newyork"]
    explain = json.loads(raw)
    assert explain["chosen"] == ["berlin", "newyork"]
    assert explain["prefer_working_hours"] == {"rounds": [["berlin"], ["newyork"]]}
    assert {"user_id": "tokyo", "reason": "off_hours"} in explain["skipped"]
