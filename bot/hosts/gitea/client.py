"""Gitea / Forgejo: the GitHub-like requested_reviewers endpoints under ``/api/v1``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import httpx

from bot.core.command_rules import Reaction
from bot.hosts.base import HostDeps, HostIO, HttpHost
from bot.hosts.decipher import Failed, Ok, Outcome
from bot.hosts.events import PrRef
from bot.hosts.gitea import doctor
from bot.hosts.gitea.spec import GiteaSettings
from bot.hosts.paths import encoded
from bot.hosts.reading import FoundFile, Page, files_of, first_found, more_pages, paginate

# Gitea's default MAX_RESPONSE_ITEMS; an instance that allows fewer says so in X-HasMore.
FILES_PER_PAGE = 50

REACTIONS = {Reaction.OK: "+1", Reaction.REFUSED: "confused"}


class GiteaClient(HttpHost):
    def __init__(
        self, http: httpx.AsyncClient, url: str, token: str, clock: Callable[[], float]
    ) -> None:
        super().__init__(http, url.rstrip("/") + "/api/v1", clock)
        self._headers = {"Authorization": f"token {token}", "Accept": "application/json"}

    def _path(self, ref: PrRef) -> str:
        # Each segment percent-encoded: the path stays /repos/{owner}/{name}/… whatever it holds.
        return encoded(
            "repos", *ref.repo.split("/"), "pulls", str(ref.number), "requested_reviewers"
        )

    async def request_reviewers(self, ref: PrRef, handles: Sequence[str]) -> Outcome:
        body = {"reviewers": list(handles)}
        return await self.send("POST", self._path(ref), self._headers, json=body)

    async def remove_reviewers(self, ref: PrRef, handles: Sequence[str]) -> Outcome:
        body = {"reviewers": list(handles)}
        return await self.send("DELETE", self._path(ref), self._headers, json=body, removal=True)

    async def react(self, ref: PrRef, comment_id: int, reaction: Reaction) -> Outcome:
        path = encoded("repos", *ref.repo.split("/"), "issues", "comments", str(comment_id))
        body = {"content": REACTIONS[reaction]}
        return await self.send("POST", path + "/reactions", self._headers, json=body)

    async def reply(self, ref: PrRef, text: str) -> Outcome:
        path = encoded("repos", *ref.repo.split("/"), "issues", str(ref.number), "comments")
        return await self.send("POST", path, self._headers, json={"body": text})

    async def edit_comment(self, ref: PrRef, comment_id: int, text: str) -> Outcome:
        """``PATCH /repos/{owner}/{repo}/issues/comments/{id}``."""
        path = encoded("repos", *ref.repo.split("/"), "issues", "comments", str(comment_id))
        return await self.send("PATCH", path, self._headers, json={"body": text})

    async def changed_files(self, ref: PrRef) -> list[str] | Outcome:
        """``GET /repos/{owner}/{repo}/pulls/{index}/files`` with ``page`` and ``limit``."""
        path = encoded("repos", *ref.repo.split("/"), "pulls", str(ref.number), "files")

        async def page(number: int) -> Page | Outcome:
            params = {"limit": str(FILES_PER_PAGE), "page": str(number)}
            outcome, answer = await self.exchange("GET", path, self._headers, params=params)
            if not isinstance(outcome, Ok):
                return outcome
            files = files_of(outcome.body, ("filename", "previous_filename"))
            if isinstance(files, Failed):
                return files
            return Page(files, more_pages(answer.get("x-hasmore"), len(files), FILES_PER_PAGE))

        return await paginate(page)

    async def codeowners(
        self, ref: PrRef, branch: str | None, locations: Sequence[str]
    ) -> FoundFile | Outcome | None:
        """``GET /repos/{owner}/{repo}/contents/{filepath}?ref=`` (base64 content)."""

        async def read(location: str) -> Outcome:
            path = encoded("repos", *ref.repo.split("/"), "contents", *location.split("/"))
            params = {"ref": branch} if branch else None
            return await self.send("GET", path, self._headers, params=params)

        return await first_found(locations, read)


def connect(settings: GiteaSettings, deps: HostDeps) -> GiteaClient | None:
    if not (settings.url and settings.token):
        return None
    return GiteaClient(deps.http, settings.url, settings.token.reveal(), deps.clock)


IO = HostIO(
    connect, check=doctor.check
)  # Gitea's payloads name everyone by login: nothing to remember
