"""Faults seen by API clients: every answer is a whole response with the request id, and a
PostgreSQL that cannot be reached is a 503 to retry, not a 500."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

from bot.app import create_app
from bot.cli.embedded import stop_postgres
from bot.observability.metrics import STORE_UNAVAILABLE
from config.settings import Settings
from store.db import migrate
from tests.conftest import serving


def _exchange(sock: socket.socket, path: str) -> bytes:
    """One HTTP/1.1 request on an open keep-alive connection; the whole raw answer."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


async def _boom(request: Request) -> Response:
    raise RuntimeError("a bug")


def test_an_unhandled_error_is_one_whole_500_and_the_connection_stays_usable(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings)
    app.add_route("/boom", _boom)
    with serving(app) as url, caplog.at_level(logging.ERROR):
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            first = _exchange(sock, "/boom")
            second = _exchange(sock, "/health")  # the same connection
    assert first.startswith(b"HTTP/1.1 500")
    assert b"x-request-id:" in first.lower()
    assert b'{"error":{"code":"INTERNAL"' in first
    assert second.startswith(b"HTTP/1.1 200")
    tracebacks = [r for r in caplog.records if r.exc_info and "a bug" in str(r.exc_info[1])]
    assert len(tracebacks) == 1


@dataclass
class PrivatePostgres:
    url: str
    stop: Callable[[], None]


@pytest.fixture
def private_postgres(tmp_path: Path) -> Iterator[PrivatePostgres]:
    """A PostgreSQL of this test's own, to stop while the app uses it."""
    from pgserver import get_server  # type: ignore[attr-defined]

    pgdata = (tmp_path / "postgres").resolve()
    server = get_server(pgdata, cleanup_mode=None)
    stopped = False

    def stop() -> None:
        nonlocal stopped
        stop_postgres(server, pgdata)
        stopped = True

    try:
        yield PrivatePostgres(server.get_uri(), stop)
    finally:
        if not stopped:
            stop()


async def test_postgres_down_is_503_with_retry_after_and_health_stays_200(
    private_postgres: PrivatePostgres, caplog: pytest.LogCaptureFixture
) -> None:
    await migrate(private_postgres.url)
    app = create_app(Settings(database_url=private_postgres.url, redis_url="off"))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t") as client,
    ):
        ok = await client.post("/team/add", json={"team_name": "t", "members": []})
        assert ok.status_code == 201
        counted_before = STORE_UNAVAILABLE._value.get()  # a process-wide counter
        await asyncio.to_thread(private_postgres.stop)
        with caplog.at_level(logging.WARNING):
            down = await client.get("/team/get", params={"team_name": "t"})
            write = await client.post("/team/add", json={"team_name": "u", "members": []})
        assert (await client.get("/health")).status_code == 200
        metrics = (await client.get("/metrics")).text
    counted = STORE_UNAVAILABLE._value.get()
    for response in (down, write):
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "UNAVAILABLE"
        assert response.headers["retry-after"] == "2"
    warnings = [
        r
        for r in caplog.records
        if r.levelno == logging.WARNING and "unavailable" in r.getMessage()
    ]
    assert len(warnings) == 2 and not any(r.exc_info for r in warnings)
    assert counted == counted_before + 2
    assert f"reviewbot_store_unavailable_total {counted}" in metrics


def _postgres_processes(pgdata: Path) -> list[int]:
    """The postmaster of ``pgdata`` and every process it started."""
    postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == postmaster:
            children.append(int(stat.parent.name))
    return [postmaster, *children]


async def test_a_frozen_postgres_is_503_within_the_query_timeout_and_recovers(
    private_postgres: PrivatePostgres, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Accepting connections but answering nothing (SIGSTOP: a hung disk, a paused VM)."""
    monkeypatch.setattr("store.db.QUERY_TIMEOUT", 1.0)
    await migrate(private_postgres.url)
    app = create_app(Settings(database_url=private_postgres.url, redis_url="off"))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t") as client,
    ):
        assert (await client.post("/team/add", json={"team_name": "t", "members": []})).is_success
        frozen = _postgres_processes((tmp_path / "postgres").resolve())  # with the pool's
        for pid in frozen:
            os.kill(pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            read, write = await asyncio.gather(  # a read the cache cannot answer
                client.get("/stats"),
                client.post("/team/add", json={"team_name": "u", "members": []}),
            )
            waited = time.monotonic() - started
        finally:
            for pid in frozen:
                os.kill(pid, signal.SIGCONT)
        for response in (read, write):
            assert response.status_code == 503, response.text
            assert response.json()["error"]["code"] == "UNAVAILABLE"
        assert waited < 4.0
        again = await client.get("/team/get", params={"team_name": "t"})
        assert again.status_code == 200, again.text
