"""Embedded servers for short commands (``reviewbot teams …``) next to a running service.

pgserver reuses a PostgreSQL already running on the same data directory (it reads
``postmaster.pid``) and keeps a list of processes holding a handle on it. A command must
therefore never stop a server it did not start: the service would lose its database. And
a server the command did start is left running if a service attached to it meanwhile.
Redis is never started for a command: if the service's embedded Redis is up we invalidate
its cache there; if it is not, the next service start begins with an empty cache anyway.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from bot.cli.embedded import redis_socket_path, stop_postgres

log = logging.getLogger(__name__)


def _running_pid(pgdata: Path) -> int | None:
    try:
        pid = int((pgdata / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if Path(f"/proc/{pid}").exists() else None


def _alive(pid: int) -> bool:
    return pid != os.getpid() and Path(f"/proc/{pid}").exists()


@contextlib.contextmanager
def attached_postgres(data_dir: Path) -> Iterator[str]:
    """The embedded PostgreSQL under DATA_DIR: the running one, or one started for us."""
    from pgserver import get_server  # type: ignore[attr-defined]

    pgdata = (data_dir / "postgres").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    started_here = _running_pid(pgdata) is None
    server = get_server(pgdata, cleanup_mode=None)
    try:
        yield server.get_uri()
    finally:
        holders = server.global_process_id_list.get_and_remove(os.getpid())
        others = [pid for pid in holders if _alive(pid)]
        if started_here and not others:
            stop_postgres(server, pgdata)
        elif started_here:
            log.info("leaving embedded PostgreSQL running: process %s uses it", others)


def running_embedded_redis(data_dir: Path) -> str | None:
    """The URL of the service's embedded Redis when it is running, else None."""
    sock = redis_socket_path((data_dir / "redis").resolve())
    return f"unix://{sock}" if sock.exists() else None
