"""Who may run a comment command, and what reviewbot answers. Pure.

``refusal`` says why a command may not run (None: it may), from plain facts: the comment's
author as a member (or nobody), the PR as stored. The texts of the replies (help, refusals,
warnings, explanations) are built here too, so the service only decides which to send.
The acknowledgement is one reaction per comment: ``Reaction.OK`` when every command ran,
``Reaction.REFUSED`` when any was refused, with one reply that says what was wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from bot.core.commands import (
    USAGE,
    Away,
    Back,
    BadCommand,
    Command,
    Explain,
    Help,
    Release,
    RequestTeam,
    RequestUser,
    Reroll,
    usage,
)
from bot.core.models import PrStatus

MAX_AWAY_DAYS = 366  # a date further out is a typo more often than a plan


class Reaction(StrEnum):
    OK = "ok"  # 👍 ('+1' or 'thumbsup': each host client names it its own way)
    REFUSED = "refused"  # 😕 ('confused')


@dataclass(frozen=True, slots=True)
class Actor:
    """The comment's author, if a member has their handle on this host."""

    handle: str
    user_id: str | None = None
    team: str | None = None


@dataclass(frozen=True, slots=True)
class PrFacts:
    author_id: str
    author_team: str | None
    reviewers: tuple[str, ...]
    status: PrStatus


def needs_pr(command: Command) -> bool:
    """Commands about the PR (the others are about the commenter, or nobody)."""
    return not isinstance(command, Away | Back | Help)


def changes_reviewers(command: Command) -> bool:
    return isinstance(command, RequestUser | RequestTeam | Reroll | Release)


def refusal(command: Command, actor: Actor, pr: PrFacts | None, bot: str) -> str | None:
    """Why ``actor`` may not run ``command`` on ``pr`` (None: they may)."""
    if isinstance(command, Help):
        return None
    if pr is None and needs_pr(command):
        return (
            "reviewbot has no record of this pull request and cannot record it: its author is"
            " not a member it knows on this host (add them, with their handle, to a team file)"
        )
    if isinstance(command, Explain):
        return None
    if actor.user_id is None:
        return f"@{actor.handle} is not a member reviewbot knows on this host"
    if pr is None or not needs_pr(command):
        return None
    if pr.status is not PrStatus.OPEN:
        return f"the pull request is {pr.status.value.lower()}; its reviewers no longer change"
    mine = actor.user_id == pr.author_id or actor.user_id in pr.reviewers
    if isinstance(command, RequestUser | RequestTeam):
        if mine or (actor.team is not None and actor.team == pr.author_team):
            return None
        return "only the author, its reviewers and the author's team may request reviewers"
    if isinstance(command, Reroll):
        return None if mine else "only the author and its reviewers may reroll"
    if actor.user_id not in pr.reviewers:  # Release
        return "only a current reviewer may release their own review"
    return None


def away_problem(until: date, today: date) -> str | None:
    if until < today:
        return f"{until.isoformat()} is in the past (today is {today.isoformat()}, UTC)"
    if until > today + timedelta(days=MAX_AWAY_DAYS):
        return f"{until.isoformat()} is more than a year away"
    return None


def command_word(command: Command) -> str:
    match command:
        case RequestUser() | RequestTeam():
            return "r?"
        case Reroll():
            return "reroll"
        case Release():
            return "release"
        case Away():
            return "away"
        case Back():
            return "back"
        case Explain():
            return "explain"
        case Help():
            return "help"


def refused_text(line: str, problem: str, form: str) -> str:
    return f"❌ `{line}`: {problem}. Correct form: `{form}`"


def refused(command: Command | BadCommand, problem: str, bot: str) -> str:
    if isinstance(command, BadCommand):
        return refused_text(command.line, command.problem, command.usage)
    return refused_text(command.line, problem, usage(command_word(command), bot))


HELP_ROWS = (
    ("r?", "author, reviewers, author's team", "request that member, or one from that team"),
    ("reroll", "author, reviewers", "replace the reviewers reviewbot picked"),
    ("release", "a reviewer", "hand off your review to someone else"),
    ("away", "any member", "not assigned up to and including that day (UTC)"),
    ("back", "any member", "available again"),
    ("explain", "anyone", "why each reviewer was chosen"),
    ("help", "anyone", "this table"),
)


def help_text(bot: str) -> str:
    rows = [f"| `{usage(word, bot)}` | {who} | {what} |" for word, who, what in HELP_ROWS]
    assert len(rows) == len(USAGE)
    head = ["reviewbot commands (one per line; not in code blocks or quotes):", ""]
    return "\n".join([*head, "| command | who may | effect |", "|---|---|---|", *rows])


@dataclass
class Report:
    """What a comment's commands did, for the reaction and the reply."""

    lines: list[str] = field(default_factory=list)
    any_refused: bool = False

    def ok(self, text: str | None = None) -> None:
        if text:
            self.lines.append(text)

    def refuse(self, text: str) -> None:
        self.any_refused = True
        self.lines.append(text)

    @property
    def reaction(self) -> Reaction:
        return Reaction.REFUSED if self.any_refused else Reaction.OK

    def reply(self) -> str | None:
        return "\n\n".join(self.lines) if self.lines else None


def explain_text(
    reviewers: Sequence[str], events: Sequence[Mapping[str, Any]], handles: Mapping[str, str]
) -> str:
    """Why each current reviewer is on the PR, from the recorded assignment events."""
    if not reviewers:
        return "This pull request has no reviewers reviewbot knows of."
    lines = ["Why the current reviewers were chosen:"]
    for user_id in reviewers:
        event = _latest_for(user_id, events)
        lines.append(f"- @{handles.get(user_id, user_id)}: {_why(event)}")
    return "\n".join(lines)


def _latest_for(user_id: str, events: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    mine = [e for e in events if e.get("user_id") == user_id and e.get("kind") != "removed"]
    return mine[-1] if mine else None


def _why(event: Mapping[str, Any] | None) -> str:
    if event is None:
        return "no assignment recorded"
    explain = event.get("explain") or {}
    parts: list[str] = []
    reason = explain.get("reason")
    if isinstance(reason, dict):
        parts.append(f"`{reason.get('command')}` by @{reason.get('by')}")
    elif event.get("source") == "host":
        parts.append("requested by a person on the code host")
    else:
        parts.append(f"assigned ({event.get('source')})")
    if "strategy" in explain:
        parts.append(f"strategy {explain['strategy']}")
    skipped = [s for s in explain.get("skipped", []) if isinstance(s, dict)]
    if skipped:
        shown = ", ".join(f"{s.get('user_id')} ({s.get('reason')})" for s in skipped[:8])
        more = f" and {len(skipped) - 8} more" if len(skipped) > 8 else ""
        parts.append(f"skipped {shown}{more}")
    return "; ".join(parts)
