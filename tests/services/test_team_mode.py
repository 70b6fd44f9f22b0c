"""``mode:`` in team files: read, validated with file:line, planned, applied, exported."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from bot.services.team_config import TeamConfigService
from config.team_parse import parse_texts
from config.team_spec import ConfigInvalid
from tests.services.teams_support import configs, write_file

__all__ = ["configs"]  # the fixture, imported for pytest

TEAM = """\
teams:
  - name: backend
    mode: {mode}
    members:
      - {{id: alice}}
"""


def test_every_mode_reads_and_off_needs_no_quotes() -> None:
    for mode in ("assign", "suggest", "off", '"off"'):
        (team,) = parse_texts([(TEAM.format(mode=mode), "t.yaml")])
        assert team.mode.value == mode.strip('"')
    (default,) = parse_texts([(TEAM.format(mode="x").replace("    mode: x\n", ""), "t.yaml")])
    assert default.mode.value == "assign"


def test_an_unknown_mode_is_a_file_line_error() -> None:
    with pytest.raises(ConfigInvalid) as found:
        parse_texts([(TEAM.format(mode="shadow"), "t.yaml")])
    assert str(found.value.issues[0]) == (
        "t.yaml:3:11: teams[0].mode: unknown mode 'shadow'; expected one of assign, suggest, off"
    )


async def test_mode_is_planned_applied_and_exported(
    configs: TeamConfigService, pg: asyncpg.Pool, tmp_path: Path
) -> None:
    await configs.apply([write_file(tmp_path, TEAM.format(mode="assign"))])
    suggest = [write_file(tmp_path, TEAM.format(mode="suggest"), "suggest.yaml")]
    planned = await configs.plan(suggest)
    assert "mode" in str(planned.as_json()) and not planned.empty
    await configs.apply(suggest)
    assert await pg.fetchval("SELECT mode FROM teams WHERE team_name = 'backend'") == "suggest"
    exported = await configs.export()
    assert "mode: suggest" in exported
    assert (await configs.plan([write_file(tmp_path, exported, "exported.yaml")])).empty
