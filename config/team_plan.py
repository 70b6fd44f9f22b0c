"""What applying team files would change: a pure comparison of files with the database.

Changes, in the order they are listed and applied:
- ``team_created`` / ``team_updated`` (strategy, reviewers, mode);
- ``user_created``, ``user_moved`` (to another team, maybe with other fields changed),
  ``user_updated`` (name, active, handles, cap, away periods);
- ``user_deactivated``: with ``prune``, an active user listed in no file. Nothing is ever
  deleted: their history and reviews stay;
- ``rule_created`` / ``rule_updated`` / ``rule_removed`` and ``codeowners_updated``, when a
  file has ``rules:`` / ``codeowners:`` (the files' rules replace the stored ones).
Teams not named in any file are left as they are, and so are the rules when no file has
``rules:``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.core.routing import CodeOwnersSetting, Rule
from config.team_spec import ConfigInvalid, ConfigIssue, MemberSpec, StoredState, TeamSpec


@dataclass(frozen=True, slots=True)
class Change:
    kind: str
    name: str  # the team name or user id
    team: str | None = None  # the team the user is (or ends up) in
    details: dict[str, Any] = field(default_factory=dict)  # field: {"from", "to"}

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "name": self.name}
        if self.team is not None:
            out["team"] = self.team
        if self.details:
            out["changes"] = self.details
        return out

    def as_text(self) -> str:
        sign = {"created": "+", "deactivated": "-", "removed": "-", "moved": ">"}.get(
            self.kind.split("_")[1], "~"
        )
        subject = f"{self.kind.split('_')[0]} {self.name}"
        if self.kind.endswith("_created"):
            shown = {k: v["to"] for k, v in self.details.items() if v["to"] not in (None, {}, [])}
            parts = [f"{k}={_show(v)}" for k, v in shown.items()]
        else:
            parts = [
                f"{k}: {_show(v['from'])} -> {_show(v['to'])}" for k, v in self.details.items()
            ]
        team = f" (team {self.team})" if self.team and self.kind != "user_moved" else ""
        tail = f": {', '.join(parts)}" if parts else ""
        return f"{sign} {self.kind.replace('_', ' ')}: {subject.split(' ', 1)[1]}{team}{tail}"


def _show(value: Any) -> str:
    """A value as the team file would spell it (YAML flow style), never a Python repr."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple | set | frozenset):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def plural(count: int, noun: str) -> str:
    """``1 change``, ``2 changes``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _counted(kind: str, count: int) -> str:
    noun, _, verb = kind.partition("_")  # user_created -> 2 users created
    return f"{plural(count, noun)} {verb}"


@dataclass(frozen=True, slots=True)
class Plan:
    changes: tuple[Change, ...]
    teams: tuple[TeamSpec, ...]  # the desired teams, for apply
    prune: bool
    # Members of the files who set themselves away by comment command: kept as they are.
    kept_away: tuple[tuple[str, str], ...] = ()  # (user id, last day)
    rules: tuple[Rule, ...] | None = None  # None: leave the stored rules as they are
    codeowners: CodeOwnersSetting | None = None

    @property
    def empty(self) -> bool:
        return not self.changes

    def touched_teams(self) -> set[str]:
        """Teams whose cached data the change makes stale."""
        touched = set()
        for change in self.changes:
            if change.kind.startswith("team_"):
                touched.add(change.name)
            elif change.team is not None:
                touched.add(change.team)
            moved = change.details.get("team")
            if moved is not None and moved["from"] is not None:
                touched.add(moved["from"])
        return touched

    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for change in self.changes:
            counts[change.kind] = counts.get(change.kind, 0) + 1
        return counts

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "changes": [c.as_json() for c in self.changes],
            "summary": self.summary(),
            "prune": self.prune,
        }
        if self.kept_away:
            out["kept"] = [
                {"name": user, "away_until": day, "set_by": "comment command"}
                for user, day in self.kept_away
            ]
        return out

    def as_text(self) -> str:
        kept = [
            f"= kept: user {user}: away until {day} (set by the member with a comment command)"
            for user, day in self.kept_away
        ]
        if self.empty:
            return "\n".join([*kept, "no changes"])
        lines = [c.as_text() for c in self.changes]
        counts = ", ".join(_counted(kind, n) for kind, n in self.summary().items())
        return "\n".join([*lines, *kept, f"{plural(len(self.changes), 'change')}: {counts}"])


def plan(
    teams: list[TeamSpec],
    state: StoredState,
    *,
    prune: bool = False,
    rules: tuple[Rule, ...] | None = None,
    codeowners: CodeOwnersSetting | None = None,
) -> Plan:
    """Raises ConfigInvalid when a handle belongs to a user the files do not list."""
    _check_handles(teams, state)
    changes: list[Change] = []
    for team in teams:
        changes.extend(_team_changes(team, state))
    for team in teams:
        for member in team.members:
            change = _member_change(team.name, member, state)
            if change is not None:
                changes.append(change)
    if prune:
        changes.extend(_pruned(teams, state))
    if rules is not None:
        changes.extend(_rule_changes(rules, state.rules))
    if codeowners is not None and codeowners != state.codeowners:
        details = _diff(state.codeowners.as_json(), codeowners.as_json())
        changes.append(Change("codeowners_updated", "codeowners", details=details))
    listed = {m.user_id for t in teams for m in t.members}
    kept = tuple(
        (user, day.isoformat())
        for user, day in sorted(state.self_set_away.items())
        if user in listed
    )
    return Plan(tuple(changes), tuple(teams), prune, kept, rules=rules, codeowners=codeowners)


def _rule_changes(rules: tuple[Rule, ...], stored: tuple[Rule, ...]) -> list[Change]:
    before = {r.name: r.as_json() for r in stored}
    after = {r.name: r.as_json() for r in rules}
    changes = []
    for name, wanted in after.items():
        if name not in before:
            changes.append(Change("rule_created", name, details=_diff({}, wanted)))
        elif before[name] != wanted:
            changes.append(Change("rule_updated", name, details=_diff(before[name], wanted)))
    changes.extend(Change("rule_removed", name) for name in before if name not in after)
    if not changes and list(before) != list(after):  # same rules, another order: it matters
        changes.append(
            Change(
                "rule_updated",
                "(order)",
                details=_diff({"order": list(before)}, {"order": list(after)}),
            )
        )
    return changes


def _team_changes(team: TeamSpec, state: StoredState) -> list[Change]:
    current = state.teams.get(team.name)
    wanted = {
        "strategy": team.strategy.name,
        "reviewers": team.reviewers,
        "mode": team.mode.value,
        "handles": dict(team.handles),
        **team.sla.fields(),
    }
    if current is None:
        return [Change("team_created", team.name, details=_diff({}, wanted))]
    now = {
        "strategy": current.strategy.name,
        "reviewers": current.reviewers,
        "mode": current.mode.value,
        "handles": dict(current.handles),
        **current.sla.fields(),
    }
    details = _diff(now, wanted)
    return [Change("team_updated", team.name, details=details)] if details else []


def _member_change(team: str, member: MemberSpec, state: StoredState) -> Change | None:
    stored = state.users.get(member.user_id)
    if stored is None:
        return Change("user_created", member.user_id, team, _diff({}, member.fields()))
    details = _diff(stored.member.fields(), member.fields())
    if stored.team_name != team:
        details = {"team": {"from": stored.team_name, "to": team}, **details}
        return Change("user_moved", member.user_id, team, details)
    return Change("user_updated", member.user_id, team, details) if details else None


def _pruned(teams: list[TeamSpec], state: StoredState) -> list[Change]:
    listed = {m.user_id for t in teams for m in t.members}
    return [
        Change("user_deactivated", uid, u.team_name, {"active": {"from": True, "to": False}})
        for uid, u in sorted(state.users.items())
        if uid not in listed and u.member.is_active
    ]


def _diff(now: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    return {
        key: {"from": now.get(key), "to": value}
        for key, value in wanted.items()
        if now.get(key) != value
    }


def _check_handles(teams: list[TeamSpec], state: StoredState) -> None:
    listed = {m.user_id for t in teams for m in t.members}
    issues = []
    for team in teams:
        for member in team.members:
            for host, handle in member.handles:
                owner = state.handle_owners.get((host, handle))
                if owner is not None and owner != member.user_id and owner not in listed:
                    message = (
                        f"{host} handle '{handle}' of '{member.user_id}' belongs to user "
                        f"'{owner}', who is not in these files"
                    )
                    issues.append(ConfigIssue("(database)", 0, 0, team.name, message))
    if issues:
        raise ConfigInvalid(issues)
