"""Team YAML: good files parse; every kind of problem is reported with file, line and key."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.core.models import AwayPeriod
from bot.core.selection.random import RANDOM
from bot.core.selection.round_robin import ROUND_ROBIN
from config.team_parse import parse_files, parse_text, parse_texts
from config.team_spec import ConfigInvalid, ConfigIssue
from config.yaml_reader import MAX_FILE_BYTES

CONFIG = Path(__file__).resolve().parents[2] / "config"
EXAMPLE = CONFIG / "teams.example.yaml"


def _issues(*texts: str) -> list[ConfigIssue]:
    sources = [(text, f"f{i}.yaml") for i, text in enumerate(texts)]
    with pytest.raises(ConfigInvalid) as raised:
        parse_texts(sources)
    return raised.value.issues


def _where(issues: list[ConfigIssue]) -> list[tuple[str, int, str]]:
    return [(i.file, i.line, i.key) for i in issues]


def test_example_file_parses_with_defaults_applied() -> None:
    teams = {t.name: t for t in parse_files([EXAMPLE])}
    assert set(teams) == {"backend", "frontend", "docs", "dba"}
    assert teams["dba"].handles == (("github", "acme/dba"), ("gitlab", "acme/dba"))
    backend = teams["backend"]
    assert (backend.strategy, backend.reviewers) == (ROUND_ROBIN, 2)
    alice, bob, carol = backend.members
    assert alice.handles == (("github", "alice-gh"), ("gitlab", "alice"), ("gitea", "alice"))
    assert alice.max_open_reviews == 3 and alice.is_active
    assert bob.away == (
        AwayPeriod(None, date(2026, 12, 1)),
        AwayPeriod(date(2026, 12, 24), date(2027, 1, 2)),
    )
    assert not carol.is_active
    assert teams["docs"].strategy is RANDOM and teams["docs"].reviewers == 1
    assert teams["frontend"].members[1].username == "Erin Brockovich"


def test_defaults_for_a_minimal_file() -> None:
    (team,) = parse_texts([("teams:\n  - name: t\n    members:\n      - id: u\n", "m.yaml")])
    (member,) = team.members
    assert (team.strategy, team.reviewers) == (RANDOM, 2)
    assert (member.username, member.is_active, member.handles, member.away) == ("u", True, (), ())
    assert member.max_open_reviews is None


def _yaml_as_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _yaml_as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_yaml_as_json(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value


def test_json_schema_accepts_the_example_and_rejects_what_we_reject() -> None:
    schema = json.loads((CONFIG / "teams.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    validator.validate(_yaml_as_json(yaml.safe_load(EXAMPLE.read_text())))
    bad = [
        "teams:\n  - name: t\n    members: []\n    colour: red\n",
        "teams:\n  - name: t\n    strategy: fastest\n    members: []\n",
        "teams:\n  - name: t\n    reviewers: 3\n    members: []\n",
        "teams:\n  - name: t\n    members:\n      - id: 123\n",
        "teams:\n  - name: t\n    members:\n      - {id: u, away_until: soon}\n",
    ]
    for text in bad:
        assert not validator.is_valid(_yaml_as_json(yaml.safe_load(text))), text
        with pytest.raises(ConfigInvalid):
            parse_texts([(text, "bad.yaml")])


def test_every_problem_of_a_file_is_reported_together_with_its_line() -> None:
    text = """\
version: 2
teams:
  - name: backend
    strategy: fastest
    reviewers: 3
    colour: red
    members:
      - id: alice
        away_until: 2026-02-30
        nickname: al
      - id: 0123
      - id: bob
        gitlab: no
        max_open_reviews: -1
        away:
          - {from: 2026-12-20, to: 2026-12-01}
          - {from: 2026-12-20}
      - name: nobody
      - id: dan
        active: maybe
        id: dan2
"""
    issues = _issues(text)
    assert _where(issues) == [
        ("f0.yaml", 1, "version"),
        ("f0.yaml", 4, "teams[0].strategy"),
        ("f0.yaml", 5, "teams[0].reviewers"),
        ("f0.yaml", 6, "teams[0].colour"),
        ("f0.yaml", 9, "teams[0].members[0].away_until"),
        ("f0.yaml", 10, "teams[0].members[0].nickname"),
        ("f0.yaml", 11, "teams[0].members[1].id"),
        ("f0.yaml", 13, "teams[0].members[2].gitlab"),
        ("f0.yaml", 14, "teams[0].members[2].max_open_reviews"),
        ("f0.yaml", 16, "teams[0].members[2].away[0].to"),
        ("f0.yaml", 17, "teams[0].members[2].away[1].to"),
        ("f0.yaml", 18, "teams[0].members[3].id"),
        ("f0.yaml", 20, "teams[0].members[4].active"),
        ("f0.yaml", 21, "teams[0].members[4].id"),
    ]
    messages = {i.key: i.message for i in issues}
    assert "unknown strategy 'fastest'" in messages["teams[0].strategy"]
    assert "random, round_robin, least_loaded" in messages["teams[0].strategy"]
    assert "from 0 to 2, got 3" in messages["teams[0].reviewers"]
    assert "unknown key" in messages["teams[0].colour"]
    assert (
        "expected a date (YYYY-MM-DD), got '2026-02-30'"
        in messages["teams[0].members[0].away_until"]
    )
    assert "got 0123 (quote it" in messages["teams[0].members[1].id"]
    assert "got no (quote it" in messages["teams[0].members[2].gitlab"]
    assert "on or after 2026-12-20" in messages["teams[0].members[2].away[0].to"]
    assert "missing key" in messages["teams[0].members[2].away[1].to"]
    assert "repeated key" in messages["teams[0].members[4].id"]
    assert str(issues[1]).startswith("f0.yaml:4:15: teams[0].strategy: ")


def test_problems_across_files_name_both_places() -> None:
    first = """\
