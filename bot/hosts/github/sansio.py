"""GitHub ``pull_request`` and ``issue_comment`` deliveries → typed events (README's table).

Signed with ``X-Hub-Signature-256``; event name from ``X-GitHub-Event``; action from the
payload's ``action``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.core.errors import Unauthorized
from bot.core.events import Kind
from bot.hosts.events import (
    Activity,
    ActivityEvent,
    CommentEvent,
    Ignored,
    Parsed,
    Ping,
    PrEvent,
    PrRef,
    checked_path,
    comment_body,
    handle,
    integer,
    items,
    logins,
    obj,
    pull_request_of,
    pushed,
    text,
    title_of,
)
from bot.hosts.paths import owner_and_name
from bot.hosts.verify import hmac_hex, same, well_formed_hex

NAME = "github"
PR_SEPARATOR = "#"

REVIEW_STATES = {
    "approved": Activity.APPROVED,
    "changes_requested": Activity.CHANGES_REQUESTED,
    "commented": Activity.COMMENTED,
}
IGNORED_ACTIONS: dict[str, str] = {}


# Logins: letters, digits and '-' ('_' in Enterprise Managed Users), at most 39; repository
# names: letters, digits, '.', '-', '_', at most 100 (GitHub's documented limits).
_LOGIN = re.compile(r"[A-Za-z0-9_-]+")


def valid_repo(path: str) -> bool:
    return owner_and_name(path, 39, 100, _LOGIN)


def precheck(headers: Mapping[str, str], secret: str) -> None:
    """What can be refused before the body is read: no signature, or not one at all."""
    given = headers.get("x-hub-signature-256")
    if not given:
        raise Unauthorized("missing X-Hub-Signature-256 header")
    if not (given.startswith("sha256=") and well_formed_hex(given[7:])):
        raise Unauthorized("X-Hub-Signature-256 is not 'sha256=' and 64 hex digits")


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> None:
    precheck(headers, secret)
    given = headers["x-hub-signature-256"]
    if not same(given, "sha256=" + hmac_hex(secret, body)):
        raise Unauthorized("X-Hub-Signature-256 does not match the body")


def parse(event: str, payload: Any) -> Parsed:
    if event == "ping":
        return Ping("pong: hook " + str(integer(payload, "hook_id") or "?"))
    if event == "issue_comment":
        return parse_comment(payload)
    if event == "push":
        return pushed(payload, "repository", "full_name", valid_repo)
    if event in ("pull_request_review", "pull_request_review_comment"):
        return parse_review(event, payload)
    if event != "pull_request":
        return Ignored(f"GitHub event '{event}' is not handled")
    action = text(payload, "action") or ""
    found = pull_request_of(payload, valid_repo)
    if isinstance(found, Ignored):
        return found
    pr, repo, number = found
    kinds = _kinds(action, pr, payload)
    if isinstance(kinds, Ignored):
        return kinds
    return PrEvent(
        ref=PrRef(NAME, repo, number, PR_SEPARATOR),
        kinds=kinds,
        title=title_of(pr, "title"),
        author=handle(obj(pr, "user"), "login"),
        requested=logins(items(pr, "requested_reviewers")),
        added=_reviewer(payload) if action == "review_requested" else (),
        removed=_reviewer(payload) if action == "review_request_removed" else (),
        installation_id=integer(obj(payload, "installation"), "id"),
        default_branch=text(obj(payload, "repository"), "default_branch"),
    )


def _kinds(action: str, pr: dict[str, Any], payload: Any) -> tuple[Kind, ...] | Ignored:
    if action in ("opened", "reopened"):
        return (Kind.DRAFT_OPENED,) if pr.get("draft") is True else (Kind.OPENED,)
    if action == "ready_for_review":
        return (Kind.OPENED,)
    if action == "synchronize":
        return Ignored("new commits to a draft") if pr.get("draft") is True else (Kind.NEW_COMMITS,)
    if action == "converted_to_draft":
        return (Kind.TO_DRAFT,)
    if action == "closed":
        return (Kind.MERGED,) if pr.get("merged") is True else (Kind.CLOSED,)
    if action == "edited":
        if "title" in obj(payload, "changes"):
            return (Kind.RENAMED,)
        return Ignored("edited without a title change")
    if action in ("review_requested", "review_request_removed"):
        if not _reviewer(payload):
            return Ignored(f"{action} for a team, not a person")
        kind = Kind.REVIEWERS_ADDED if action == "review_requested" else Kind.REVIEWERS_REMOVED
        return (kind,)
    reason = IGNORED_ACTIONS.get(action, f"pull_request action '{action}' is not handled")
    return Ignored(reason)


def _reviewer(payload: Any) -> tuple[str, ...]:
    login = handle(obj(payload, "requested_reviewer"), "login")
    return (login,) if login else ()


def parse_comment(payload: Any) -> CommentEvent | Ignored:
    """``issue_comment`` ``created`` on an issue that is a pull request (it has
    ``issue.pull_request``); edits, deletions and plain issues are ignored."""
    action = text(payload, "action") or ""
    if action != "created":
        return Ignored(f"issue_comment action '{action}' is not handled")
    issue, comment = obj(payload, "issue"), obj(payload, "comment")
    if "pull_request" not in issue:
        return Ignored("a comment on an issue, not on a pull request")
    repo = text(obj(payload, "repository"), "full_name")
    number, comment_id = integer(issue, "number"), integer(comment, "id")
    if repo is None or number is None or comment_id is None:
        return Ignored("issue_comment payload without repository, issue number or comment id")
    merged = obj(issue, "pull_request").get("merged_at") is not None
    state = "merged" if merged else ("closed" if text(issue, "state") == "closed" else "open")
    return CommentEvent(
        ref=PrRef(NAME, checked_path(repo, valid_repo, "repository.full_name"), number, "#"),
        comment_id=comment_id,
        author=handle(obj(comment, "user"), "login"),
        body=comment_body(comment, "body"),
        title=title_of(issue, "title"),
        pr_author=handle(obj(issue, "user"), "login"),
        pr_state=state,
        installation_id=integer(obj(payload, "installation"), "id"),
    )


def parse_review(event: str, payload: Any) -> ActivityEvent | Ignored:
    """``pull_request_review`` ``submitted`` (its ``review.state``) and
    ``pull_request_review_comment`` ``created``: the reviewer responded."""
    action = text(payload, "action") or ""
    wanted = "submitted" if event == "pull_request_review" else "created"
    if action != wanted:
        return Ignored(f"{event} action '{action}' is not handled")
    found = pull_request_of(payload, valid_repo)
    if isinstance(found, Ignored):
        return found
    _, repo, number = found
    if event == "pull_request_review":
        review = obj(payload, "review")
        activity = REVIEW_STATES.get((text(review, "state") or "").lower())
        if activity is None:
            return Ignored(f"review state '{text(review, 'state')}' is not a response")
        actor = handle(obj(review, "user"), "login")
    else:
        activity, actor = Activity.COMMENTED, handle(obj(obj(payload, "comment"), "user"), "login")
    return ActivityEvent(PrRef(NAME, repo, number, PR_SEPARATOR), activity, actor)
