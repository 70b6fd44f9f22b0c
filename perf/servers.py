"""Starting the servers under test as ``make run`` does, watching them, and stopping them.

Each server runs in its own session (process group) on a free 127.0.0.1 port; the service
gets its own DATA_DIR (embedded PostgreSQL and Redis) under the run's temporary directory.
Stopping sends SIGTERM (reviewbot then stops its embedded servers) and, should that hang,
SIGKILLs the whole group, so a run never leaves processes behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from perf.client import Connection, TransportError

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 180.0  # a first start runs initdb for the embedded PostgreSQL
STOP_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    port: int
    data_dir: Path | None
    log_path: Path
    _known: dict[int, psutil.Process] = field(default_factory=dict)

    def processes(self) -> dict[str, list[psutil.Process]]:
        """The server's processes by role: app (Python), postgres, redis."""
        found: dict[int, psutil.Process] = {}
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(self.proc.pid)
            found[root.pid] = root
            found.update((p.pid, p) for p in root.children(recursive=True))
        if self.data_dir is not None:
            found.update(_processes_using(self.data_dir))
        roles: dict[str, list[psutil.Process]] = {"app": [], "postgres": [], "redis": []}
        for pid, proc in found.items():
            proc = self._known.setdefault(pid, proc)  # keep one object: cpu_percent state
            roles[_role(proc)].append(proc)
        return roles

    def workers(self) -> list[psutil.Process]:
        """uvicorn's worker processes (the serving process itself when WORKERS=1)."""
        apps = self.processes()["app"]
        children = [p for p in apps if p.pid != self.proc.pid and _is_worker(p)]
        return children or [p for p in apps if p.pid == self.proc.pid]

    def cpu_seconds(self) -> dict[str, dict[int, float]]:
        out: dict[str, dict[int, float]] = {}
        for role, procs in self.processes().items():
            times = out.setdefault(role, {})
            for p in procs:
                with contextlib.suppress(psutil.Error):
                    t = p.cpu_times()
                    times[p.pid] = t.user + t.system
        return out


def _processes_using(data_dir: Path) -> dict[int, psutil.Process]:
    """PostgreSQL's postmaster (pg_ctl detaches it from us) and its backends."""
    marker = str(data_dir)
    found: dict[int, psutil.Process] = {}
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        if any(marker in part for part in cmdline):
            found[proc.pid] = proc
            with contextlib.suppress(psutil.Error):
                found.update((c.pid, c) for c in proc.children(recursive=True))
    return found


def _is_worker(proc: psutil.Process) -> bool:
    """uvicorn's workers are multiprocessing spawns; its resource tracker is not a worker."""
    try:
        cmdline = " ".join(proc.cmdline())
    except psutil.Error:
        return False
    return "spawn_main" in cmdline and "resource_tracker" not in cmdline


def _role(proc: psutil.Process) -> str:
    try:
        name = proc.name()
    except psutil.Error:
        return "app"
    if name.startswith("postgres"):
        return "postgres"
    if name.startswith("redis"):
        return "redis"
    return "app"


def _spawn(name: str, argv: list[str], env: Mapping[str, str], log_path: Path) -> Any:
    log = log_path.open("wb")
    try:
        return subprocess.Popen(
            argv, cwd=ROOT, env=dict(env), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    finally:
        log.close()


def server_env(port: int, workers: int, extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    env.update(HOST="127.0.0.1", PORT=str(port), WORKERS=str(workers), LOG_LEVEL="WARNING")
    env.update(extra)
    return env


@contextlib.asynccontextmanager
async def running(
    name: str, argv: list[str], env: Mapping[str, str], port: int, workdir: Path,
    data_dir: Path | None = None,
) -> AsyncIterator[Server]:  # fmt: skip
    log_path = workdir / f"{name}.log"
    server = Server(name, _spawn(name, argv, env, log_path), port, data_dir, log_path)
    try:
        await _wait_ready(server)
        yield server
    finally:
        stop(server)


def service_argv() -> list[str]:
    """What ``make run`` runs: the ``reviewbot`` script beside this Python, ``serve``."""
    script = Path(sys.executable).parent / "reviewbot"
    if script.exists():
        return [str(script), "serve"]
    return [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())", "serve"]


def ceiling_argv() -> list[str]:
    return [sys.executable, "-m", "perf.ceiling"]


async def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    conn = Connection("127.0.0.1", server.port)
    try:
        while time.monotonic() < deadline:
            if server.proc.poll() is not None:
                tail = server.log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{server.name} exited with {server.proc.returncode}:\n{tail}")
            with contextlib.suppress(TransportError):
                status, _ = await conn.request("GET", "/health")
                if status == 200:
                    return
                conn.close()
            await asyncio.sleep(0.2)
    finally:
        conn.close()
    raise RuntimeError(f"{server.name} did not answer /health within {STARTUP_TIMEOUT:g} s")


def stop(server: Server) -> None:
    proc = server.proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=STOP_TIMEOUT)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # stragglers of the group, if any
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


async def serves(server: Server, path: str) -> bool:
    """Whether the service has ``path`` at all (any answer but 404/405), probed with a POST."""
    conn = Connection("127.0.0.1", server.port)
    try:
        status, _ = await conn.request("POST", path, b"{}")
    except TransportError:
        return False
    finally:
        conn.close()
    return status not in (404, 405)
