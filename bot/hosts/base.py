"""The one interface the outbox worker needs from a code host, and the shared HTTP plumbing.

Each host client only builds paths, bodies and auth headers; sending and decoding are here
(and the decoding itself is the pure ``bot.hosts.decipher``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import httpx

from bot.hosts.decipher import Outcome, Retry, decipher
from bot.hosts.events import PrRef


class HostClient(Protocol):
    async def request_reviewers(self, ref: PrRef, handles: Sequence[str]) -> Outcome: ...

    async def remove_reviewers(self, ref: PrRef, handles: Sequence[str]) -> Outcome: ...


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
        try:
            response = await self.http.request(
                method, self.base_url + path, headers=headers, json=json, params=params
            )
        except httpx.TransportError as exc:  # timeouts, refused and reset connections
            return Retry(f"{type(exc).__name__}: {exc or 'no detail'}")
        return decipher(
            response.status_code,
            response.headers,
            response.content,
            now=self.clock(),
            removal=removal,
        )
