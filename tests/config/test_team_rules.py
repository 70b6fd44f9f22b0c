"""``rules:``, ``codeowners:`` and team host handles in team files: parsed, checked with
file:line, planned and exported so that export -> apply changes nothing."""

from __future__ import annotations

import pytest
import yaml

from bot.core.routing import CodeOwnersSetting, Rule
from config.team_export import export_yaml
from config.team_parse import parse_config_texts
from config.team_plan import plan
from config.team_spec import ConfigInvalid, ConfigIssue, StoredState, StoredUser

TEAMS = """\
version: 1
teams:
  - name: backend
    members: [{id: ana}, {id: ben}]
  - name: dba
    github: acme/dba
    gitlab: "@acme/dba"
    members: [{id: dora}, {id: dan}]
"""

RULES = """\
rules:
  - name: database
    paths: ["migrations/**", "**/*.sql"]
    repos: ["acme/api"]
    team: dba
  - name: docs
    paths: [docs/]
    members: [ana, ben]
    reviewers: 2
codeowners:
  enabled: true
"""


def _issues(*texts: str) -> list[ConfigIssue]:
    with pytest.raises(ConfigInvalid) as raised:
        parse_config_texts([(t, f"f{i}.yaml") for i, t in enumerate(texts)])
    return raised.value.issues


def test_rules_codeowners_and_team_handles_parse() -> None:
    config = parse_config_texts([(TEAMS + RULES, "teams.yaml")])
    assert config.rules == (
        Rule("database", ("migrations/**", "**/*.sql"), ("acme/api",), team="dba"),
        Rule("docs", ("docs/",), members=("ana", "ben"), reviewers=2),
    )
    assert config.codeowners == CodeOwnersSetting(True, 1)
    dba = next(t for t in config.teams if t.name == "dba")
    assert dba.handles == (("github", "acme/dba"), ("gitlab", "acme/dba"))


def test_no_rules_key_means_leave_them_as_they_are() -> None:
    config = parse_config_texts([(TEAMS, "teams.yaml")])
    assert (config.rules, config.codeowners) == (None, None)
    assert parse_config_texts([(TEAMS + "rules: []\n", "t.yaml")]).rules == ()


def test_rule_problems_name_file_line_and_key() -> None:
    bad = """\
rules:
  - name: database
    paths: ["!migrations/**", "db/[ab]/x"]
    team: nosuch
  - name: database
    paths: []
    team: dba
    members: [ana]
  - paths: [a]
    members: [ghost]
    reviewers: 3
codeowners: {enabled: maybe}
"""
    found = [(i.line, i.key, i.message) for i in _issues(TEAMS + bad)]
    base = TEAMS.count("\n")
    negation = "invalid pattern '!migrations/**': negation ('!') is not supported"
    assert any(
        (line, key) == (base + 3, "rules[0].paths[0]") and m.startswith(negation)
        for line, key, m in found
    )
    assert any(line == base + 3 and key == "rules[0].paths[1]" for line, key, _ in found)
    assert (base + 4, "rules[0].team", "no team 'nosuch' in these files") in found
    assert any(key == "rules[1].name" and "already defined at f0.yaml" in m for _, key, m in found)
    assert any(key == "rules[1]" and "exactly one of" in m for _, key, m in found)
    assert any(key == "rules[1].paths" for _, key, _ in found)
    assert any(key == "rules[2].name" for _, key, _ in found)
    assert any(key == "rules[2].reviewers" for _, key, _ in found)
    assert any(key == "codeowners.enabled" for _, key, _ in found)


def test_codeowners_in_two_files_and_team_handle_twice() -> None:
    other = "teams:\n  - name: ops\n    github: acme/dba\n    members: []\n"
    other += "codeowners: {enabled: true}\n"
    found = _issues(TEAMS + "codeowners: {enabled: false}\n", other)
    messages = [str(i) for i in found]
    assert any("f1.yaml:5" in m and "already set at f0.yaml" in m for m in messages), messages
    assert any("github handle 'acme/dba' already belongs to team 'dba'" in m for m in messages)


def test_plan_shows_rule_changes_and_export_round_trips() -> None:
    config = parse_config_texts([(TEAMS + RULES, "teams.yaml")])
    first = plan(config.teams, StoredState(), rules=config.rules, codeowners=config.codeowners)
    kinds = [c.kind for c in first.changes]
    assert kinds.count("rule_created") == 2 and "codeowners_updated" in kinds
    assert "+ rule created: database" in first.as_text()
    # What apply stores, exported and parsed again, plans no change.
    stored = StoredState(
        teams={t.name: t for t in config.teams},
        users={m.user_id: StoredUser(t.name, m) for t in config.teams for m in t.members},
        rules=config.rules or (),
        codeowners=config.codeowners or CodeOwnersSetting(),
    )
    exported = export_yaml(stored)
    again = parse_config_texts([(exported, "x.yaml")])
    assert yaml.safe_load(exported)["rules"][0]["team"] == "dba"
    again_plan = plan(again.teams, stored, rules=again.rules, codeowners=again.codeowners)
    assert again_plan.empty, again_plan.as_text()
    changed = (Rule("database", ("migrations/**",), team="dba"),)
    text = plan([], stored, rules=changed).as_text()
    assert "~ rule updated: database" in text and "- rule removed: docs" in text
