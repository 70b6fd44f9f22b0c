"""GitLab: reviewers are a full list of numeric ids set with ``PUT …/merge_requests/:iid``.

So a request or a removal reads the MR's current reviewers first and writes the whole list
back: people a human added on GitLab stay (we never fight people). Usernames become ids
through ids already seen in webhook payloads, then ``GET /users?username=``, cached.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import httpx
import msgspec

from bot.core.command_rules import Reaction
from bot.hosts.base import HostDeps, HostIO, HttpHost, on_connection
from bot.hosts.decipher import Failed, InvalidReviewer, Ok, Outcome
from bot.hosts.events import PrRef
from bot.hosts.gitlab import doctor, store
from bot.hosts.gitlab.spec import GitLabSettings
from bot.hosts.paths import encoded
from bot.hosts.reading import FoundFile, Page, files_of, first_found, more_pages, paginate

FILES_PER_PAGE = 100  # GitLab's largest page

KnownId = Callable[[str], Awaitable[int | None]]
AWARDS = {Reaction.OK: "thumbsup", Reaction.REFUSED: "confused"}


class GitLabClient(HttpHost):
    def __init__(
        self,
        http: httpx.AsyncClient,
        url: str,
        token: str,
        clock: Callable[[], float],
        known_id: KnownId,
    ) -> None:
        super().__init__(http, url.rstrip("/") + "/api/v4", clock)
        self._headers = {"PRIVATE-TOKEN": token, "Accept": "application/json"}
        self._known_id = known_id
        self._ids: dict[str, int] = {}

    def _path(self, ref: PrRef) -> str:
        # The whole project path is one segment (its '/' encoded), as GitLab's API wants.
        return encoded("projects", ref.repo, "merge_requests", str(ref.number))

    async def user_id(self, username: str) -> int | Outcome:
        if username in self._ids:
            return self._ids[username]
        found = await self._known_id(username)
        if found is None:
            outcome = await self.send("GET", "/users", self._headers, params={"username": username})
            if not isinstance(outcome, Ok):
                return outcome
            users = msgspec.json.decode(outcome.body or b"[]")
            ids = (
                [u.get("id") for u in users if isinstance(u, dict)]
                if isinstance(users, list)
                else []
            )
            if not ids or not isinstance(ids[0], int):
                return InvalidReviewer(f"GitLab has no user named '{username}'")
            found = ids[0]
        self._ids[username] = found
        return found

    async def _current(self, ref: PrRef) -> list[int] | Outcome:
        outcome = await self.send("GET", self._path(ref), self._headers)
        if not isinstance(outcome, Ok):
            return outcome
        mr = msgspec.json.decode(outcome.body or b"{}")
        if not isinstance(mr, dict):
            return Failed("GitLab answered the merge request with something that is not an object")
        reviewers = mr.get("reviewers") or []
        return [r["id"] for r in reviewers if isinstance(r, dict) and isinstance(r.get("id"), int)]

    async def _put(self, ref: PrRef, ids: list[int]) -> Outcome:
        return await self.send("PUT", self._path(ref), self._headers, json={"reviewer_ids": ids})

    async def _ids_of(self, handles: Sequence[str]) -> list[int] | Outcome:
        ids = []
        for handle in handles:
            found = await self.user_id(handle)
            if not isinstance(found, int):
                return found
            ids.append(found)
        return ids

    async def request_reviewers(self, ref: PrRef, handles: Sequence[str]) -> Outcome:
        wanted = await self._ids_of(handles)
        current = await self._current(ref)
        if not isinstance(wanted, list):
            return wanted
        if not isinstance(current, list):
            return current
        missing = [i for i in wanted if i not in current]
        return await self._put(ref, current + missing) if missing else Ok()

    async def remove_reviewers(self, ref: PrRef, handles: Sequence[str]) -> Outcome:
        unwanted = await self._ids_of(handles)
        if not isinstance(unwanted, list):
            return Ok() if isinstance(unwanted, InvalidReviewer) else unwanted
        current = await self._current(ref)
        if not isinstance(current, list):
            return current
        kept = [i for i in current if i not in unwanted]
        return await self._put(ref, kept) if kept != current else Ok()

    async def react(self, ref: PrRef, comment_id: int, reaction: Reaction) -> Outcome:
        path = self._path(ref) + encoded("notes", str(comment_id), "award_emoji")
        return await self.send("POST", path, self._headers, json={"name": AWARDS[reaction]})

    async def reply(self, ref: PrRef, text: str) -> Outcome:
        path = self._path(ref) + encoded("notes")
        return await self.send("POST", path, self._headers, json={"body": text})

    async def edit_comment(self, ref: PrRef, comment_id: int, text: str) -> Outcome:
        """``PUT /projects/:id/merge_requests/:iid/notes/:note_id``."""
        path = self._path(ref) + encoded("notes", str(comment_id))
        return await self.send("PUT", path, self._headers, json={"body": text})

    async def changed_files(self, ref: PrRef) -> list[str] | Outcome:
        """``GET /projects/:id/merge_requests/:iid/diffs``, paged (``X-Next-Page``)."""
        path = self._path(ref) + "/diffs"

        async def page(number: int) -> Page | Outcome:
            params = {"per_page": str(FILES_PER_PAGE), "page": str(number)}
            outcome, answer = await self.exchange("GET", path, self._headers, params=params)
            if not isinstance(outcome, Ok):
                return outcome
            files = files_of(outcome.body, ("new_path", "old_path"))
            if isinstance(files, Failed):
                return files
            count = len(msgspec.json.decode(outcome.body or b"[]"))
            return Page(files, more_pages(answer.get("x-next-page"), count, FILES_PER_PAGE))

        return await paginate(page)

    async def codeowners(
        self, ref: PrRef, branch: str | None, locations: Sequence[str]
    ) -> FoundFile | Outcome | None:
        """``GET /projects/:id/repository/files/:file_path?ref=`` (the path one segment)."""

        async def read(location: str) -> Outcome:
            path = encoded("projects", ref.repo, "repository", "files", location)
            return await self.send("GET", path, self._headers, params={"ref": branch or "HEAD"})

        return await first_found(locations, read)


def connect(settings: GitLabSettings, deps: HostDeps) -> GitLabClient | None:
    if not settings.token:
        return None
    known_id = on_connection(deps.db, store.user_id)
    return GitLabClient(deps.http, settings.url, settings.token.reveal(), deps.clock, known_id)


IO = HostIO(connect, store.GitLabMemory, doctor.check)
