"""One owner per DATA_DIR: the process that starts the embedded servers holds a lock.

The lock is an ``fcntl.flock`` on ``DATA_DIR/owner.lock``. The kernel releases it when the
owner exits in any way, SIGKILL included, so a lock can never be left behind; the file's
content (pid, command, address, the URLs of the servers it runs) only describes the
current holder to the others and is meaningless once the lock is free.

- ``reviewbot serve`` owns the directory for its whole life; a second ``serve`` refuses,
  naming the first.
- A short command (``migrate``, ``teams …``) attaches to the servers of a running
  ``serve`` and never stops them; with nobody running it owns the directory for its run.
- Whoever takes the lock and finds servers running under the directory knows they are
  orphans of a crashed owner: PostgreSQL is adopted, a stale Redis is stopped.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

LOCK_NAME = "owner.lock"
# How long a command or a starting serve waits for a short command holding the lock.
WAIT_FOR_COMMAND_SECONDS = 60.0
_POLL = 0.05


class DataDirBusy(RuntimeError):
    """DATA_DIR belongs to another running process; the message names it."""


@dataclass(frozen=True)
class Owner:
    pid: int
    command: str  # "serve", "migrate", "teams apply", …
    address: str | None = None  # where a serve listens, e.g. http://127.0.0.1:8080
    postgres: str | None = None  # URL of the embedded PostgreSQL it runs, once up
    redis: str | None = None  # URL of the embedded Redis it runs, once up
    ready: bool = False  # its embedded servers are up

    def describe(self) -> str:
        where = f", {self.address}" if self.address else ""
        return f"`reviewbot {self.command}` (pid {self.pid}{where})"


class OwnerLock:
    """The lock on one DATA_DIR, held while this object's file stays open."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.path = self.data_dir / LOCK_NAME
        self._fd: int | None = None
        self.owner: Owner | None = None

    def try_acquire(self, owner: Owner) -> bool:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        self.record(owner)
        return True

    def record(self, owner: Owner) -> None:
        """Describe the holder (us) to the others: rewritten in place, then flushed."""
        assert self._fd is not None, "record() needs the lock"
        self.owner = owner
        data = json.dumps(asdict(owner)).encode()
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)
        os.fsync(self._fd)

    def update(self, **changes: object) -> None:
        assert self.owner is not None
        self.record(replace(self.owner, **changes))  # type: ignore[arg-type]

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing the last descriptor frees the flock
            self._fd = None

    def holder(self) -> Owner | None:
        """Who holds the lock now, or None when nobody does (or it is just being written)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            fields = json.loads(raw)
            return Owner(**fields) if isinstance(fields, dict) else None
        except (ValueError, TypeError):
            return None


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def acquire(lock: OwnerLock, owner: Owner, *, refuse_serve: bool) -> Owner | None:
    """Take the lock, or return the running ``serve`` holding it.

    A short command holding the lock is waited for (up to a minute), since it will be done
    soon. A ``serve`` holding it is returned to the caller to attach to, or, with
    ``refuse_serve``, ends the attempt with ``DataDirBusy`` naming it.
    """
    deadline = time.monotonic() + WAIT_FOR_COMMAND_SECONDS
    while True:
        if lock.try_acquire(owner):
            return None
        holder = lock.holder()
        if holder is not None and holder.command == "serve" and _alive(holder.pid):
            if refuse_serve:
                raise DataDirBusy(
                    f"DATA_DIR {lock.data_dir} is in use by {holder.describe()}; stop it "
                    "first, or give this instance a DATA_DIR of its own"
                )
            return holder
        if time.monotonic() > deadline:
            who = holder.describe() if holder is not None else "another process"
            raise DataDirBusy(f"DATA_DIR {lock.data_dir} is still held by {who}")
        time.sleep(_POLL)


def wait_until_ready(lock: OwnerLock, holder: Owner, timeout: float = 60.0) -> Owner:
    """The running serve's record once its embedded servers are up."""
    deadline = time.monotonic() + timeout
    while not holder.ready:
        if not _alive(holder.pid) or time.monotonic() > deadline:
            raise DataDirBusy(f"{holder.describe()} did not finish starting its servers")
        time.sleep(_POLL)
        holder = lock.holder() or holder
    return holder


@contextlib.contextmanager
def owning(data_dir: Path, owner: Owner) -> Iterator[OwnerLock]:
    """Own DATA_DIR for a ``serve``: refuses (``DataDirBusy``) while another serve runs."""
    lock = OwnerLock(data_dir)
    acquire(lock, owner, refuse_serve=True)
    try:
        yield lock
    finally:
        lock.release()
