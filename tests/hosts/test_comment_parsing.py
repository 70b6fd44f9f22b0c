"""Comment deliveries of each host → ``CommentEvent`` (pure parsing, documented shapes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.hosts.events import CommentEvent, Ignored
from bot.hosts.registry import HOSTS
from tests.webhooks.conftest import FIXTURE_EVENTS, load

FIXTURE = {
    "github": "issue_comment__created",
    "gitlab": "note__merge_request",
    "gitea": "issue_comment__created",
}
PR_IDS = {
    "github": "github:acme/widgets#7",
    "gitlab": "gitlab:acme/platform/widgets!12",
    "gitea": "gitea:acme/widgets#3",
}
COMMENT_IDS = {"github": 900001, "gitlab": 1244, "gitea": 3001}


def parse(host: str, edit: Callable[[dict[str, Any]], None] | None = None, event: str = "") -> Any:
    payload = load(host, FIXTURE[host])
    if edit is not None:
        edit(payload)
    return HOSTS[host].parse(event or FIXTURE_EVENTS[host](FIXTURE[host]), payload)


@pytest.mark.parametrize("host", HOSTS)
def test_a_new_comment_on_a_pr_is_a_comment_event(host: str) -> None:
    found = parse(host)
    assert isinstance(found, CommentEvent)
    assert found.ref.pr_id == PR_IDS[host]
    assert found.comment_id == COMMENT_IDS[host]
    assert found.author == "bob"
    assert found.body == "@reviewbot help"
    assert found.title == "Add a sprocket to every widget"
    assert found.pr_state == "open"
    if host == "gitlab":  # GitLab names the MR's author by numeric id only
        assert found.pr_author is None and found.pr_author_numeric_id == 51
    else:
        assert found.pr_author in ("alice-gh", "alice-gt")


def _action(value: str) -> Callable[[dict[str, Any]], None]:
    def edit(payload: dict[str, Any]) -> None:
        if "object_attributes" in payload:
            payload["object_attributes"]["action"] = "update" if value != "created" else "create"
        else:
            payload["action"] = value

    return edit


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("action", ["edited", "deleted"])
def test_edited_and_deleted_comments_are_ignored(host: str, action: str) -> None:
    assert isinstance(parse(host, _action(action)), Ignored)


def test_github_comments_on_plain_issues_are_ignored() -> None:
    assert isinstance(parse("github", lambda p: p["issue"].pop("pull_request")), Ignored)


def test_github_reads_merged_and_closed_from_the_issue() -> None:
    def merged(p: dict[str, Any]) -> None:
        p["issue"]["state"] = "closed"
        p["issue"]["pull_request"]["merged_at"] = "2026-11-03T10:00:00Z"

    assert parse("github", merged).pr_state == "merged"
    assert parse("github", lambda p: p["issue"].update(state="closed")).pr_state == "closed"


def test_gitea_accepts_both_event_names_and_needs_is_pull() -> None:
    assert isinstance(parse("gitea", event="pull_request_comment"), CommentEvent)
    assert isinstance(parse("gitea", event="issue_comment"), CommentEvent)

    def plain_issue(p: dict[str, Any]) -> None:
        p["is_pull"] = False
        p["issue"]["pull_request"] = None

    assert isinstance(parse("gitea", plain_issue), Ignored)

    def merged(p: dict[str, Any]) -> None:
        p["issue"]["state"] = "closed"
        p["issue"]["pull_request"]["merged"] = True

    assert parse("gitea", merged).pr_state == "merged"


def test_gitlab_ignores_notes_on_other_things_and_system_notes() -> None:
    def on_issue(p: dict[str, Any]) -> None:
        p["object_attributes"]["noteable_type"] = "Issue"

    assert isinstance(parse("gitlab", on_issue), Ignored)
    assert isinstance(
        parse("gitlab", lambda p: p["object_attributes"].update(system=True)), Ignored
    )
    assert parse("gitlab", lambda p: p["merge_request"].update(state="merged")).pr_state == "merged"


def test_gitlab_knows_the_pr_author_when_they_wrote_the_note() -> None:
    def by_author(p: dict[str, Any]) -> None:
        p["user"] = {"id": 51, "username": "alice-gl", "name": "Alice"}

    found = parse("gitlab", by_author)
    assert found.pr_author == "alice-gl" and found.known_users == ((51, "alice-gl"),)
