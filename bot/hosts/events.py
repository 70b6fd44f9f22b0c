"""Typed results of parsing a delivery, and the PR ids of CONTRACT §4.

A parser turns (event header, JSON payload) into exactly one of:
- ``PrEvent``: what happened to one pull request, as a tuple of ``Kind`` in the order
  they are applied (one delivery can rename, change reviewers and leave draft at once);
- ``CommentEvent``: a new comment on a pull request, which may hold commands (issue 13);
- ``ActivityEvent``: a reviewer responded (review, approval, changes requested, a review
  comment), or the author pushed new commits (issue 15);
- ``Ping``: the host testing the hook (answered 200);
- ``Ignored``: an event or action we deliberately do nothing for, with the reason (202).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.core.errors import BadRequest
from bot.core.events import Kind

# Bounds on what a delivery may store (issue 10): a title like the REST API's name, a
# handle longer than any host allows is no handle.
TITLE_MAX = 1000
HANDLE_MAX = 255
COMMENT_MAX = 65536  # hosts cap a comment near 65,536 characters


@dataclass(frozen=True, slots=True)
class PrRef:
    """Where a PR lives: ``host`` is a registry name, ``repo`` the repository's path there
    (``owner/name``, a project path…), ``separator`` the host's mark before the number."""

    host: str
    repo: str
    number: int
    separator: str

    @property
    def pr_id(self) -> str:
        return f"{self.host}:{self.repo}{self.separator}{self.number}"


@dataclass(frozen=True, slots=True)
class PrEvent:
    ref: PrRef
    kinds: tuple[Kind, ...]
    title: str
    author: str | None  # the author's handle on the host (None: only a numeric id is known)
    requested: tuple[str, ...] = ()  # handles requested on the host right now
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    # Facts only some hosts send; the host's own memory (bot/hosts/<host>/store.py) reads them.
    author_numeric_id: int | None = None  # the author as a number, when the handle is absent
    installation_id: int | None = None  # the app installation that sent the delivery
    known_users: tuple[tuple[int, str], ...] = ()  # (numeric id, username) pairs seen
    default_branch: str | None = None  # where the repository's CODEOWNERS is read
    # When the delivery arrived, for one applied late from the spool: the PR was opened or
    # merged then, not when PostgreSQL came back (None: now).
    received_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CommentEvent:
    """A comment just written on a PR, with the PR facts the payload carries (so that a
    PR reviewbot has not seen yet can be recorded before its commands apply)."""

    ref: PrRef
    comment_id: int
    author: str | None  # the commenter's handle on the host
    body: str
    title: str
    pr_author: str | None  # the PR author's handle (None: only a numeric id is known)
    pr_state: str  # open | closed | merged
    pr_author_numeric_id: int | None = None
    installation_id: int | None = None
    known_users: tuple[tuple[int, str], ...] = ()


class Activity(StrEnum):
    APPROVED = "approved"  # a review that approves
    CHANGES_REQUESTED = "changes_requested"  # the PR now waits on its author
    COMMENTED = "commented"  # a review or review comment without a verdict

    @property
    def responds(self) -> bool:
        return self in (Activity.APPROVED, Activity.CHANGES_REQUESTED, Activity.COMMENTED)


@dataclass(frozen=True, slots=True)
class ActivityEvent:
    """Something on a PR that the review clock follows (``actor``: the host handle)."""

    ref: PrRef
    activity: Activity
    actor: str | None


@dataclass(frozen=True, slots=True)
class Ping:
    note: str = "pong"


@dataclass(frozen=True, slots=True)
class Ignored:
    reason: str


@dataclass(frozen=True, slots=True)
class Pushed:
    """A push; to the default branch it makes the cached CODEOWNERS stale (path rules)."""

    repo: str
    to_default_branch: bool


Parsed = PrEvent | CommentEvent | ActivityEvent | Ping | Ignored | Pushed


def pushed(
    payload: Any, repository: str, path_key: str, valid_repo: Callable[[str], bool]
) -> Parsed:
    """A push event as the hosts send it: ``ref`` and, under ``repository``, the
    repository's ``default_branch`` and its path (under ``path_key``)."""
    repo_obj = obj(payload, repository)
    repo, ref = text(repo_obj, path_key), text(payload, "ref")
    branch = text(repo_obj, "default_branch")
    if repo is None or ref is None or not valid_repo(repo):
        return Ignored("push without a repository or ref")
    return Pushed(repo, branch is not None and ref == f"refs/heads/{branch}")


# -- helpers shared by the parsers (payloads are untrusted JSON) ------------------------


def pull_request_of(
    payload: Any, valid_repo: Callable[[str], bool]
) -> tuple[dict[str, Any], str, int] | Ignored:
    """The PR, its repository's full name and its number, from a payload shaped
    ``{pull_request: {number…}, repository: {full_name}, number}``."""
    pr = obj(payload, "pull_request")
    repo = text(obj(payload, "repository"), "full_name")
    number = integer(pr, "number") or integer(payload, "number")
    if repo is None or number is None:
        return Ignored("pull_request payload without repository.full_name or number")
    return pr, checked_path(repo, valid_repo, "repository.full_name"), number


def comment_body(value: Any, key: str) -> str:
    """A comment's text, cut to ``COMMENT_MAX`` characters (commands are near the top)."""
    return (text(value, key) or "")[:COMMENT_MAX]


def checked_path(path: str, valid: Callable[[str], bool], field: str) -> str:
    """``path`` if the host could have sent it, else a 400 naming the field."""
    if not valid(path):
        shown = path if len(path) <= 80 else path[:80] + "…"
        raise BadRequest(f"{field} {shown!r} is not a repository path this host allows")
    return path


def title_of(value: Any, key: str) -> str:
    """A PR title, cut to ``TITLE_MAX`` characters (hosts cap theirs at about 255)."""
    return (text(value, key) or "")[:TITLE_MAX]


def handle(value: Any, key: str) -> str | None:
    """A user name on the host; one longer than ``HANDLE_MAX`` counts as absent."""
    found = text(value, key)
    return found if found is not None and len(found) <= HANDLE_MAX else None


def obj(value: Any, key: str) -> dict[str, Any]:
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, dict) else {}


def text(value: Any, key: str) -> str | None:
    found = value.get(key) if isinstance(value, dict) else None
    if not isinstance(found, str):
        return None
    return found.replace("\x00", "") or None  # PostgreSQL text cannot hold NUL


def integer(value: Any, key: str) -> int | None:
    """A positive integer that fits PostgreSQL's bigint; anything else counts as absent."""
    found = value.get(key) if isinstance(value, dict) else None
    if isinstance(found, bool) or not isinstance(found, int):
        return None
    return found if 0 < found < 2**63 else None


def items(value: Any, key: str) -> list[dict[str, Any]]:
    found = value.get(key) if isinstance(value, dict) else None
    return [v for v in found if isinstance(v, dict)] if isinstance(found, list) else []


def logins(users: list[dict[str, Any]], key: str = "login") -> tuple[str, ...]:
    return tuple(name for u in users if (name := handle(u, key)))
