"""The stored teams written back in the file format, so that export -> apply changes nothing.

Every setting is written out, defaults included, so the file says exactly what is stored.
"""

from __future__ import annotations

from typing import Any

import yaml

from config.team_parse import FORMAT_VERSION
from config.team_spec import MemberSpec, StoredState

HEADER = "# reviewbot teams, exported from the database. See config/teams.example.yaml.\n"


def export_yaml(state: StoredState) -> str:
    by_team: dict[str, list[MemberSpec]] = {name: [] for name in state.teams}
    for user in state.users.values():
        by_team.setdefault(user.team_name, []).append(user.member)
    teams = []
    for name in sorted(by_team):
        team = state.teams[name]
        members = sorted(by_team[name], key=lambda m: m.user_id)
        teams.append(
            {
                "name": name,
                "strategy": team.strategy.name,
                "reviewers": team.reviewers,
                "mode": team.mode.value,
                **dict(team.handles),
                **team.sla.exported(),
                "members": [_member(m) for m in members],
            }
        )
    document: dict[str, Any] = {"version": FORMAT_VERSION, "teams": teams}
    document["rules"] = [r.as_json() for r in state.rules]
    document["codeowners"] = state.codeowners.as_json()
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return HEADER + body


def _member(member: MemberSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"id": member.user_id, "name": member.username}
    out["active"] = member.is_active
    out.update(dict(member.handles))
    if member.max_open_reviews is not None:
        out["max_open_reviews"] = member.max_open_reviews
    periods = []
    for period in member.away:
        if period.first_day is None:
            out["away_until"] = period.last_day
        else:
            periods.append({"from": period.first_day, "to": period.last_day})
    if periods:
        out["away"] = periods
    out.update(member.work.exported())
    return out
