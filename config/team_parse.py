"""Reading team-config files: every problem reported together, nothing returned unless valid.

    version: 1            # optional; the format's version
    teams:
      - name: backend
        reviewers: 2      # per new PR, 0..2 (default 2)
        strategy: random  # random | round_robin | least_loaded
        members: [...]    # see config/team_member.py

Several files may be given; a team appears in only one of them and a member in one team.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.core.models import DEFAULT_REVIEWERS, MAX_REVIEWERS
from bot.core.selection import DEFAULT_STRATEGY, STRATEGIES, Strategy
from config.team_cross import check_across
from config.team_member import Identity, read_member
from config.team_sla_read import TEAM_KEYS as SLA_KEYS
from config.team_sla_read import read_team_sla
from config.team_spec import MAX_ID_LENGTH, ConfigInvalid, ConfigIssue, MemberSpec, TeamSpec
from config.yaml_reader import Located, Reader, compose, size_problem

FORMAT_VERSION = 1
_TOP_KEYS = ("version", "teams")
_TEAM_KEYS = ("name", "reviewers", "strategy", "members", *SLA_KEYS)


@dataclass(frozen=True, slots=True)
class ReadTeam:
    """A team as read; ``spec`` None when it has problems (its names still get checked)."""

    spec: TeamSpec | None
    name: str | None
    name_at: Located
    members: tuple[Identity, ...]


def parse_files(paths: Iterable[str | Path]) -> list[TeamSpec]:
    """The teams of all files; raises ConfigInvalid listing every problem in any of them."""
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
        teams = parse_texts(sources)
    except ConfigInvalid as invalid:
        raise ConfigInvalid(issues + invalid.issues) from None
    if issues:
        raise ConfigInvalid(issues)
    return teams


def parse_texts(sources: Sequence[tuple[str, str]]) -> list[TeamSpec]:
    """Like ``parse_files`` for (text, file name) pairs."""
    read: list[ReadTeam] = []
    issues: list[ConfigIssue] = []
    for text, file in sources:
        teams, found = parse_text(text, file)
        read.extend(teams)
        issues.extend(found)
    issues.extend(check_across([(t.name, t.name_at, t.members) for t in read]))
    if issues:
        order = {file: i for i, (_, file) in enumerate(sources)}
        raise ConfigInvalid(sorted(issues, key=lambda i: (order.get(i.file, -1), i.line, i.column)))
    return [t.spec for t in read if t.spec is not None]


def parse_text(text: str, file: str) -> tuple[list[ReadTeam], list[ConfigIssue]]:
    root, problems = compose(text, file)
    if problems:
        return [], problems
    if root is None:
        return [], [ConfigIssue(file, 1, 1, "", "empty file; expected a 'teams:' list")]
    reader = Reader(file)
    teams = _read_top(reader, root)
    return teams, sorted(reader.issues, key=lambda i: (i.line, i.column))


def _read_top(reader: Reader, root: yaml.Node) -> list[ReadTeam]:
    top = reader.mapping(root, "", _TOP_KEYS)
    if top is None:
        return []
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
    spec = TeamSpec(name, strategy, reviewers, tuple(members), sla)
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
