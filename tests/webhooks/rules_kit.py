"""Fakes of each host's changed-files and contents endpoints, in their documented shapes:

- GitHub ``GET /repos/{o}/{r}/pulls/{n}/files`` (``per_page`` up to 100, a ``Link`` header
  with ``rel="next"`` while more pages follow) and ``GET /repos/{o}/{r}/contents/{path}``
  (``{"type": "file", "encoding": "base64", "content", "sha"}``);
- GitLab ``GET /projects/:id/merge_requests/:iid/diffs`` (``old_path``/``new_path`` items,
  ``X-Next-Page`` empty on the last page) and ``GET /projects/:id/repository/files/:path``
  (``{"file_path", "encoding": "base64", "content", "blob_id", "last_commit_id"}``);
- Gitea/Forgejo ``GET /repos/{o}/{r}/pulls/{n}/files`` (``page``/``limit``, ``X-Total-Count``
  and ``X-HasMore``) and ``GET /repos/{o}/{r}/contents/{path}`` (``ContentsResponse``).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

import asyncpg
import httpx
import respx

from bot.core.routing import CodeOwnersSetting, Rule
from bot.services.teams import TeamDirectory


@dataclass(frozen=True)
class HostCase:
    host: str
    opened: str  # fixture
    pushed: str  # fixture: new commits
    pr: str
    files_path: str
    per_page: int
    contents: Callable[[str], str]  # location -> API path
    post_path: str | None  # where reviewers are requested (None: GitLab's PUT)


HOST_CASES = {
    "github": HostCase(
        "github",
        "pull_request__opened",
        "pull_request__synchronize",
        "github:acme/widgets#7",
        "/repos/acme/widgets/pulls/7/files",
        100,
        lambda loc: "/repos/acme/widgets/contents/" + loc,
        "/repos/acme/widgets/pulls/7/requested_reviewers",
    ),
    "gitlab": HostCase(
        "gitlab",
        "merge_request__open",
        "merge_request__update__commits",
        "gitlab:acme/platform/widgets!12",
        "/projects/acme%2Fplatform%2Fwidgets/merge_requests/12/diffs",
        100,
        lambda loc: "/projects/acme%2Fplatform%2Fwidgets/repository/files/" + quote(loc, safe=""),
        None,
    ),
    "gitea": HostCase(
        "gitea",
        "pull_request__opened",
        "pull_request__synchronized",
        "gitea:acme/widgets#3",
        "/repos/acme/widgets/pulls/3/files",
        50,
        lambda loc: "/repos/acme/widgets/contents/" + loc,
        "/repos/acme/widgets/pulls/3/requested_reviewers",
    ),
}


def _item(host: str, path: str) -> dict[str, object]:
    if host == "gitlab":
        return {
            "old_path": path,
            "new_path": path,
            "a_mode": "100644",
            "b_mode": "100644",
            "diff": "@@ -1 +1 @@\n-a\n+b\n",
            "new_file": False,
            "renamed_file": False,
            "deleted_file": False,
        }
    return {
        "sha": "bbcd538c8e72b8c175046e27cc8f907076331401",
        "filename": path,
        "status": "modified",
        "additions": 1,
        "deletions": 1,
        "changes": 2,
        "raw_url": f"https://example.test/raw/{path}",
        "contents_url": f"https://example.test/contents/{path}",
    }


@dataclass
class FakeFiles:
    """The PR's changed files, served page by page as the host does; ``fail`` answers first."""

    case: HostCase
    files: list[str]
    pages: list[int] = field(default_factory=list)
    fail: list[httpx.Response] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.fail:
            return self.fail.pop(0)
        params = request.url.params
        size = int(params.get("per_page") or params.get("limit") or 30)
        page = int(params.get("page", "1"))
        self.pages.append(page)
        chunk = self.files[(page - 1) * size : page * size]
        more = page * size < len(self.files)
        body = [_item(self.case.host, f) for f in chunk]
        headers = {}
        if self.case.host == "github" and more:
            headers["link"] = f'<{request.url.copy_set_param("page", page + 1)}>; rel="next"'
        if self.case.host == "gitlab":
            headers = {"x-next-page": str(page + 1) if more else "", "x-page": str(page)}
        if self.case.host == "gitea":
            headers = {"x-total-count": str(len(self.files)), "x-hasmore": str(more).lower()}
        return httpx.Response(200, json=body, headers=headers)


def contents(host: str, location: str, text: str) -> httpx.Response:
    encoded = base64.b64encode(text.encode()).decode()
    if host == "gitlab":
        body = {
            "file_name": location.rsplit("/", 1)[-1],
            "file_path": location,
            "size": len(text),
            "encoding": "base64",
            "content": encoded,
            "ref": "main",
            "blob_id": "79f7bbd25901e8334750839545a9bd021f0e4c83",
            "last_commit_id": "d5a3ff139356ce33e37e73add446f16869741b50",
        }
    else:
        body = {
            "type": "file",
            "encoding": "base64",
            "size": len(text),
            "name": location.rsplit("/", 1)[-1],
            "path": location,
            "content": encoded,
            "sha": "3d21ec53a331a6f037a91c368710b99387d012c1",
        }
    return httpx.Response(200, json=body)


def not_found() -> httpx.Response:
    return httpx.Response(404, json={"message": "Not Found"})


def serve_posts(case: HostCase, router: respx.MockRouter) -> respx.Route | None:
    """Accept reviewer requests (GitLab: the MR's reviewer list, read then written)."""
    if case.post_path is not None:
        return router.post(case.post_path).mock(return_value=httpx.Response(201, json={}))
    mr = case.files_path.removesuffix("/diffs")
    router.get(mr).mock(return_value=httpx.Response(200, json={"iid": 12, "reviewers": []}))
    router.get("/users").mock(
        side_effect=lambda r: httpx.Response(
            200, json=[{"id": 9, "username": r.url.params["username"]}]
        )
    )
    return router.put(mr).mock(return_value=httpx.Response(200, json={"iid": 12}))


async def configure(
    pg: asyncpg.Pool,
    directory: TeamDirectory,
    rules: list[Rule],
    codeowners: bool = False,
    team_handles: dict[str, str] | None = None,
    backend_reviewers: int = 2,
) -> None:
    """What applying a team file stores: rules, the CODEOWNERS switch, team handles."""
    await pg.execute(
        """INSERT INTO routing_config (id, rules, codeowners) VALUES (1, $1::jsonb, $2::jsonb)
           ON CONFLICT (id) DO UPDATE SET rules = $1::jsonb, codeowners = $2::jsonb""",
        json.dumps([r.as_json() for r in rules]),
        json.dumps(CodeOwnersSetting(codeowners).as_json()),
    )
    await pg.execute(
        "UPDATE teams SET reviewers = $1 WHERE team_name = 'backend'", backend_reviewers
    )
    for host, handle in (team_handles or {}).items():
        await pg.execute(
            "INSERT INTO team_handles (team_name, host, handle) VALUES ('dba', $1, $2)",
            host,
            handle,
        )
    await directory.invalidate({"backend", "dba", "design"})
