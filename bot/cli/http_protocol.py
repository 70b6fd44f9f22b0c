"""uvicorn's HTTP protocol with a deadline on request headers.

uvicorn bounds the time *between* requests (keep-alive, 5 s) and reviewbot bounds a slow
body (``BODY_READ_TIMEOUT``), but nothing bounds a connection that opens and sends nothing,
or trickles a header line every few seconds: each such connection stays open for good, and
enough of them exhaust the process's file descriptors (slowloris). Here every connection has
``HEADER_TIMEOUT`` seconds from its first byte (or from being opened) to complete a
request's headers; past it, a started request gets a 408 in the API's error envelope and
the connection is closed.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEADER_TIMEOUT = 10.0

_TIMED_OUT = (
    b'{"error":{"code":"REQUEST_TIMEOUT","message":"request headers were not received within '
    + str(int(HEADER_TIMEOUT)).encode()
    + b' s"}}'
)
_RESPONSE_408 = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
    b"content-length: " + str(len(_TIMED_OUT)).encode() + b"\r\nconnection: close\r\n\r\n"
) + _TIMED_OUT


class HeaderDeadlineProtocol(HttpToolsProtocol):
    header_timeout = HEADER_TIMEOUT
    _header_timer: asyncio.TimerHandle | None = None
    _started = False  # a byte of the current request has arrived

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._started = True
        if self._header_timer is None:  # a keep-alive connection's next request
            self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        self._started = False
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        if self._started:
            self.transport.write(_RESPONSE_408)
        self.transport.close()
