"""A member's self-set away period (`@reviewbot away until D`) and team files: applying a
file keeps it, and plan and apply say so."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import asyncpg

from bot.services.team_config import TeamConfigService
from tests.services.teams_support import configs, write_file

__all__ = ["configs"]

FILE = """\
teams:
  - name: backend
    members:
      - {id: alice}
      - {id: bob, away: [{from: 2031-02-01, to: 2031-02-03}]}
"""


async def test_apply_keeps_a_self_set_away_period_and_lists_it(
    configs: TeamConfigService, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    files = [write_file(tmp_path, FILE)]
    await configs.apply(files)
    await pg.execute(
        "INSERT INTO user_away (user_id, first_day, last_day, source)"
        " VALUES ('bob', NULL, '2030-06-30', 'command')"
    )
    planned = await configs.plan(files)
    assert planned.empty  # the file is unchanged: nothing to write
    assert planned.as_json()["kept"] == [
        {"name": "bob", "away_until": "2030-06-30", "set_by": "comment command"}
    ]
    assert "= kept: user bob: away until 2030-06-30" in planned.as_text()
    # A file that changes bob's own periods rewrites those, and only those.
    changed = FILE.replace("2031-02-03", "2031-02-05")
    applied = await configs.apply([write_file(tmp_path, changed, "changed.yaml")])
    assert applied.summary() == {"user_updated": 1}
    assert "kept" in applied.as_json()
    rows = await pg.fetch(
        "SELECT first_day, last_day, source FROM user_away WHERE user_id = 'bob' ORDER BY source"
    )
    assert [dict(r) for r in rows] == [
        {"first_day": None, "last_day": date(2030, 6, 30), "source": "command"},
        {"first_day": date(2031, 2, 1), "last_day": date(2031, 2, 5), "source": "file"},
    ]
