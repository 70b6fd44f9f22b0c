"""A small, fast HTTP/1.1 keep-alive client for load generation.

Why not httpx: its per-request overhead (pure-Python state machine, pools, headers objects)
costs more CPU than the server spends on a trivial request, so the generator would measure
itself. Here one connection is one asyncio protocol; the request is a pre-formatted byte
string and the response is parsed by ``httptools`` (llhttp, the parser uvicorn uses), so
a request costs a few microseconds of Python.

One connection carries one request at a time (no pipelining): a virtual user owns a
connection, exactly like a keep-alive client in a closed loop.
"""

from __future__ import annotations

import asyncio
import time
from typing import cast

import httptools


class TransportError(Exception):
    """The connection failed or closed before a full response arrived."""


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.body: list[bytes] = []
        self.closed = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport, hence the cast
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(TransportError(f"bad response: {exc}"))
            self.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(TransportError(f"connection lost: {exc or 'closed by server'}"))

    # httptools callbacks
    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        waiter, self.waiter = self.waiter, None
        body = b"".join(self.body)
        self.body = []
        if waiter is not None and not waiter.done():
            waiter.set_result((self.parser.get_status_code(), body))

    def _fail(self, exc: Exception) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()
        self.closed = True


class Connection:
    """One keep-alive connection; reconnects after a failure. Not for concurrent use."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._proto: _Protocol | None = None
        self.started = 0.0  # monotonic start of the request in flight, 0 when idle
        self._head = f"Host: {host}:{port}\r\n".encode()

    async def _protocol(self) -> _Protocol:
        if self._proto is None or self._proto.closed:
            loop = asyncio.get_running_loop()
            _, proto = await loop.create_connection(_Protocol, self.host, port=self.port)
            self._proto = proto
        return self._proto

    async def request(
        self, method: str, target: str, body: bytes | None = None, headers: bytes = b""
    ) -> tuple[int, bytes]:
        """Send one request and return (status, body); raises TransportError."""
        self.started = time.monotonic()
        try:
            proto = await self._protocol()
        except OSError as exc:
            raise TransportError(f"connect failed: {exc}") from None
        waiter: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()
        proto.waiter = waiter
        head = f"{method} {target} HTTP/1.1\r\n".encode() + self._head + headers
        if body is None:
            payload = head + b"\r\n"
        else:
            length = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            payload = head + length.encode() + body
        assert proto.transport is not None
        proto.transport.write(payload)
        try:
            return await waiter
        finally:
            self.started = 0.0

    def abort_if_stuck(self, now: float, timeout: float) -> bool:
        """Abort the request in flight if it has run longer than ``timeout`` seconds."""
        if self.started and now - self.started > timeout and self._proto is not None:
            self._proto._fail(TransportError(f"no response within {timeout:g} s"))
            self._proto.abort()
            return True
        return False

    def close(self) -> None:
        if self._proto is not None and self._proto.transport is not None:
            self._proto.transport.close()
        self._proto = None


class Watchdog:
    """Times out stuck requests with one periodic check instead of a timer per request."""

    def __init__(self, connections: list[Connection], timeout: float) -> None:
        self.connections = connections
        self.timeout = timeout
        self.timeouts = 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, self.timeout / 4))
            now = time.monotonic()
            self.timeouts += sum(c.abort_if_stuck(now, self.timeout) for c in self.connections)

    def __enter__(self) -> Watchdog:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
