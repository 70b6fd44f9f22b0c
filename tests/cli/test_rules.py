"""``reviewbot rules test``: which rules match and whom they draw from, touching no store."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.cli.rules import run_rules

TEAMS = """\
teams:
  - name: backend
    members: [{id: ana}, {id: ben}]
  - name: dba
    members: [{id: dora}, {id: dan, active: false}]
rules:
  - name: database
    paths: ["migrations/**", "**/*.sql"]
    team: dba
  - name: docs
    paths: [docs/]
    repos: [acme/api]
    members: [ana]
    reviewers: 2
"""


def _run(tmp_path: Path, *argv: str) -> argparse.Namespace:
    (tmp_path / "teams.yaml").write_text(TEAMS)
    return build_parser().parse_args(["rules", "test", str(tmp_path / "teams.yaml"), *argv])


def test_prints_matches_pools_and_files_no_rule_takes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    args = _run(tmp_path, "--repo", "acme/api", "--files", "a.sql", "docs/x.md", "src/y.py")
    assert run_rules(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:4] == [
        "rule database: 1 reviewer from team dba (dora)",
        "  matches a.sql",
        "rule docs: 2 reviewers from members ana",
        "  matches docs/x.md",
    ]
    assert "no rule: src/y.py" in out


def test_repos_limit_a_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_rules(_run(tmp_path, "--repo", "acme/web", "--files", "docs/x.md")) == 0
    out = capsys.readouterr().out
    assert "no rule matches these files" in out and "not for acme/web: docs" in out


def test_invalid_team_files_exit_1_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.yaml").write_text(
        "teams: []\nrules:\n  - name: x\n    paths: ['!a']\n    team: t\n"
    )
    args = build_parser().parse_args(["rules", "test", str(tmp_path / "bad.yaml"), "--files", "a"])
    assert run_rules(args) == 1
    out = capsys.readouterr().out
    assert "bad.yaml:4:" in out and "negation" in out and "bad.yaml:5:" in out
