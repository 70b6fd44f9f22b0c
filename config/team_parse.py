"""Reading team-config files: every problem reported together, nothing returned unless valid.

    version: 1            # optional; the format's version
    teams:
      - name: backend
        reviewers: 2      # per new PR, 0..2 (default 2)
        strategy: random  # random | round_robin | least_loaded
        mode: assign      # assign | suggest | off (see docs/teams.md)
        members: [...]    # see config/team_member.py

    rules: [...]          # who reviews what: see config/team_rules.py
    codeowners: {...}

A team may carry host handles like members do (``<host>: org/team``, keyed by the names in
``bot.hosts.registry``), so that CODEOWNERS team entries map to reviewbot teams.

Several files may be given; a team appears in only one of them and a member in one team.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.core.models import DEFAULT_MODE, DEFAULT_REVIEWERS, MAX_REVIEWERS
from bot.core.routing import CodeOwnersSetting, Rule
from bot.core.selection import DEFAULT_STRATEGY, STRATEGIES, Strategy
from bot.hosts.registry import HOSTS
from config.team_cross import check_across
from config.team_member import Identity, read_member
from config.team_mode import read_mode
from config.team_rules import ReadRule, check_rules, read_codeowners, read_rules
from config.team_sla_read import TEAM_KEYS as SLA_KEYS
from config.team_sla_read import read_team_sla
from config.team_spec import MAX_ID_LENGTH, ConfigInvalid, ConfigIssue, MemberSpec, TeamSpec
from config.yaml_reader import Located, Reader, compose, size_problem

FORMAT_VERSION = 1
_TOP_KEYS = ("version", "teams", "rules", "codeowners")
_TEAM_KEYS = ("name", "reviewers", "strategy", "mode", *HOSTS, "members", *SLA_KEYS)


@dataclass(frozen=True, slots=True)
class TeamConfig:
    """Everything the files say. ``rules`` / ``codeowners`` None: no file has the key, so
    applying leaves the stored ones as they are (``rules: []`` clears them)."""

    teams: list[TeamSpec]
    rules: tuple[Rule, ...] | None = None
    codeowners: CodeOwnersSetting | None = None


@dataclass(slots=True)
class ReadFile:
    teams: list[ReadTeam]
    rules: list[ReadRule] | None = None
    codeowners: CodeOwnersSetting | None = None
    codeowners_at: Located | None = None


@dataclass(frozen=True, slots=True)
class ReadTeam:
    """A team as read; ``spec`` None when it has problems (its names still get checked)."""

    spec: TeamSpec | None
    name: str | None
    name_at: Located
    members: tuple[Identity, ...]


def parse_files(paths: Iterable[str | Path]) -> list[TeamSpec]:
    """The teams of all files; raises ConfigInvalid listing every problem in any of them."""
    return parse_config_files(paths).teams


def parse_config_files(paths: Iterable[str | Path]) -> TeamConfig:
    """Teams, rules and the CODEOWNERS setting of all files (ConfigInvalid: every problem)."""
    sources = []
    issues: list[ConfigIssue] = []
    for path in paths:
        try:
            too_large = size_problem(Path(path).stat().st_size)
            if too_large is not None:  # not even read: a huge file costs nothing
                issues.append(ConfigIssue(str(path), 1, 1, "", too_large))
                continue
            sources.append((Path(path).read_text(encoding="utf-8"), str(path)))
        except (OSError, UnicodeDecodeError) as exc:
            issues.append(ConfigIssue(str(path), 1, 1, "", f"cannot read the file: {exc}"))
    try:
        config = parse_config_texts(sources)
    except ConfigInvalid as invalid:
        raise ConfigInvalid(issues + invalid.issues) from None
    if issues:
        raise ConfigInvalid(issues)
    return config


def parse_texts(sources: Sequence[tuple[str, str]]) -> list[TeamSpec]:
    """Like ``parse_files`` for (text, file name) pairs."""
    return parse_config_texts(sources).teams


def parse_config_texts(sources: Sequence[tuple[str, str]]) -> TeamConfig:
    read: list[ReadTeam] = []
    rules: list[ReadRule] | None = None
    codeowners: tuple[CodeOwnersSetting, Located] | None = None
    issues: list[ConfigIssue] = []
    for text, file in sources:
        got, found = parse_file_text(text, file)
        read.extend(got.teams)
        issues.extend(found)
        if got.rules is not None:
            rules = [*(rules or []), *got.rules]
        if got.codeowners_at is not None:
            issues.extend(_once(codeowners, got.codeowners_at))
            if got.codeowners is not None:
                codeowners = (got.codeowners, got.codeowners_at)
    issues.extend(check_across([(t.name, t.name_at, t.members) for t in read]))
    issues.extend(_check_team_handles(read))
    teams = {t.name for t in read if t.name is not None}
    members = {m.user_id for t in read for m in t.members}
    issues.extend(check_rules(rules or [], teams, members))
    if issues:
        order = {file: i for i, (_, file) in enumerate(sources)}
        raise ConfigInvalid(sorted(issues, key=lambda i: (order.get(i.file, -1), i.line, i.column)))
    return TeamConfig(
        [t.spec for t in read if t.spec is not None],
        None if rules is None else tuple(r.rule for r in rules if r.rule is not None),
        None if codeowners is None else codeowners[0],
    )


def _once(before: tuple[CodeOwnersSetting, Located] | None, at: Located) -> list[ConfigIssue]:
    if before is None:
        return []
    first = before[1]
    where = f"{first.file}:{first.line}:{first.column}"
    message = f"'codeowners' is already set at {where}; set it in one file"
    return [ConfigIssue(at.file, at.line, at.column, "codeowners", message)]


def _check_team_handles(read: Sequence[ReadTeam]) -> list[ConfigIssue]:
    seen: dict[tuple[str, str], str] = {}
    issues = []
    for team in read:
        for host, handle in team.spec.handles if team.spec is not None else ():
            owner = seen.setdefault((host, handle), team.name or "?")
            if owner != team.name:
                at = team.name_at
                message = f"{host} handle '{handle}' already belongs to team '{owner}'"
                issues.append(ConfigIssue(at.file, at.line, at.column, at.key, message))
    return issues


def parse_text(text: str, file: str) -> tuple[list[ReadTeam], list[ConfigIssue]]:
    got, issues = parse_file_text(text, file)
    return got.teams, issues


def parse_file_text(text: str, file: str) -> tuple[ReadFile, list[ConfigIssue]]:
    root, problems = compose(text, file)
    if problems:
        return ReadFile([]), problems
    if root is None:
        return ReadFile([]), [ConfigIssue(file, 1, 1, "", "empty file; expected a 'teams:' list")]
    reader = Reader(file)
    got = _read_top(reader, root)
    return got, sorted(reader.issues, key=lambda i: (i.line, i.column))


def _read_top(reader: Reader, root: yaml.Node) -> ReadFile:
    top = reader.mapping(root, "", _TOP_KEYS)
    if top is None:
        return ReadFile([])
    got = ReadFile(_read_teams(reader, root, top))
    if "rules" in top:
        got.rules = read_rules(reader, top["rules"][1])
    if "codeowners" in top:
        got.codeowners = read_codeowners(reader, top["codeowners"][1])
        got.codeowners_at = reader.where(top["codeowners"][0], "codeowners")
    return got


def _read_teams(
    reader: Reader, root: yaml.Node, top: dict[str, tuple[yaml.Node, yaml.Node]]
) -> list[ReadTeam]:
    if "version" in top:
        node = top["version"][1]
        version = reader.scalar(node, "version", "int", f"the number {FORMAT_VERSION}")
        if version is not None and version != FORMAT_VERSION:
            reader.issue(node, "version", f"expected {FORMAT_VERSION}, got {version}")
    if "teams" not in top:
        reader.issue(root, "teams", "missing key; expected a list of teams")
        return []
    teams = []
    for i, node in enumerate(reader.sequence(top["teams"][1], "teams", "teams")):
        team = _read_team(reader, node, f"teams[{i}]")
        if team is not None:
            teams.append(team)
    return teams


def _read_team(reader: Reader, node: yaml.Node, key: str) -> ReadTeam | None:
    entries = reader.mapping(node, key, _TEAM_KEYS)
    if entries is None:
        return None
    errors_before = len(reader.issues)

    def get(name: str, read: Callable[[yaml.Node, str], Any], default: Any) -> Any:
        return read(entries[name][1], f"{key}.{name}") if name in entries else default

    name = get("name", lambda n, k: reader.text(n, k, MAX_ID_LENGTH, "a team name"), None)
    if "name" not in entries:
        reader.issue(node, f"{key}.name", "missing key; every team needs a name")
    reviewers = get("reviewers", lambda n, k: _reviewers(reader, n, k), DEFAULT_REVIEWERS)
    strategy = get("strategy", lambda n, k: _strategy(reader, n, k), DEFAULT_STRATEGY)
    sla = read_team_sla(reader, entries, key)
    members: list[MemberSpec] = []
    identities: list[Identity] = []
    if "members" not in entries:
        reader.issue(node, f"{key}.members", "missing key; expected a list of members (may be [])")
    else:
        nodes = reader.sequence(entries["members"][1], f"{key}.members", "members")
        for i, member_node in enumerate(nodes):
            member, identity = read_member(reader, member_node, f"{key}.members[{i}]")
            members.extend([member] if member else [])
            identities.extend([identity] if identity else [])
    handles = []
    for host in HOSTS:
        if host in entries:
            text = reader.text(entries[host][1], f"{key}.{host}", MAX_ID_LENGTH, f"a {host} team")
            handles.extend([(host, text.lstrip("@"))] if text else [])
    mode = get("mode", lambda n, k: read_mode(reader, n, k), DEFAULT_MODE)
    spec = TeamSpec(name, strategy, reviewers, tuple(members), tuple(handles), sla=sla, mode=mode)
    valid = len(reader.issues) == errors_before
    name_at = reader.where(entries["name"][1] if "name" in entries else node, f"{key}.name")
    return ReadTeam(spec if valid else None, name, name_at, tuple(identities))


def _reviewers(reader: Reader, node: yaml.Node, key: str) -> int | None:
    expected = f"a whole number from 0 to {MAX_REVIEWERS}"
    value = reader.scalar(node, key, "int", expected)
    if value is not None and not 0 <= value <= MAX_REVIEWERS:
        reader.issue(node, key, f"expected {expected}, got {value}")
        return None
    return value  # type: ignore[no-any-return]


def _strategy(reader: Reader, node: yaml.Node, key: str) -> Strategy | None:
    expected = "one of " + ", ".join(STRATEGIES)
    value = reader.scalar(node, key, "str", expected)
    if value is None:
        return None
    if value not in STRATEGIES:
        reader.issue(node, key, f"unknown strategy '{value}'; expected {expected}")
        return None
    return STRATEGIES[value]
