"""Request headers have a deadline: idle and trickling connections are closed, real
requests (keep-alive ones and slow handlers included) are not (bot/cli/http_protocol.py)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.cli.http_protocol import HeaderDeadlineProtocol
from tests.conftest import serving

DEADLINE = 0.6


class QuickDeadline(HeaderDeadlineProtocol):
    header_timeout = DEADLINE


async def _slow(request: Request) -> Response:
    await asyncio.sleep(DEADLINE * 2)
    return PlainTextResponse("done")


async def _ok(request: Request) -> Response:
    return PlainTextResponse("ok")


@pytest.fixture(scope="module")
def address() -> Iterator[tuple[str, int]]:
    app = Starlette(routes=[Route("/ok", _ok), Route("/slow", _slow)])
    with serving(app, http=QuickDeadline) as url:
        host, port = url.removeprefix("http://").split(":")
        yield host, int(port)


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def _answer(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith((b"ok", b"done")):
        chunk = sock.recv(65536)
        assert chunk, f"closed early after {data!r}"
        data += chunk
    return data


def test_a_connection_that_sends_nothing_is_closed(address: tuple[str, int]) -> None:
    with socket.create_connection(address, timeout=5) as sock:
        started = time.monotonic()
        assert _read_all(sock) == b""
        assert DEADLINE * 0.8 < time.monotonic() - started < DEADLINE + 2


def test_trickled_headers_get_a_408_in_the_envelope(address: tuple[str, int]) -> None:
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(b"GET /ok HTTP/1.1\r\n")
        for _ in range(6):  # one header line every 0.2 s never completes in time
            time.sleep(0.2)
            try:
                sock.sendall(b"X-Slow: 1\r\n")
            except OSError:
                break
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b'"code":"REQUEST_TIMEOUT"' in answer


def test_keep_alive_requests_and_slow_handlers_are_not_cut(address: tuple[str, int]) -> None:
    with socket.create_connection(address, timeout=5) as sock:
        for _ in range(4):  # together longer than the deadline, each one quick
            sock.sendall(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
            assert _answer(sock).startswith(b"HTTP/1.1 200")
            time.sleep(DEADLINE / 2)
        sock.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _answer(sock).startswith(b"HTTP/1.1 200")