teams:
  - name: backend
    members:
      - {id: alice, github: al}
      - {id: bob}
      - {id: bob}
"""
    second = """\
teams:
  - name: frontend
    members:
      - id: alice
      - {id: carol, github: al}
  - name: backend
    members: []
"""
    issues = _issues(first, second)
    assert [(i.file, i.line) for i in issues] == [
        ("f0.yaml", 6),
        ("f1.yaml", 4),
        ("f1.yaml", 5),
        ("f1.yaml", 6),
    ]
    text = "\n".join(str(i) for i in issues)
    assert "member 'bob' is again in this team (first at f0.yaml:5:" in text
    assert "member 'alice' is already in team 'backend' (first at f0.yaml:4:" in text
    assert "github handle 'al' already belongs to 'alice'" in text
    assert "team 'backend' is already defined at f0.yaml:2:" in text


def test_a_team_with_other_problems_still_gets_its_members_checked_across() -> None:
    first = "teams:\n  - name: a\n    strategy: nope\n    members: [{id: x}]\n"
    second = "teams:\n  - name: b\n    members: [{id: x}]\n"
    keys = [(i.file, i.key) for i in _issues(first, second)]
    assert keys == [("f0.yaml", "teams[0].strategy"), ("f1.yaml", "teams[0].members[0].id")]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("teams:\n  - name: [unclosed\n", 3, "not valid YAML"),
        ("", 1, "empty file"),
        ("- just\n- a list\n", 1, "expected a mapping"),
        ("version: 1\n", 1, "missing key"),
        ("teams:\n  - members: []\n", 2, "every team needs a name"),
        ("teams:\n  - name: t\n", 2, "expected a list of members"),
        ("teams: {a: 1}\n", 1, "expected a list of teams"),
        ("teams:\n  - name: t\n    members: [alice]\n", 3, "expected a mapping"),
    ],
)
def test_structural_problems(text: str, line: int, fragment: str) -> None:
    (issue,) = _issues(text)
    assert issue.line == line
    assert fragment in str(issue)


def test_unreadable_file_is_reported_with_the_others(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("teams:\n  - name: t\n    strategy: x\n    members: []\n")
    with pytest.raises(ConfigInvalid) as raised:
        parse_files([tmp_path / "missing.yaml", broken])
    assert [i.file for i in raised.value.issues] == [
        str(tmp_path / "missing.yaml"),
        str(broken),
    ]


# -- hostile files: refused quickly with a clear message, never a crash ------------------


def _only_issue(text: str) -> str:
    teams, issues = parse_text(text, "t.yaml")
    assert teams == [] and len(issues) == 1, issues
    return issues[0].message


def test_anchors_and_aliases_are_refused_before_any_walk() -> None:
    # Each level doubles the work of a walker that re-reads aliases: 2**30 member reads.
    levels = ["a0: &a0 {id: x}"] + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, 31)]
    text = "\n".join(levels) + "\nteams: [{name: t, members: *a30}]\n"
    assert "anchors and aliases are not allowed" in _only_issue(text)


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    assert "nested deeper than 20 levels" in _only_issue("teams: " + "[" * 30 + "]" * 30)
    # libyaml stops at its own depth limit first; either way one clean problem.
    assert "nesting depth" in _only_issue("teams: " + "[" * 50_000 + "]" * 50_000)


def test_a_file_over_the_cap_is_refused_without_being_read(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(ConfigInvalid) as caught:
        parse_files([big])
    assert f"at most {MAX_FILE_BYTES} bytes" in str(caught.value)


def test_a_file_just_under_the_cap_is_read_whole() -> None:
    member = "      - {id: u%d, name: User %d, github: gh%d, max_open_reviews: 3}\n"
    text, i = "teams:\n  - name: t\n    members:\n", 0
    while len(text) + len(member) + 30 < MAX_FILE_BYTES:
        text += member % (i, i, i)
        i += 1
    teams = parse_texts([(text, "big.yaml")])
    assert len(teams[0].members) == i  # its time is measured by perf/team_file.py
