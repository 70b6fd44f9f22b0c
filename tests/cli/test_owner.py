"""One owner per DATA_DIR, with real processes: a second serve refuses, commands attach to a
running serve's servers and never stop them, a start after SIGKILL adopts the orphans."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.cli.test_embedded import Service, _processes, _processes_using, data_dir  # noqa: F401 (fixture)

COMMAND_LIMIT = 120.0


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:  # noqa: F811
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_LIMIT,
    )


def _server_pids(data_dir: Path) -> tuple[int, int]:  # noqa: F811
    postgres = int((data_dir / "postgres" / "postmaster.pid").read_text().splitlines()[0])
    redis = int((data_dir / "redis" / "redis.pid").read_text())
    return postgres, redis


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _add_team(url: str, name: str) -> int:
    team = {"team_name": name, "members": [{"user_id": name, "username": name, "is_active": True}]}
    return httpx.post(f"{url}/team/add", json=team, timeout=10).status_code


def test_a_second_serve_refuses_and_leaves_the_first_untouched(data_dir: Path) -> None:  # noqa: F811
    first = Service(data_dir)
    try:
        first.wait_ready()
        servers = _server_pids(data_dir)
        second = Service(data_dir)
        code = second.proc.wait(timeout=COMMAND_LIMIT)
        said = second.log.read_text()
        assert code == 1, said
        assert f"in use by `reviewbot serve` (pid {first.proc.pid}, {first.url})" in said
        assert _server_pids(data_dir) == servers and all(_alive(p) for p in servers)
        assert httpx.get(f"{first.url}/ready", timeout=10).json()["checks"]["redis"] == "ok"
        assert _add_team(first.url, "still") == 201
    finally:
        assert first.stop() == 0


def test_commands_attach_to_a_running_serve_and_never_stop_its_servers(
    data_dir: Path,  # noqa: F811
) -> None:
    service = Service(data_dir)
    try:
        service.wait_ready()
        servers = _server_pids(data_dir)
        migrated = _cli(data_dir, "migrate")
        assert migrated.returncode == 0, migrated.stderr
        exported = _cli(data_dir, "teams", "export")
        assert exported.returncode == 0, exported.stderr
        assert all(_alive(p) for p in servers)
        assert httpx.get(f"{service.url}/ready", timeout=10).status_code == 200
        assert _add_team(service.url, "after-migrate") == 201
        assert f"listening on 127.0.0.1:{service.port} only" in service.log.read_text()
    finally:
        assert service.stop() == 0


def test_a_command_with_no_serve_running_stops_what_it_started(data_dir: Path) -> None:  # noqa: F811
    migrated = _cli(data_dir, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert _processes_using(data_dir) == []


def test_the_start_after_a_sigkill_adopts_the_orphaned_postgres(data_dir: Path) -> None:  # noqa: F811
    crashed = Service(data_dir)
    crashed.wait_ready()
    assert _add_team(crashed.url, "kept") == 201
    orphan, redis = _server_pids(data_dir)  # before the kill: Redis removes its pidfile
    crashed.stop(signal.SIGKILL)
    assert _alive(orphan), "PostgreSQL outlives a SIGKILLed serve (pg_ctl daemonizes it)"
    _wait_gone(redis)
    # The next command or serve owns the directory: it adopts the orphan and stops it after.
    restarted = Service(data_dir)
    try:
        restarted.wait_ready()
        got = httpx.get(f"{restarted.url}/team/get", params={"team_name": "kept"}, timeout=10)
        assert got.status_code == 200
        assert _server_pids(data_dir)[0] == orphan
        assert "adopting embedded PostgreSQL" in restarted.log.read_text()
    finally:
        assert restarted.stop() == 0
    assert not _alive(orphan)


def _wait_gone(pid: int) -> None:
    """Redis dies with its parent (PR_SET_PDEATHSIG); wait for that, bounded."""
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def test_workers_stop_when_their_supervisor_is_killed(data_dir: Path) -> None:  # noqa: F811
    crashed = Service(data_dir, WORKERS="2")
    crashed.wait_ready()
    workers = _children(crashed.proc.pid)
    assert len(workers) >= 2
    crashed.stop(signal.SIGKILL)
    for pid in workers:  # each got SIGTERM from the kernel and shut down
        _wait_gone(pid)
        assert not _alive(pid), f"worker {pid} outlived its supervisor"
    restarted = Service(data_dir, WORKERS="2")  # the port and DATA_DIR are free again
    try:
        restarted.wait_ready()
        assert _add_team(restarted.url, "after-crash") == 201
    finally:
        assert restarted.stop() == 0


def _children(pid: int) -> list[int]:
    """The uvicorn worker processes of a serve (its Python children)."""
    found = []
    for proc, cmdline in _processes():
        try:
            parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if parent == pid and "multiprocessing" in cmdline:
            found.append(int(proc.name))
    return found
