"""Rules, the CODEOWNERS switch and team handles: applied, left alone, cleared, exported."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from bot.services.team_config import TeamConfigService
from tests.services.teams_support import configs, write_file

__all__ = ["configs"]

TEAMS = """\
teams:
  - name: backend
    members: [{id: ana}, {id: ben}]
  - name: dba
    github: acme/dba
    members: [{id: dora}]
"""
RULES = """\
rules:
  - name: database
    paths: ["migrations/**"]
    team: dba
codeowners: {enabled: true, reviewers: 2}
"""


async def test_apply_stores_rules_and_handles_and_export_round_trips(
    configs: TeamConfigService, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    files = [write_file(tmp_path, TEAMS + RULES)]
    applied = await configs.apply(files)
    assert {"rule_created", "codeowners_updated"} <= set(applied.summary())
    assert await pg.fetchval("SELECT handle FROM team_handles WHERE team_name = 'dba'") == (
        "acme/dba"
    )
    assert await pg.fetchval("SELECT rules->0->>'team' FROM routing_config") == "dba"
    assert (await configs.plan(files)).empty
    exported = write_file(tmp_path, await configs.export(), "exported.yaml")
    assert (await configs.plan([exported])).empty


async def test_files_without_rules_leave_them_and_an_empty_list_clears_them(
    configs: TeamConfigService, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    await configs.apply([write_file(tmp_path, TEAMS + RULES)])
    untouched = await configs.apply([write_file(tmp_path, TEAMS, "teams.yaml")])
    assert untouched.empty
    assert await pg.fetchval("SELECT jsonb_array_length(rules) FROM routing_config") == 1
    cleared = await configs.apply([write_file(tmp_path, TEAMS + "rules: []\n", "c.yaml")])
    assert [c.as_text() for c in cleared.changes] == ["- rule removed: database"]
    assert await pg.fetchval("SELECT jsonb_array_length(rules) FROM routing_config") == 0
