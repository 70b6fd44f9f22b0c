"""Request structs and response shapes of the management API (CONTRACT §1)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from bot.core.models import Member, PullRequest, Team, User

# PostgreSQL text cannot hold NUL characters: reject them here as a 400, not a 500 later.
NO_NUL = r"^[^\x00]*$"
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern=NO_NUL)]
Name = Annotated[str, msgspec.Meta(max_length=1000, pattern=NO_NUL)]
# A PR id names a PR to act on: webhook ids carry a host's project path (up to 1,000
# characters), so they may be longer than the 255 an id created through the API may have.
PR_ID_MAX_LENGTH = 1100
PrId = Annotated[str, msgspec.Meta(min_length=1, max_length=PR_ID_MAX_LENGTH, pattern=NO_NUL)]


class MemberIn(msgspec.Struct):
    user_id: Id
    username: Name
    is_active: bool


class TeamAddIn(msgspec.Struct):
    team_name: Id
    members: list[MemberIn]


class SetIsActiveIn(msgspec.Struct):
    user_id: Id
    is_active: bool


# A changed file's path, and at most as many files as a host lists for one PR (3,000): even at
# their longest they stay under the 1 MiB body limit (a longer path is a 400).
FilePath = Annotated[str, msgspec.Meta(min_length=1, max_length=300, pattern=NO_NUL)]
MAX_CHANGED_FILES = 3000


class CreatePrIn(msgspec.Struct):
    pull_request_id: Id
    pull_request_name: Name
    author_id: Id
    # Extension: the PR's changed files, matched against the team files' rules (absent: as
    # the reference contract, reviewers from the author's team only).
    changed_files: Annotated[list[FilePath], msgspec.Meta(max_length=MAX_CHANGED_FILES)] | None = (
        None
    )


class MergePrIn(msgspec.Struct):
    pull_request_id: PrId


class ReassignIn(msgspec.Struct):
    pull_request_id: PrId
    # The reference contract names this old_user_id; its own example says old_reviewer_id.
    old_user_id: Id | None = None
    old_reviewer_id: Id | None = None


def member(m: Member) -> dict[str, Any]:
    return {"user_id": m.user_id, "username": m.username, "is_active": m.is_active}


def team(t: Team) -> dict[str, Any]:
    return {"team_name": t.team_name, "members": [member(m) for m in t.members]}


def user(u: User) -> dict[str, Any]:
    return {
        "user_id": u.user_id,
        "username": u.username,
        "team_name": u.team_name,
        "is_active": u.is_active,
    }


def pull_request(pr: PullRequest) -> dict[str, Any]:
    return {
        "pull_request_id": pr.pull_request_id,
        "pull_request_name": pr.pull_request_name,
        "author_id": pr.author_id,
        "status": pr.status.value,
        "assigned_reviewers": list(pr.assigned_reviewers),
        "createdAt": pr.created_at,
        "mergedAt": pr.merged_at,
    }
