"""The reference scenario: what exists (teams, users, PRs) and what readers and writers do.

The generator keeps its own picture of the world (who is in which team, which PRs are
open and who reviews them), updated from the service's answers, so writers send requests
that make sense: reassign a current reviewer of an open PR, merge an open PR, create with
fresh ids. Under concurrency that picture lags by a request or two; the resulting 409s
(``NOT_ASSIGNED``, ``PR_MERGED``) are expected and counted apart from errors.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import msgspec

# endpoint name -> class; reads and writes are reported per class and per endpoint
READS = {"team/get": "read", "users/getReview": "read"}
WRITES = {
    "pullRequest/create": "write",
    "pullRequest/reassign": "write",
    "pullRequest/merge": "write",
    "users/setIsActive": "write",
}
# The writer mix of the issue: create ≈50 %, reassign ≈20 %, merge ≈20 %, setIsActive ≈10 %.
WRITE_MIX = (("create", 0.5), ("reassign", 0.7), ("merge", 0.9), ("set_active", 1.0))
INACTIVE_SHARE = 0.1  # setIsActive keeps at most this share of users inactive

_decode = msgspec.json.decode
_encode = msgspec.json.encode


@dataclass(frozen=True)
class Request:
    endpoint: str
    method: str
    target: str
    body: bytes | None
    expected: tuple[int, ...]
    on_success: Callable[[bytes], None] | None = None


@dataclass
class World:
    run_id: str
    rng: random.Random
    teams: dict[str, list[str]] = field(default_factory=dict)
    team_of: dict[str, str] = field(default_factory=dict)
    users: list[str] = field(default_factory=list)
    inactive: set[str] = field(default_factory=set)
    open_prs: list[str] = field(default_factory=list)
    _open_index: dict[str, int] = field(default_factory=dict)
    reviewers: dict[str, list[str]] = field(default_factory=dict)
    _next_pr: int = 0

    # -- the picture ---------------------------------------------------------------

    def add_team(self, name: str, user_ids: list[str]) -> None:
        self.teams[name] = user_ids
        self.users.extend(user_ids)
        self.team_of.update(dict.fromkeys(user_ids, name))

    def new_pr_id(self) -> str:
        self._next_pr += 1
        return f"{self.run_id}-pr-{self._next_pr}"

    def pr_opened(self, pr_id: str, reviewers: list[str]) -> None:
        if pr_id not in self._open_index:
            self._open_index[pr_id] = len(self.open_prs)
            self.open_prs.append(pr_id)
        self.reviewers[pr_id] = reviewers

    def pr_closed(self, pr_id: str) -> None:
        index = self._open_index.pop(pr_id, None)
        self.reviewers.pop(pr_id, None)
        if index is None:
            return
        last = self.open_prs.pop()
        if last != pr_id:
            self.open_prs[index] = last
            self._open_index[last] = index

    def _on_pr(self, raw: bytes) -> None:
        pr = _decode(raw)["pr"]
        if pr["status"] == "OPEN":
            self.pr_opened(pr["pull_request_id"], pr["assigned_reviewers"])
        else:
            self.pr_closed(pr["pull_request_id"])

    # -- requests --------------------------------------------------------------------

    def create(self, author: str | None = None, pr_id: str | None = None) -> Request:
        body = {
            "pull_request_id": pr_id or self.new_pr_id(),
            "pull_request_name": "perf change",
            "author_id": author or self.rng.choice(self.users),
        }
        return Request(
            "pullRequest/create", "POST", "/pullRequest/create", _encode(body), (201,), self._on_pr
        )

    def reassign(self) -> Request:
        pr_id = self._some_open_pr()
        current = self.reviewers.get(pr_id) or []
        if not current:
            return self.merge(pr_id)  # nothing to reassign on this one: merge it instead
        body = {"pull_request_id": pr_id, "old_user_id": self.rng.choice(current)}
        return Request(
            "pullRequest/reassign", "POST", "/pullRequest/reassign", _encode(body), (200,),
            self._on_pr,
        )  # fmt: skip

    def merge(self, pr_id: str | None = None) -> Request:
        pr_id = pr_id or self._some_open_pr()
        self.pr_closed(pr_id)  # at once, so that other writers stop picking it
        body = _encode({"pull_request_id": pr_id})
        return Request("pullRequest/merge", "POST", "/pullRequest/merge", body, (200,))

    def set_active(self) -> Request:
        limit = int(len(self.users) * INACTIVE_SHARE)
        if self.inactive and (len(self.inactive) >= limit or self.rng.random() < 0.5):
            user_id, active = self.rng.choice(sorted(self.inactive)), True
            self.inactive.discard(user_id)
        else:
            user_id, active = self.rng.choice(self.users), False
            self.inactive.add(user_id)
        body = _encode({"user_id": user_id, "is_active": active})
        return Request("users/setIsActive", "POST", "/users/setIsActive", body, (200,))

    def read(self) -> Request:
        if self.rng.random() < 0.5:
            team = quote(self.rng.choice(list(self.teams)))
            return Request("team/get", "GET", f"/team/get?team_name={team}", None, (200,))
        user = quote(self.rng.choice(self.users))
        return Request("users/getReview", "GET", f"/users/getReview?user_id={user}", None, (200,))

    def write(self) -> Request:
        if not self.open_prs:
            return self.create()
        draw = self.rng.random()
        kind = next(name for name, upto in WRITE_MIX if draw < upto)
        request: Request = getattr(self, kind)()
        return request

    def _some_open_pr(self) -> str:
        return self.open_prs[self.rng.randrange(len(self.open_prs))]


def team_body(team: str, user_ids: list[str]) -> bytes:
    members = [{"user_id": u, "username": f"name {u}", "is_active": True} for u in user_ids]
    return _encode({"team_name": team, "members": members})


def build_teams(world: World, teams: int, users_per_team: int, prefix: str = "team") -> list[Any]:
    """Add ``teams`` teams of fresh users to the picture; returns the /team/add requests."""
    requests = []
    for t in range(teams):
        name = f"{world.run_id}-{prefix}-{t}"
        ids = [f"{name}-u{u}" for u in range(users_per_team)]
        world.add_team(name, ids)
        requests.append(Request("team/add", "POST", "/team/add", team_body(name, ids), (201,)))
    return requests
