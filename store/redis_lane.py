"""One pipelined Redis connection for the cache's hot read (the ``/team/get`` answer).

Why not redis-py for it: its asyncio client takes a pooled connection per command, checks
it is still readable, runs retry and observability wrappers and a timer per reply; py-spy
put that at more app CPU per ``/team/get`` than the rest of the request. Here every
command of the process shares one socket: the commands of one event-loop iteration go
out in one write, replies are matched to callers in order, and one timer per lane (not
per command) bounds how long the oldest unanswered command may wait.

Only what the read needs: RESP2 replies, ``AUTH``/``SELECT`` from the URL on connect, plain
TCP or a unix socket. ``rediss://`` (TLS) is not handled here: ``ReadLane.for_url`` gives
None and the cache keeps using redis-py. Failures raise ``OSError`` subclasses
(``ConnectionError``, ``TimeoutError``) or redis-py's own ``ResponseError``/
``NoScriptError``, which is what the cache already handles.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any

from redis.connection import parse_url
from redis.exceptions import NoScriptError, ResponseError

Reply = bytes | int | list[Any] | None


class _Incomplete(Exception):
    """More bytes are needed before the next reply can be parsed."""


def _line(buf: bytearray, pos: int) -> tuple[bytes, int]:
    end = buf.find(b"\r\n", pos)
    if end < 0:
        raise _Incomplete
    return bytes(buf[pos:end]), end + 2


def parse_reply(buf: bytearray, pos: int = 0) -> tuple[Reply | ResponseError, int]:
    """(one RESP2 reply, the position after it); raises ``_Incomplete`` when cut short."""
    if pos >= len(buf):
        raise _Incomplete
    kind, (head, pos) = buf[pos], _line(buf, pos + 1)
    if kind == 0x24:  # '$' bulk string
        size = int(head)
        if size < 0:
            return None, pos
        if len(buf) < pos + size + 2:
            raise _Incomplete
        return bytes(buf[pos : pos + size]), pos + size + 2
    if kind == 0x2A:  # '*' array
        count = int(head)
        if count < 0:
            return None, pos
        items: list[Any] = []
        for _ in range(count):
            item, pos = parse_reply(buf, pos)
            items.append(item)
        return items, pos
    if kind == 0x3A:  # ':' integer
        return int(head), pos
    if kind == 0x2B:  # '+' simple string
        return head, pos
    if kind == 0x2D:  # '-' error
        message = head.decode(errors="replace")
        return (NoScriptError if message.startswith("NOSCRIPT") else ResponseError)(message), pos
    raise ResponseError(f"unexpected reply type {chr(kind)!r} from Redis")


def encode_command(*parts: str | bytes | int) -> bytes:
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        raw = part if isinstance(part, bytes) else str(part).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(raw), raw))
    return b"".join(out)


class _Protocol(asyncio.Protocol):
    """One connection: its own callers in send order, answered as replies arrive."""

    def __init__(self, lane: ReadLane) -> None:
        self._lane = lane
        self._buf = bytearray()
        self.pending: deque[tuple[asyncio.Future[Reply], float]] = deque()
        self.transport: asyncio.Transport | None = None
        self._out: list[bytes] = []  # commands of this loop iteration, sent in one write

    def send(self, command: bytes) -> None:
        if not self._out:
            asyncio.get_running_loop().call_soon(self._flush)
        self._out.append(command)

    def _flush(self) -> None:
        out, self._out = self._out, []
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"".join(out))

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._buf += data
        pos = 0
        try:
            while pos < len(self._buf):
                reply, pos = parse_reply(self._buf, pos)
                self._answer(reply)
        except _Incomplete:
            pass
        except (ResponseError, ValueError, IndexError):  # out of step with the stream
            self.abort(ConnectionError("redis reply out of step; connection dropped"))
            return
        del self._buf[:pos]

    def _answer(self, reply: Reply | ResponseError) -> None:
        future, _ = self.pending.popleft()
        if not future.done():  # its caller may have been cancelled meanwhile
            future.set_result(reply)  # type: ignore[arg-type]

    def abort(self, exc: Exception) -> None:
        if self.transport is not None:
            self.transport.abort()
        self.connection_lost(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        failure = exc if isinstance(exc, OSError) else ConnectionError(str(exc or "closed"))
        while self.pending:
            future, _ = self.pending.popleft()
            if not future.done():
                future.set_exception(failure)
                future.exception()  # retrieved here; its caller still gets it raised
        self._lane._lost(self)


class ReadLane:
    """``await lane.call("EVALSHA", sha, 2, k1, k2, arg)``: the reply, in call order."""

    def __init__(self, connect_kwargs: dict[str, Any], timeout: float) -> None:
        self._kwargs = connect_kwargs
        self._timeout = timeout
        self._conn: _Protocol | None = None
        self._connecting: asyncio.Future[None] | None = None
        self._watchdog: asyncio.TimerHandle | None = None

    @classmethod
    def for_url(cls, url: str, timeout: float) -> ReadLane | None:
        if not url.startswith(("redis://", "unix://")):
            return None  # TLS and anything unusual: redis-py's client does it
        return cls(parse_url(url), timeout)  # type: ignore[no-untyped-call]

    async def call(self, *parts: str | bytes | int) -> Reply:
        conn = self._conn
        if conn is None or self._connecting is not None or _closing(conn):
            conn = await self._connect()
        return await self._send(conn, encode_command(*parts))

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.abort(ConnectionError("redis lane closed"))

    # -- internals ----------------------------------------------------------------------

    async def _send(self, conn: _Protocol, command: bytes) -> Reply:
        if conn.transport is None or conn.transport.is_closing():
            raise ConnectionError("redis lane is not connected")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Reply] = loop.create_future()
        conn.pending.append((future, time.monotonic()))
        conn.send(command)
        if self._watchdog is None:
            self._watchdog = loop.call_later(self._timeout, self._check_oldest)
        reply = await future
        if isinstance(reply, ResponseError):
            raise reply
        return reply

    async def _connect(self) -> _Protocol:
        if self._connecting is not None:  # another caller is connecting: wait for it
            await asyncio.shield(self._connecting)
            if self._conn is None:
                raise ConnectionError("redis lane could not connect")
            return self._conn
        if self._conn is not None:
            self._conn.abort(ConnectionError("redis connection closing; reconnecting"))
        loop = asyncio.get_running_loop()
        connecting = self._connecting = loop.create_future()
        try:
            async with asyncio.timeout(self._timeout):
                conn = await self._open(loop)
                await self._handshake(conn)
            self._conn = conn
            connecting.set_result(None)
            return conn
        except BaseException as exc:
            connecting.set_exception(exc if isinstance(exc, OSError) else ConnectionError(str(exc)))
            connecting.exception()  # retrieved: no "never retrieved" warning
            raise
        finally:
            self._connecting = None

    async def _open(self, loop: asyncio.AbstractEventLoop) -> _Protocol:
        kw = self._kwargs
        if "path" in kw:
            _, conn = await loop.create_unix_connection(lambda: _Protocol(self), kw["path"])
        else:
            host, port = kw.get("host", "localhost"), int(kw.get("port", 6379))
            _, conn = await loop.create_connection(lambda: _Protocol(self), host, port)
        return conn

    async def _handshake(self, conn: _Protocol) -> None:
        kw = self._kwargs
        try:
            if kw.get("password"):
                auth = [kw["username"], kw["password"]] if kw.get("username") else [kw["password"]]
                await self._send(conn, encode_command("AUTH", *auth))
            if int(kw.get("db") or 0):
                await self._send(conn, encode_command("SELECT", int(kw["db"])))
        except BaseException:
            conn.abort(ConnectionError("redis handshake failed"))
            raise

    def _check_oldest(self) -> None:
        self._watchdog = None
        conn = self._conn
        if conn is None or not conn.pending:
            return
        waited = time.monotonic() - conn.pending[0][1]
        if waited >= self._timeout:
            conn.abort(TimeoutError(f"redis did not answer within {self._timeout:g} s"))
            return
        loop = asyncio.get_running_loop()
        self._watchdog = loop.call_later(self._timeout - waited, self._check_oldest)

    def _lost(self, conn: _Protocol) -> None:
        if conn is self._conn:
            self._conn = None


def _closing(conn: _Protocol) -> bool:
    return conn.transport is None or conn.transport.is_closing()
