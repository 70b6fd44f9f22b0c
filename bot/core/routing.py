"""Who reviews what: path rules and CODEOWNERS lines turned into demands, pure.

A ``Demand`` is "``count`` distinct reviewers from this pool, because of this": one per
matched rule (in file order), then one per CODEOWNERS line that owns a changed file (in
line order). ``bot.services.routing`` fills them in that order, then the author's team
tops up as before. The decisions written down in docs/decisions.md#path-rules:

- rule and CODEOWNERS picks count toward the author's team's ``reviewers`` number: the
  team tops up only what is left, and the PR never has more than ``MAX_REVIEWERS``
  (the reference contract's two) — the first demands win;
- a demand is satisfied when enough people already on the PR belong to its pool (someone
  mirrored from the host counts), so a redelivery or new commits never add twice and
  nobody is ever taken off because a file left the diff;
- a pool with nobody eligible is skipped with the reason, never an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.core.paths.codeowners import Owned
from bot.core.paths.patterns import FileIndex, Pattern, compile_pattern
from bot.core.selection.candidates import Candidate, Skip

DEFAULT_RULE_REVIEWERS = 1


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    paths: tuple[str, ...]
    repos: tuple[str, ...] = ()  # host repository paths it applies to; empty: all
    team: str | None = None  # exactly one of team / members
    members: tuple[str, ...] = ()
    reviewers: int = DEFAULT_RULE_REVIEWERS

    def applies_to(self, repo: str | None) -> bool:
        return not self.repos or (repo is not None and repo in self.repos)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "paths": list(self.paths)}
        if self.repos:
            out["repos"] = list(self.repos)
        if self.team is not None:
            out["team"] = self.team
        else:
            out["members"] = list(self.members)
        out["reviewers"] = self.reviewers
        return out


@dataclass(frozen=True, slots=True)
class CodeOwnersSetting:
    enabled: bool = False
    reviewers: int = DEFAULT_RULE_REVIEWERS  # owners per matched CODEOWNERS line

    def as_json(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "reviewers": self.reviewers}


CODEOWNERS_OFF = CodeOwnersSetting()


@dataclass(frozen=True, slots=True)
class Routing:
    """The ``rules:`` and ``codeowners:`` of the applied team files."""

    rules: tuple[Rule, ...] = ()
    codeowners: CodeOwnersSetting = CODEOWNERS_OFF
    _compiled: dict[str, tuple[Pattern, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def active(self) -> bool:
        """Whether PRs need their changed files (else assignment is as it always was)."""
        return bool(self.rules) or self.codeowners.enabled

    def patterns(self, rule: Rule) -> tuple[Pattern, ...]:
        """The rule's compiled patterns, compiled once per ``Routing``."""
        found = self._compiled.get(rule.name)
        if found is None:
            found = tuple(compile_pattern(p) for p in rule.paths)
            self._compiled[rule.name] = found
        return found


@dataclass(frozen=True, slots=True)
class Demand:
    key: str  # "rule:<name>" or "codeowners:<line>": names it in notes and tests
    because: dict[str, Any]  # copied into the explanation of whom it picks
    count: int
    team: str | None = None  # choose with this team's strategy…
    members: tuple[str, ...] = ()  # …or among these user ids (random)
    member_teams: tuple[str, ...] = ()  # whose members join ``members`` (CODEOWNERS lines)


@dataclass(frozen=True, slots=True)
class RuleMatch:
    rule: Rule
    file: str  # the first changed file it matched
    count: int  # how many of the changed files it matched


def matched_rules(
    routing: Routing, repo: str | None, files: Iterable[str] | FileIndex
) -> list[RuleMatch]:
    """The rules (in file order) that match at least one changed file."""
    index = files if isinstance(files, FileIndex) else FileIndex.of(files)
    found = []
    for rule in routing.rules:
        if not rule.applies_to(repo):
            continue
        patterns = routing.patterns(rule)
        first = index.first_match(patterns)
        if first is not None:
            hits = {f for p in patterns for f in index.candidates(p) if p.matches(f)}
            found.append(RuleMatch(rule, first, len(hits)))
    return found


def rule_demands(matches: Sequence[RuleMatch]) -> list[Demand]:
    return [
        Demand(
            f"rule:{m.rule.name}",
            {"rule": m.rule.name, "file": m.file, "files_matched": m.count},
            m.rule.reviewers,
            team=m.rule.team,
            members=m.rule.members,
        )
        for m in matches
    ]


@dataclass(frozen=True, slots=True)
class Owner:
    """What a CODEOWNERS owner names in reviewbot: a team, a user, or nobody (why)."""

    token: str
    team: str | None = None
    user_id: str | None = None
    skipped: str | None = None


def codeowner_demands(
    owned: Sequence[Owned],
    path: str,
    resolve: Callable[[str], Owner],
    count: int,
) -> tuple[list[Demand], list[str]]:
    """One demand per owning line and the notes of owners that map to nobody.

    A line naming one team draws with that team's strategy; a line naming users (or
    several teams) draws at random among all of them, as the user expects from "any of
    these owners"."""
    demands: list[Demand] = []
    notes: list[str] = []
    for entry in owned:
        owners = [resolve(token) for token in entry.line.owners]
        notes.extend(
            f"{entry.reason(path)}: {o.token} skipped: {o.skipped}" for o in owners if o.skipped
        )
        teams = [o.team for o in owners if o.team]
        users = [o.user_id for o in owners if o.user_id]
        if not teams and not users:
            notes.append(f"{entry.reason(path)}: no owner is a reviewbot member or team")
            continue
        because = {"codeowners": entry.reason(path), "file": entry.files[0]}
        key = f"codeowners:{entry.line.number}"
        if len(teams) == 1 and not users:
            demands.append(Demand(key, because, count, team=teams[0]))
        else:
            demands.append(
                Demand(key, because, count, members=tuple(users), member_teams=tuple(teams))
            )
    return demands, notes


def owner_kind(token: str) -> str:
    """``team`` (@org/team), ``user`` (@login), ``email`` or ``unknown``."""
    if token.startswith("@"):
        return "team" if "/" in token[1:] else "user"
    if "@" in token:
        return "email"
    return "unknown"


def already_served(pool: Iterable[str], reviewers: Sequence[str]) -> int:
    """How many of the PR's reviewers already belong to the demand's pool."""
    members = set(pool)
    return sum(1 for r in reviewers if r in members)


def room(reviewers: Sequence[str], non_members: int, cap: int) -> int:
    """How many more reviewers the PR may get under the cap."""
    return max(cap - len(reviewers) - non_members, 0)


def why_nobody(candidates: Sequence[Candidate], skip: Mapping[str, Skip], shown: int = 8) -> str:
    """Why each member of a pool could not be chosen, for a note: ``walt inactive, otto
    away``. ``skip`` holds the reasons of the choice itself (the author, already reviewing,
    refused by the host); the rest come from the member's own state."""
    reasons = [
        f"{c.user_id} {(skip.get(c.user_id) or c.unavailable() or Skip.UNAVAILABLE).value}"
        for c in candidates
    ]
    if not reasons:
        return "the pool is empty"
    more = len(reasons) - shown
    return ", ".join(reasons[:shown]) + (f" and {more} more" if more > 0 else "")
