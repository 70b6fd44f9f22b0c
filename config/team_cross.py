"""Checks across teams and files: a team name once, a member in one team, a handle once."""

from __future__ import annotations

from collections.abc import Sequence

from config.team_member import Identity
from config.team_spec import ConfigIssue
from config.yaml_reader import Located

TeamsRead = Sequence[tuple[str | None, Located, Sequence[Identity]]]


def _issue(at: Located, message: str) -> ConfigIssue:
    return ConfigIssue(at.file, at.line, at.column, at.key, message)


def _first(at: Located) -> str:
    return f"{at.file}:{at.line}:{at.column}"


def check_across(teams: TeamsRead) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    team_at: dict[str, Located] = {}
    member_at: dict[str, tuple[str, Located]] = {}
    handle_at: dict[tuple[str, str], tuple[str, Located]] = {}
    for team_name, name_at, members in teams:
        if team_name is not None and team_name in team_at:
            seen = _first(team_at[team_name])
            issues.append(_issue(name_at, f"team '{team_name}' is already defined at {seen}"))
        elif team_name is not None:
            team_at[team_name] = name_at
        team = team_name or "?"
        for member in members:
            issues.extend(_member_issues(member, team, member_at))
            for host, handle in member.handles:
                owner, seen_at = handle_at.setdefault((host, handle), (member.user_id, member.at))
                if owner != member.user_id:
                    message = f"{host} handle '{handle}' already belongs to '{owner}'"
                    issues.append(_issue(member.at, f"{message} (at {_first(seen_at)})"))
    return sorted(issues, key=lambda i: (i.file, i.line, i.column))


def _member_issues(
    member: Identity, team: str, member_at: dict[str, tuple[str, Located]]
) -> list[ConfigIssue]:
    if member.user_id not in member_at:
        member_at[member.user_id] = (team, member.at)
        return []
    other_team, seen = member_at[member.user_id]
    where = "again in this team" if other_team == team else f"already in team '{other_team}'"
    message = f"member '{member.user_id}' is {where} (first at {_first(seen)})"
    return [_issue(member.at, message)]
