"""Gitea / Forgejo ``pull_request`` deliveries → typed events (the table is in README).

Signed with ``X-Forgejo-Signature`` or ``X-Gitea-Signature``; event name from
``X-Forgejo-Event`` or ``X-Gitea-Event`` (review requests arrive as
``pull_request`` with action ``review_requested``); action from the payload's ``action``.
Drafts: the ``draft`` flag where the version sends it, else a work-in-progress title prefix
(Gitea's default ``WORK_IN_PROGRESS_PREFIXES``).
"""

from __future__ import annotations

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

NAME = "gitea"
PR_SEPARATOR = "#"
WIP_PREFIXES = ("wip:", "[wip]")
# A comment on a PR: Gitea and Forgejo name the event ``issue_comment`` in X-Gitea-Event
# (``pull_request_comment`` in X-Gitea-Event-Type, and in the header of some versions).
COMMENT_EVENTS = ("issue_comment", "pull_request_comment")
# Reviews arrive as their own events (action ``reviewed``); new commits are a
# ``pull_request`` (``pull_request_sync`` in the type header) with action ``synchronized``.
REVIEW_EVENTS = {
    "pull_request_review_approved": Activity.APPROVED,
    "pull_request_review_rejected": Activity.CHANGES_REQUESTED,
    "pull_request_review_comment": Activity.COMMENTED,
}


def is_wip(title: str) -> bool:
    return title.strip().lower().startswith(WIP_PREFIXES)


def _signature(headers: Mapping[str, str]) -> str:
    # Forgejo sends its own header name (and, for compatibility, usually the Gitea one too).
    given = headers.get("x-forgejo-signature") or headers.get("x-gitea-signature")
    if not given:
        raise Unauthorized("missing X-Gitea-Signature / X-Forgejo-Signature header")
    if not well_formed_hex(given):
        raise Unauthorized("X-Gitea-Signature is not 64 hex digits")
    return given


def valid_repo(path: str) -> bool:
    """Users and organisations: letters, digits, '-', '_', '.', at most 40; repository
    names: the same alphabet, at most 100."""
    return owner_and_name(path, 40, 100)


def precheck(headers: Mapping[str, str], secret: str) -> None:
    """What can be refused before the body is read: no signature, or not one at all."""
    _signature(headers)


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> None:
    given = _signature(headers)
    if not same(given.lower(), hmac_hex(secret, body)):
        raise Unauthorized("X-Gitea-Signature does not match the body")


def parse(event: str, payload: Any) -> Parsed:
    if event in COMMENT_EVENTS:
        return parse_comment(payload)
    if event == "push":
        return pushed(payload, "repository", "full_name", valid_repo)
    if event in REVIEW_EVENTS:
        return parse_activity(event, payload)
    if event not in ("pull_request", "pull_request_sync"):  # the sync one: new commits
        return Ignored(f"Gitea event '{event}' is not handled")
    action = text(payload, "action") or ""
    found = pull_request_of(payload, valid_repo)
    if isinstance(found, Ignored):
        return found
    pr, repo, number = found
    title = title_of(pr, "title")
    kinds = _kinds(action, pr, payload, title)
    if isinstance(kinds, Ignored):
        return kinds
    reviewer = _reviewer(payload)
    return PrEvent(
        ref=PrRef(NAME, repo, number, PR_SEPARATOR),
        kinds=kinds,
        title=title,
        author=handle(obj(pr, "user"), "login"),
        requested=logins(items(pr, "requested_reviewers")),
        added=reviewer if action == "review_requested" else (),
        removed=reviewer if action == "review_request_removed" else (),
        default_branch=text(obj(payload, "repository"), "default_branch"),
    )


def _kinds(action: str, pr: dict[str, Any], payload: Any, title: str) -> tuple[Kind, ...] | Ignored:
    draft = pr.get("draft") is True or is_wip(title)
    if action in ("opened", "reopened"):
        return (Kind.DRAFT_OPENED,) if draft else (Kind.OPENED,)
    if action == "closed":
        return (Kind.MERGED,) if pr.get("merged") is True else (Kind.CLOSED,)
    if action == "synchronized":
        return Ignored("new commits to a draft") if draft else (Kind.NEW_COMMITS,)
    if action == "edited":
        old_title = text(obj(obj(payload, "changes"), "title"), "from")
        if old_title is None:
            return Ignored("edited without a title change")
        if is_wip(old_title) and not draft:
            return (Kind.RENAMED, Kind.OPENED)  # the WIP prefix was removed: ready now
        if not is_wip(old_title) and is_wip(title):
            return (Kind.RENAMED, Kind.TO_DRAFT)  # a WIP prefix was added: a draft again
        return (Kind.RENAMED,)
    if action in ("review_requested", "review_request_removed"):
        if not _reviewer(payload):
            return Ignored(f"{action} without requested_reviewer")
        kind = Kind.REVIEWERS_ADDED if action == "review_requested" else Kind.REVIEWERS_REMOVED
        return (kind,)
    return Ignored(f"pull_request action '{action}' is not handled")


def _reviewer(payload: Any) -> tuple[str, ...]:
    login = handle(obj(payload, "requested_reviewer"), "login")
    return (login,) if login else ()


def parse_comment(payload: Any) -> CommentEvent | Ignored:
    """A ``created`` comment whose payload says ``is_pull`` (or whose issue carries
    ``pull_request``); edits, deletions and plain issues are ignored."""
    action = text(payload, "action") or ""
    if action != "created":
        return Ignored(f"comment action '{action}' is not handled")
    issue, comment = obj(payload, "issue"), obj(payload, "comment")
    if payload.get("is_pull") is not True and not obj(issue, "pull_request"):
        return Ignored("a comment on an issue, not on a pull request")
    repo = text(obj(payload, "repository"), "full_name")
    number, comment_id = integer(issue, "number"), integer(comment, "id")
    if repo is None or number is None or comment_id is None:
        return Ignored("comment payload without repository, issue number or comment id")
    meta = obj(issue, "pull_request") or obj(payload, "pull_request")
    merged = meta.get("merged") is True or meta.get("merged_at") is not None
    state = "merged" if merged else ("closed" if text(issue, "state") == "closed" else "open")
    return CommentEvent(
        ref=PrRef(NAME, checked_path(repo, valid_repo, "repository.full_name"), number, "#"),
        comment_id=comment_id,
        author=handle(obj(comment, "user"), "login"),
        body=comment_body(comment, "body"),
        title=title_of(issue, "title"),
        pr_author=handle(obj(issue, "user"), "login"),
        pr_state=state,
    )


def parse_activity(event: str, payload: Any) -> ActivityEvent | Ignored:
    """A review (``reviewed``; who: ``sender``)."""
    found = pull_request_of(payload, valid_repo)
    if isinstance(found, Ignored):
        return found
    _, repo, number = found
    activity = REVIEW_EVENTS[event]
    actor = handle(obj(payload, "sender"), "login")
    return ActivityEvent(PrRef(NAME, repo, number, PR_SEPARATOR), activity, actor)
