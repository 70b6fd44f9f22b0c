"""`reviewbot serve` with embedded servers: starts, keeps data, stops without orphans."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from store.db import migrate, migration_files

STARTUP_LIMIT = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _processes() -> Iterator[tuple[Path, str]]:
    """Each running process's /proc entry and command line (those gone meanwhile left out)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            yield proc, (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue


def _processes_using(path: Path) -> list[str]:
    return [f"{proc.name}: {cmdline}" for proc, cmdline in _processes() if str(path) in cmdline]


class Service:
    def __init__(self, data_dir: Path, **settings: str) -> None:
        self.port = _free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env.update(DATA_DIR=str(data_dir), PORT=str(self.port), HOST="127.0.0.1", **settings)
        self.log = data_dir.parent / f"serve-{self.port}.log"
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve"], env=env, stdout=log, stderr=log
            )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self) -> float:
        started = time.monotonic()
        while time.monotonic() - started < STARTUP_LIMIT:
            if self.proc.poll() is not None:
                raise AssertionError(self.log.read_text())
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError("service did not answer /health in time")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=30)


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "data"
    yield path
    assert _processes_using(path) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_stops_its_embedded_servers(data_dir: Path, sig: int) -> None:
    service = Service(data_dir)
    service.wait_ready()
    assert any("postgres" in p for p in _processes_using(data_dir))
    assert any("redis-server" in p for p in _processes_using(data_dir))
    assert service.stop(sig) == 0
    assert _processes_using(data_dir) == []


def test_serve_keeps_data_across_restarts(data_dir: Path) -> None:
    first = Service(data_dir)
    first.wait_ready()
    team = {"team_name": "kept", "members": [{"user_id": "k", "username": "K", "is_active": True}]}
    assert httpx.post(f"{first.url}/team/add", json=team).status_code == 201
    first.stop()
    second = Service(data_dir)
    second.wait_ready()
    got = httpx.get(f"{second.url}/team/get", params={"team_name": "kept"})
    assert got.status_code == 200 and got.json()["members"][0]["user_id"] == "k"
    second.stop()


async def test_two_instances_migrating_at_once_apply_each_migration_once(
    database_url: str,
) -> None:
    # A fresh database on the test server, so the race starts from nothing.
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute("DROP DATABASE IF EXISTS migrate_race")
        await admin.execute("CREATE DATABASE migrate_race")
    finally:
        await admin.close()
    url = database_url.replace("/postgres?", "/migrate_race?", 1)
    if url == database_url:  # a TEST_DATABASE_URL of another shape: use the last path part
        base, _, rest = database_url.rpartition("/")
        url = f"{base}/migrate_race" + (("?" + rest.split("?", 1)[1]) if "?" in rest else "")
    results = await asyncio.gather(*[migrate(url) for _ in range(4)])
    applied = sorted(name for names in results for name in names)
    assert applied == [name for _, name, _ in migration_files()]
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == len(applied)
    finally:
        await conn.close()
