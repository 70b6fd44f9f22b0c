"""The team file's ``rules:`` and ``codeowners:`` (who reviews what), read and checked.

    rules:                                   # matched against the PR's changed files
      - name: database                       # required, unique; named in explanations
        paths: ["migrations/**", "**/*.sql"] # gitignore-style, CODEOWNERS semantics
        repos: ["acme/api"]                  # optional: repository paths (default: all)
        team: dba                            # choose from this team (its strategy…)
        members: [alice, bob]                # …or from these members (exactly one of them)
        reviewers: 1                         # how many from this rule (default 1)
    codeowners:
      enabled: true                          # also use the repository's CODEOWNERS
      reviewers: 1                           # owners per matched CODEOWNERS line (default 1)

Rules of several files are read in file order; ``codeowners:`` may appear in one file only.
A pool must exist in the files given (a team defined there, members listed there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import yaml

from bot.core.models import MAX_REVIEWERS
from bot.core.paths.patterns import problem
from bot.core.routing import DEFAULT_RULE_REVIEWERS, CodeOwnersSetting, Rule
from config.team_spec import MAX_ID_LENGTH, ConfigIssue
from config.yaml_reader import Located, Reader

RULE_KEYS = ("name", "paths", "repos", "team", "members", "reviewers")
CODEOWNERS_KEYS = ("enabled", "reviewers")
MAX_RULES = 5000
MAX_PATHS = 1000
MAX_PATTERN_LENGTH = 1000


@dataclass(frozen=True, slots=True)
class ReadRule:
    rule: Rule | None  # None: it has problems (its name and pool are still checked)
    name: str | None
    name_at: Located
    pool_at: Located
    team: str | None = None
    members: tuple[str, ...] = ()


def read_rules(reader: Reader, node: yaml.Node) -> list[ReadRule]:
    nodes = reader.sequence(node, "rules", "rules")
    if len(nodes) > MAX_RULES:
        reader.issue(node, "rules", f"at most {MAX_RULES} rules")
        return []
    found = []
    for i, rule_node in enumerate(nodes):
        read = _read_rule(reader, rule_node, f"rules[{i}]")
        if read is not None:
            found.append(read)
    return found


def _read_rule(reader: Reader, node: yaml.Node, key: str) -> ReadRule | None:
    entries = reader.mapping(node, key, RULE_KEYS)
    if entries is None:
        return None
    before = len(reader.issues)
    values = {name: value for name, (_, value) in entries.items()}
    name = None
    if "name" not in values:
        reader.issue(node, f"{key}.name", "missing key; every rule needs a name")
    else:
        name = reader.text(values["name"], f"{key}.name", MAX_ID_LENGTH, "a rule name")
    paths = _paths(reader, values.get("paths"), node, key)
    repos = (
        _texts(reader, values["repos"], f"{key}.repos", "repository paths")
        if "repos" in values
        else ()
    )
    team, members = _pool(reader, values, node, key)
    reviewers = _count(reader, values.get("reviewers"), f"{key}.reviewers")
    name_at = reader.where(values.get("name", node), f"{key}.name")
    pool_node = values.get("team", values.get("members", node))
    pool_at = reader.where(pool_node, f"{key}.team" if "team" in values else f"{key}.members")
    if len(reader.issues) > before or name is None or reviewers is None:
        return ReadRule(None, name, name_at, pool_at, team, members)
    rule = Rule(name, paths, repos, team, members, reviewers)
    return ReadRule(rule, name, name_at, pool_at, team, members)


def _paths(reader: Reader, node: yaml.Node | None, parent: yaml.Node, key: str) -> tuple[str, ...]:
    if node is None:
        reader.issue(parent, f"{key}.paths", "missing key; expected a list of path patterns")
        return ()
    items = reader.sequence(node, f"{key}.paths", "path patterns")
    if not items:
        reader.issue(node, f"{key}.paths", "expected at least one path pattern")
    if len(items) > MAX_PATHS:
        reader.issue(node, f"{key}.paths", f"at most {MAX_PATHS} patterns")
        return ()
    paths = []
    for i, item in enumerate(items):
        text = reader.text(item, f"{key}.paths[{i}]", MAX_PATTERN_LENGTH, "a path pattern")
        if text is None:
            continue
        why = problem(text)
        if why is not None:
            reader.issue(item, f"{key}.paths[{i}]", f"invalid pattern '{text}': {why}")
        else:
            paths.append(text)
    return tuple(paths)


def _texts(reader: Reader, node: yaml.Node, key: str, what: str) -> tuple[str, ...]:
    out = []
    for i, item in enumerate(reader.sequence(node, key, what)):
        text = reader.text(item, f"{key}[{i}]", MAX_PATTERN_LENGTH, what[:-1])
        if text is not None:
            out.append(text)
    return tuple(dict.fromkeys(out))


def _pool(
    reader: Reader, values: dict[str, yaml.Node], node: yaml.Node, key: str
) -> tuple[str | None, tuple[str, ...]]:
    if ("team" in values) == ("members" in values):
        reader.issue(node, key, "expected exactly one of 'team' or 'members'")
        return None, ()
    if "team" in values:
        return reader.text(values["team"], f"{key}.team", MAX_ID_LENGTH, "a team name"), ()
    members = _texts(reader, values["members"], f"{key}.members", "user ids")
    if not members:
        reader.issue(values["members"], f"{key}.members", "expected at least one user id")
    return None, members


def _count(reader: Reader, node: yaml.Node | None, key: str) -> int | None:
    if node is None:
        return DEFAULT_RULE_REVIEWERS
    expected = f"a whole number from 1 to {MAX_REVIEWERS}"
    value = reader.scalar(node, key, "int", expected)
    if value is not None and not 1 <= value <= MAX_REVIEWERS:
        reader.issue(node, key, f"expected {expected}, got {value}")
        return None
    return value  # type: ignore[no-any-return]


def read_codeowners(reader: Reader, node: yaml.Node) -> CodeOwnersSetting | None:
    entries = reader.mapping(node, "codeowners", CODEOWNERS_KEYS)
    if entries is None:
        return None
    before = len(reader.issues)
    enabled = False
    if "enabled" in entries:
        enabled = reader.scalar(
            entries["enabled"][1], "codeowners.enabled", "bool", "true or false"
        )
    reviewers = _count(reader, entries.get("reviewers", (None, None))[1], "codeowners.reviewers")
    if len(reader.issues) > before or reviewers is None:
        return None
    return CodeOwnersSetting(bool(enabled), reviewers)


def check_rules(rules: Sequence[ReadRule], teams: set[str], members: set[str]) -> list[ConfigIssue]:
    """Names unique, pools that exist in the files."""
    issues = []
    seen: dict[str, Located] = {}
    for read in rules:
        if read.name is not None and read.name in seen:
            at = seen[read.name]
            first = f"{at.file}:{at.line}:{at.column}"
            issues.append(_issue(read.name_at, f"rule '{read.name}' is already defined at {first}"))
        elif read.name is not None:
            seen[read.name] = read.name_at
        if read.team is not None and read.team not in teams:
            issues.append(_issue(read.pool_at, f"no team '{read.team}' in these files"))
        unknown = [m for m in read.members if m not in members]
        if unknown:
            listed = ", ".join(f"'{m}'" for m in unknown)
            issues.append(_issue(read.pool_at, f"not a member in these files: {listed}"))
    return issues


def _issue(at: Located, message: str) -> ConfigIssue:
    return ConfigIssue(at.file, at.line, at.column, at.key, message)
