"""GitLab ``Merge Request Hook`` deliveries → typed events (the table is in README).

Authenticated by ``X-Gitlab-Token`` (the secret itself); event name from ``X-Gitlab-Event``;
action from ``object_attributes.action``. An
``update`` is read through its ``changes``: a title change renames, ``draft`` going from
true to false makes the MR ready, a change of ``reviewers`` is mirrored.
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
    pushed,
    text,
    title_of,
)
from bot.hosts.paths import plain
from bot.hosts.verify import same

NAME = "gitlab"
PR_SEPARATOR = "!"
MR_HOOK = "Merge Request Hook"
NOTE_HOOK = "Note Hook"
MR_STATES = {"opened": "open", "locked": "open", "closed": "closed", "merged": "merged"}


# reviewbot's own bound on a whole path: it keeps the PR id indexable. GitLab nests up to
# 20 levels of subgroups under a top-level namespace.
MAX_PATH = 1000
MAX_SEGMENTS = 21


def valid_repo(path: str) -> bool:
    """``namespace[/subgroup…]/project``: segments of letters, digits, '_', '.', '-', at
    most 255 each, not starting with '-' nor ending in '.git' or '.atom'."""
    if len(path) > MAX_PATH:
        return False
    segments = path.split("/")
    return 2 <= len(segments) <= MAX_SEGMENTS and all(
        plain(s, 255) and not s.startswith("-") and not s.endswith((".git", ".atom"))
        for s in segments
    )


def precheck(headers: Mapping[str, str], secret: str) -> None:
    """The token is the secret itself: the whole check needs no body."""
    given = headers.get("x-gitlab-token")
    if not given:
        raise Unauthorized("missing X-Gitlab-Token header")
    if not same(given, secret):
        raise Unauthorized("X-Gitlab-Token does not match the configured secret")


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> None:
    precheck(headers, secret)


def parse(event: str, payload: Any) -> Parsed:
    if event == NOTE_HOOK:
        return parse_note(payload)
    if event == "Push Hook":
        return pushed(payload, "project", "path_with_namespace", valid_repo)
    if event != MR_HOOK:
        return Ignored(f"GitLab event '{event}' is not handled")
    attrs = obj(payload, "object_attributes")
    action = text(attrs, "action") or ""
    project = text(obj(payload, "project"), "path_with_namespace")
    iid = integer(attrs, "iid")
    if project is None or iid is None:
        return Ignored("merge request payload without project.path_with_namespace or iid")
    project = checked_path(project, valid_repo, "project.path_with_namespace")
    changes = obj(payload, "changes")
    activity = _activity(action, attrs, changes)
    if activity is not None:
        actor = handle(obj(payload, "user"), "username")
        return ActivityEvent(PrRef(NAME, project, iid, PR_SEPARATOR), activity, actor)
    kinds = _kinds(action, attrs, changes)
    if isinstance(kinds, Ignored):
        return kinds
    previous, current = _reviewer_change(changes)
    user = obj(payload, "user")
    author_id = integer(attrs, "author_id")
    author = handle(user, "username") if integer(user, "id") == author_id else None
    return PrEvent(
        ref=PrRef(NAME, project, iid, PR_SEPARATOR),
        kinds=kinds,
        title=title_of(attrs, "title"),
        author=author,
        requested=logins(items(payload, "reviewers"), "username"),
        added=tuple(h for h in current if h not in previous),
        removed=tuple(h for h in previous if h not in current),
        author_numeric_id=author_id,
        known_users=_known_users(payload, changes),
        default_branch=text(obj(payload, "project"), "default_branch"),
    )


def _activity(action: str, attrs: dict[str, Any], changes: dict[str, Any]) -> Activity | None:
    """What moves only the review clock: an approval (``approval``: one person approved;
    ``approved``: the MR is fully approved — by ``user`` either way). New commits
    (``update`` with ``oldrev``) and back to draft are kinds of an update, which may also
    rename or change reviewers."""
    if action in ("approval", "approved"):
        return Activity.APPROVED
    return None


def _kinds(
    action: str, attrs: dict[str, Any], changes: dict[str, Any]
) -> tuple[Kind, ...] | Ignored:
    draft = attrs.get("draft") is True or attrs.get("work_in_progress") is True
    if action in ("open", "reopen"):
        return (Kind.DRAFT_OPENED,) if draft else (Kind.OPENED,)
    if action == "merge":
        return (Kind.MERGED,)
    if action == "close":
        return (Kind.CLOSED,)
    if action != "update":
        return Ignored(f"merge request action '{action}' is not handled")
    kinds: list[Kind] = []
    if "title" in changes:
        kinds.append(Kind.RENAMED)
    previous, current = _reviewer_change(changes)
    if any(h not in current for h in previous):
        kinds.append(Kind.REVIEWERS_REMOVED)
    if any(h not in previous for h in current):
        kinds.append(Kind.REVIEWERS_ADDED)
    draft_change = obj(changes, "draft") or obj(changes, "work_in_progress")
    if draft_change.get("previous") is True and draft_change.get("current") is False:
        kinds.append(Kind.OPENED)
    elif "oldrev" in attrs and not draft:  # GitLab sends oldrev when commits were pushed
        kinds.append(Kind.NEW_COMMITS)
    if draft_change.get("previous") is False and draft_change.get("current") is True:
        kinds.append(Kind.TO_DRAFT)
    if not kinds:
        return Ignored("update without a title, reviewer, draft change or new commits")
    return tuple(kinds)


def _reviewer_change(changes: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    change = obj(changes, "reviewers")
    return (
        logins(items(change, "previous"), "username"),
        logins(items(change, "current"), "username"),
    )


def _known_users(payload: Any, changes: dict[str, Any]) -> tuple[tuple[int, str], ...]:
    change = obj(changes, "reviewers")
    users = [obj(payload, "user"), *items(payload, "reviewers")]
    users += items(change, "previous") + items(change, "current")
    pairs = {
        (i, name) for u in users if (i := integer(u, "id")) and (name := handle(u, "username"))
    }
    return tuple(sorted(pairs))


def parse_note(payload: Any) -> CommentEvent | Ignored:
    """A new note on a merge request (``noteable_type`` ``MergeRequest``). GitLab sends
    ``object_attributes.action`` ``create`` / ``update`` (newer versions); only new notes
    count. The MR's author is a numeric id, like in merge request hooks."""
    attrs = obj(payload, "object_attributes")
    if text(attrs, "noteable_type") != "MergeRequest":
        return Ignored(f"a note on a {text(attrs, 'noteable_type') or 'something'}, not an MR")
    if attrs.get("system") is True:
        return Ignored("a system note (written by GitLab, not a person)")
    action = text(attrs, "action") or "create"
    if action != "create":
        return Ignored(f"note action '{action}' is not handled")
    mr = obj(payload, "merge_request")
    project = text(obj(payload, "project"), "path_with_namespace")
    iid, note_id = integer(mr, "iid"), integer(attrs, "id")
    if project is None or iid is None or note_id is None:
        return Ignored("note payload without project path, merge request iid or note id")
    project = checked_path(project, valid_repo, "project.path_with_namespace")
    user = obj(payload, "user")
    author_id = integer(mr, "author_id")
    pr_author = handle(user, "username") if integer(user, "id") == author_id else None
    known = {(i, n) for u in (user,) if (i := integer(u, "id")) and (n := handle(u, "username"))}
    return CommentEvent(
        ref=PrRef(NAME, project, iid, PR_SEPARATOR),
        comment_id=note_id,
        author=handle(user, "username"),
        body=comment_body(attrs, "note"),
        title=title_of(mr, "title"),
        pr_author=pr_author,
        pr_state=MR_STATES.get(text(mr, "state") or "", "open"),
        pr_author_numeric_id=author_id,
        known_users=tuple(sorted(known)),
    )
