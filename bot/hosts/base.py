"""What a host implements on the I/O side, and the shared HTTP plumbing.

- ``HostClient``: the one interface the outbox worker needs (request, remove reviewers;
  react to a comment, reply on a PR).
  Each client only builds paths, bodies and auth headers; ``HttpHost`` sends and decodes
  (the decoding itself is the pure ``bot.hosts.decipher``).
- ``HostMemory``: what a host's payloads teach beyond the PR, kept in its own tables.
- ``HostIO``: both, as a host's ``client.py`` declares them for its card.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import httpx

from bot.core.command_rules import Reaction
from bot.hosts.decipher import Outcome, Retry, decipher
from bot.hosts.doctor import Finding
from bot.hosts.events import CommentEvent, PrEvent, PrRef
from bot.hosts.reading import FoundFile
from bot.hosts.spec import S
from store.db import Connection, Db

K = TypeVar("K")
V = TypeVar("V")


class HostClient(Protocol):
    async def request_reviewers(self, ref: PrRef, handles: Sequence[str]) -> Outcome: ...

    async def remove_reviewers(self, ref: PrRef, handles: Sequence[str]) -> Outcome: ...

    # ``reaction``: ``bot.core.command_rules.Reaction``; each client names it its host's way.
    async def react(self, ref: PrRef, comment_id: int, reaction: Reaction) -> Outcome: ...

    async def reply(self, ref: PrRef, text: str) -> Outcome: ...

    # Suggest mode's one comment per PR: ``comment_id`` is what ``reply``'s answer named.
    async def edit_comment(self, ref: PrRef, comment_id: int, text: str) -> Outcome: ...


class HostReader(Protocol):
    """What the routing worker reads (bot/hosts/reading.py): the PR's changed files, all
    pages; the first CODEOWNERS of ``locations`` on ``branch`` (None: the host's default;
    the answer None: there is none)."""

    async def changed_files(self, ref: PrRef) -> list[str] | Outcome: ...

    async def codeowners(
        self, ref: PrRef, branch: str | None, locations: Sequence[str]
    ) -> FoundFile | Outcome | None: ...


@dataclass(frozen=True)
class HostDeps:
    """What the app shares with every host client (its lifespan owns them)."""

    http: httpx.AsyncClient
    clock: Callable[[], float]  # epoch seconds
    db: Db


class HostMemory:
    """What one host's deliveries teach beyond the PR (app installations, numeric user
    ids…); one per app and host. This default remembers nothing and knows an author by
    the handle in the payload."""

    async def remember(self, conn: Connection, event: PrEvent | CommentEvent) -> None:
        """Save what the event teaches, inside the delivery's transaction."""

    def committed(self, event: PrEvent | CommentEvent) -> None:
        """The delivery's transaction committed (a per-process cache may note it now)."""

    async def author_handle(self, conn: Connection, event: PrEvent) -> str | None:
        return event.author

    async def pr_author_handle(self, conn: Connection, event: CommentEvent) -> str | None:
        """The handle of the author of the PR a comment is on (to record an unseen PR)."""
        return event.pr_author


@dataclass(frozen=True)
class HostIO(Generic[S]):
    """The I/O half of a host card: loaded by the app, never by config/."""

    connect: Callable[[S, HostDeps], HostClient | None]  # None: no credentials set
    memory: Callable[[], HostMemory] = HostMemory
    # ``reviewbot doctor``: who the credentials are on the host (nothing when none are set).
    check: Callable[[S, httpx.AsyncClient], Awaitable[list[Finding]]] | None = None


def on_connection(
    db: Db, query: Callable[[Connection, K], Awaitable[V]]
) -> Callable[[K], Awaitable[V]]:
    """``query`` on a pooled connection of its own: a lookup a client may call any time."""

    async def run(key: K) -> V:
        async with db.connection() as conn:
            return await query(conn, key)

    return run


class HttpHost:
    """Sends one request through the shared client and deciphers the answer."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, clock: Callable[[], float]) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.clock = clock

    async def send(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        removal: bool = False,
    ) -> Outcome:
        return (
            await self.exchange(method, path, headers, json=json, params=params, removal=removal)
        )[0]

    async def exchange(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        removal: bool = False,
    ) -> tuple[Outcome, httpx.Headers]:
        """``send``, with the answer's headers (paging)."""
        try:
            response = await self.http.request(
                method, self.base_url + path, headers=headers, json=json, params=params
            )
        except httpx.TransportError as exc:  # timeouts, refused and reset connections
            return Retry(f"{type(exc).__name__}: {exc or 'no detail'}"), httpx.Headers()
        return decipher(
            response.status_code,
            response.headers,
            response.content,
            now=self.clock(),
            removal=removal,
        ), response.headers
