"""The registry's strategy names are the ones the team file, its JSON Schema, the OpenAPI
file, the docs and the database accept; the reviewer counts are the same everywhere too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import yaml

import config.team_parse
from bot.core.models import DEFAULT_REVIEWERS, MAX_REVIEWERS, Team
from bot.core.selection import DEFAULT_STRATEGY, STRATEGIES, strategy_named
from bot.core.selection.least_loaded import LEAST_LOADED
from bot.core.selection.random import RANDOM
from bot.core.selection.round_robin import ROUND_ROBIN
from config.team_parse import parse_texts
from config.team_spec import ConfigInvalid

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = ROOT / "config" / "teams.schema.json"
EXAMPLE = ROOT / "config" / "teams.example.yaml"
OPENAPI = ROOT / "handlers" / "openapi"


def _team_file(strategy: str, reviewers: int = 1) -> str:
    team = f"  - name: t\n    strategy: {strategy}\n    reviewers: {reviewers}\n    members: []\n"
    return "teams:\n" + team


def test_the_registry_lists_each_strategy_once_by_its_own_name() -> None:
    assert list(STRATEGIES) == ["random", "round_robin", "least_loaded"]
    assert list(STRATEGIES.values()) == [RANDOM, ROUND_ROBIN, LEAST_LOADED]
    assert all(strategy_named(name).name == name for name in STRATEGIES)
    assert DEFAULT_STRATEGY is RANDOM and Team("t", ()).strategy is RANDOM
    with pytest.raises(ValueError, match="fastest"):
        strategy_named("fastest")


def test_the_team_file_accepts_exactly_the_registry_names() -> None:
    for name, strategy in STRATEGIES.items():
        (team,) = parse_texts([(_team_file(name), "t.yaml")])
        assert team.strategy is strategy
    with pytest.raises(ConfigInvalid) as raised:
        parse_texts([(_team_file("fastest"), "t.yaml")])
    (issue,) = raised.value.issues
    assert issue.message == "unknown strategy 'fastest'; expected one of " + ", ".join(STRATEGIES)


def test_the_team_file_reviewer_count_runs_from_0_to_the_maximum() -> None:
    (team,) = parse_texts([("teams:\n  - name: t\n    members: []\n", "t.yaml")])
    assert team.reviewers == DEFAULT_REVIEWERS
    assert MAX_REVIEWERS == 2  # the reference contract: 0..2 reviewers per PR
    assert parse_texts([(_team_file("random", MAX_REVIEWERS), "t.yaml")])[0].reviewers == 2
    with pytest.raises(ConfigInvalid):
        parse_texts([(_team_file("random", MAX_REVIEWERS + 1), "t.yaml")])


def test_the_json_schema_matches_the_registry_and_the_counts() -> None:
    team = json.loads(SCHEMA.read_text(encoding="utf-8"))["$defs"]["team"]["properties"]
    strategy = team["strategy"]
    assert strategy["enum"] == list(STRATEGIES)
    assert strategy["default"] == DEFAULT_STRATEGY.name
    described = "; ".join(f"{s.name}: {s.summary}" for s in STRATEGIES.values())
    assert strategy["description"] == described + "."
    reviewers = team["reviewers"]
    assert (reviewers["minimum"], reviewers["maximum"]) == (0, MAX_REVIEWERS)
    assert reviewers["default"] == DEFAULT_REVIEWERS


def _strategy_enums(node: Any) -> Iterator[list[str]]:
    if isinstance(node, dict):
        if isinstance(node.get("strategy"), dict) and "enum" in node["strategy"]:
            yield node["strategy"]["enum"]
        for value in node.values():
            yield from _strategy_enums(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strategy_enums(value)


def test_the_openapi_files_name_the_registry_strategies() -> None:
    enums = [
        enum
        for path in sorted(OPENAPI.rglob("*.yaml"))
        for enum in _strategy_enums(yaml.safe_load(path.read_text(encoding="utf-8")))
    ]
    assert enums, "no strategy enum in the OpenAPI files (the explanation schema has one)"
    assert all(enum == list(STRATEGIES) for enum in enums), enums


def test_the_team_file_docs_list_the_registry_strategies() -> None:
    listed = " | ".join(STRATEGIES)
    assert config.team_parse.__doc__ is not None and listed in config.team_parse.__doc__
    assert listed.replace(" |", " (default) |", 1) in EXAMPLE.read_text(encoding="utf-8")


async def test_the_database_accepts_exactly_the_registry_names(pg: asyncpg.Pool) -> None:
    async with pg.acquire() as conn:
        await conn.execute("INSERT INTO teams (team_name) VALUES ('defaults')")
        row = await conn.fetchrow(
            "SELECT strategy, reviewers FROM teams WHERE team_name = 'defaults'"
        )
        assert (row["strategy"], row["reviewers"]) == (DEFAULT_STRATEGY.name, DEFAULT_REVIEWERS)
        for name in STRATEGIES:
            await conn.execute(
                "INSERT INTO teams (team_name, strategy, reviewers) VALUES ($1, $1, $2)",
                name,
                MAX_REVIEWERS,
            )
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute("INSERT INTO teams (team_name, strategy) VALUES ('x', 'fastest')")
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(
                "INSERT INTO teams (team_name, reviewers) VALUES ('y', $1)", MAX_REVIEWERS + 1
            )
