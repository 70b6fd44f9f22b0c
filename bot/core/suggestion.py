"""Suggest mode's comment, pure: whom reviewbot would request on a PR, and the short why.

One comment per PR; reviewbot edits it when the suggestion changes, so the text carries
everything (whom, why, that nothing was requested) and nothing that changes without the
suggestion changing (no times).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

MARK = "<!-- reviewbot:suggestion -->"  # tells a reader (and a test) which comment it is


def names(handles: Sequence[str]) -> str:
    """``@a``, ``@a and @b``, ``@a, @b and @c``."""
    at = [f"@{h}" for h in handles]
    return at[0] if len(at) == 1 else ", ".join(at[:-1]) + " and " + at[-1]


def reason(explain: Mapping[str, Any], team: str) -> str:
    """The short why of one choice's explanation: the rule or owners line, else the team's
    strategy."""
    because = explain.get("because") or {}
    if "rule" in because:
        return f"path rule '{because['rule']}' ({because.get('file', '')})"
    if "codeowners" in because:
        return f"CODEOWNERS {because['codeowners']}"
    strategy = str(explain.get("strategy", "")).replace("_", " ")
    return f"team {team}, {strategy}" if strategy else f"team {team}"


def suggestion_text(handles: Sequence[str], reasons: Sequence[str], team: str, bot: str) -> str:
    if not handles:
        body = f"{bot} would request nobody: no member of {team} is available."
    else:
        why = "; ".join(dict.fromkeys(reasons)) or f"team {team}"
        body = f"{bot} would request {names(handles)} ({why})."
    note = f"Team {team} is in suggest mode: nothing was requested on this pull request."
    return f"{MARK}\n{body}\n\n{note}"
