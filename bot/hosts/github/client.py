"""GitHub (and GitHub Enterprise under ``GITHUB_API_URL``): requested_reviewers endpoints.

Credentials are either a token or a GitHub App. For an App, each repository's
installation (remembered from the webhook payloads' ``installation.id``) gets an
installation token, minted with an RS256 JWT and cached until shortly before it expires.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import jwt
import msgspec

from bot.core.command_rules import Reaction
from bot.hosts.base import HostDeps, HostIO, HttpHost, on_connection
from bot.hosts.decipher import Failed, Ok, Outcome, Retry
from bot.hosts.doctor import Finding
from bot.hosts.events import PrRef
from bot.hosts.github import store
from bot.hosts.github.spec import GitHubSettings
from bot.hosts.paths import encoded
from bot.hosts.reading import FoundFile, Page, files_of, first_found, paginate

FILES_PER_PAGE = 100  # the most GitHub gives per page; it lists at most 3,000 files

InstallationLookup = Callable[[str], Awaitable[int | None]]

API_VERSION = "2022-11-28"
JWT_LIFETIME = 540  # GitHub accepts at most 10 minutes
CLOCK_SKEW = 60  # issued-at set back a minute, as GitHub recommends
REFRESH_BEFORE = 300  # renew an installation token five minutes before it expires
REACTIONS = {Reaction.OK: "+1", Reaction.REFUSED: "confused"}


def app_jwt(app_id: str, private_key: str, now: float) -> str:
    claims = {"iat": int(now) - CLOCK_SKEW, "exp": int(now) + JWT_LIFETIME, "iss": app_id}
    return jwt.encode(claims, private_key, algorithm="RS256")


@dataclass(frozen=True)
class AppCredentials:
    app_id: str
    private_key: str
    installation_for: InstallationLookup


class GitHubClient(HttpHost):
    def __init__(
        self,
        http: httpx.AsyncClient,
        api_url: str,
        clock: Callable[[], float],
        *,
        token: str | None = None,
        app: AppCredentials | None = None,
    ) -> None:
        super().__init__(http, api_url, clock)
        self._token = token
        self._app = app
        self._installation_tokens: dict[int, tuple[str, float]] = {}

    async def _headers(self, ref: PrRef) -> dict[str, str] | Outcome:
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
        token = self._token
        if token is None:
            found = await self._installation_token(ref)
            if not isinstance(found, str):
                return found
            token = found
        headers["Authorization"] = f"Bearer {token}"
        return headers

    async def _installation_token(self, ref: PrRef) -> str | Outcome:
        if self._app is None:
            return Failed("no GitHub credentials: set GITHUB_TOKEN or GITHUB_APP_ID + key")
        installation = await self._app.installation_for(ref.repo)
        if installation is None:
            return Failed(f"no GitHub App installation seen yet for {ref.repo}")
        cached = self._installation_tokens.get(installation)
        if cached and cached[1] - REFRESH_BEFORE > self.clock():
            return cached[0]
        return await self._mint(installation)

    async def _mint(self, installation: int) -> str | Outcome:
        assert self._app is not None
        bearer = app_jwt(self._app.app_id, self._app.private_key, self.clock())
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "Authorization": f"Bearer {bearer}",
        }
        path = f"/app/installations/{installation}/access_tokens"
        outcome = await self.send("POST", path, headers)
        if not isinstance(outcome, Ok):
            return outcome
        body = msgspec.json.decode(outcome.body)
        try:
            token = str(body["token"])
            expires = datetime.fromisoformat(str(body["expires_at"]).replace("Z", "+00:00"))
        except (KeyError, TypeError, ValueError):
            return Failed("GitHub answered the installation token request without a token")
        self._installation_tokens[installation] = (token, expires.timestamp())
        return token

    def _path(self, ref: PrRef) -> str:
        # Each segment percent-encoded: the path stays /repos/{owner}/{name}/… whatever it holds.
        return encoded(
            "repos", *ref.repo.split("/"), "pulls", str(ref.number), "requested_reviewers"
        )

    async def request_reviewers(self, ref: PrRef, handles: Sequence[str]) -> Outcome:
        return await self._call("POST", ref, handles)

    async def remove_reviewers(self, ref: PrRef, handles: Sequence[str]) -> Outcome:
        return await self._call("DELETE", ref, handles)

    async def changed_files(self, ref: PrRef) -> list[str] | Outcome:
        """``GET /repos/{owner}/{repo}/pulls/{n}/files``, 100 a page (renames: both paths)."""
        headers = await self._headers(ref)
        if not isinstance(headers, dict):
            return headers
        path = encoded("repos", *ref.repo.split("/"), "pulls", str(ref.number), "files")

        async def page(number: int) -> Page | Outcome:
            params = {"per_page": str(FILES_PER_PAGE), "page": str(number)}
            outcome, answer = await self.exchange("GET", path, headers, params=params)
            if not isinstance(outcome, Ok):
                return outcome
            files = files_of(outcome.body, ("filename", "previous_filename"))
            if isinstance(files, Failed):
                return files
            link = answer.get("link")  # rel="next" while there are more pages
            count = len(msgspec.json.decode(outcome.body or b"[]"))
            more = 'rel="next"' in link if link is not None else count >= FILES_PER_PAGE
            return Page(files, more)

        return await paginate(page)

    async def codeowners(
        self, ref: PrRef, branch: str | None, locations: Sequence[str]
    ) -> FoundFile | Outcome | None:
        """``GET /repos/{owner}/{repo}/contents/{path}`` at the default branch."""
        headers = await self._headers(ref)
        if not isinstance(headers, dict):
            return headers

        async def read(location: str) -> Outcome:
            path = encoded("repos", *ref.repo.split("/"), "contents", *location.split("/"))
            params = {"ref": branch} if branch else None
            return await self.send("GET", path, headers, params=params)

        return await first_found(locations, read)

    async def react(self, ref: PrRef, comment_id: int, reaction: Reaction) -> Outcome:
        path = encoded("repos", *ref.repo.split("/"), "issues", "comments", str(comment_id))
        body = {"content": REACTIONS[reaction]}
        return await self._call("POST", ref, path=path + "/reactions", body=body)

    async def reply(self, ref: PrRef, text: str) -> Outcome:
        path = encoded("repos", *ref.repo.split("/"), "issues", str(ref.number), "comments")
        return await self._call("POST", ref, path=path, body={"body": text})

    async def edit_comment(self, ref: PrRef, comment_id: int, text: str) -> Outcome:
        """``PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}``."""
        path = encoded("repos", *ref.repo.split("/"), "issues", "comments", str(comment_id))
        return await self._call("PATCH", ref, path=path, body={"body": text})

    async def _call(
        self,
        method: str,
        ref: PrRef,
        handles: Sequence[str] = (),
        *,
        path: str | None = None,
        body: dict[str, Any] | None = None,
    ) -> Outcome:
        headers = await self._headers(ref)
        if not isinstance(headers, dict):
            return headers
        body = {"reviewers": list(handles)} if body is None else body
        removal = method == "DELETE"
        where = self._path(ref) if path is None else path
        outcome = await self.send(method, where, headers, json=body, removal=removal)
        if (
            self._token is None
            and isinstance(outcome, Failed)
            and outcome.message.startswith("HTTP 401")
        ):
            # A revoked or rotated installation token: forget it and mint a new one next time.
            self._installation_tokens.clear()
            return Retry("GitHub refused the installation token; a new one will be minted")
        return outcome


def connect(settings: GitHubSettings, deps: HostDeps) -> GitHubClient | None:
    token = settings.token.reveal() if settings.token else None
    app = None
    if settings.app_id and settings.app_private_key:
        # A PEM in an environment variable often arrives with literal "\n" escapes.
        key = settings.app_private_key.reveal().replace("\\n", "\n")
        app = AppCredentials(settings.app_id, key, on_connection(deps.db, store.installation_for))
    if not (token or app):
        return None
    return GitHubClient(deps.http, settings.api_url, deps.clock, token=token, app=app)


async def _doctor(settings: GitHubSettings, http: httpx.AsyncClient) -> list[Finding]:
    from bot.hosts.github.doctor import check  # it imports app_jwt from here

    return await check(settings, http)


IO = HostIO(connect, store.GitHubMemory, _doctor)
