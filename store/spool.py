"""The webhook spool: verified deliveries kept on disk while PostgreSQL cannot be reached.

One append-only journal per spool directory (normally ``DATA_DIR/spool``), shared by every
process of the instance. A record is one line, ``<crc32 hex> <JSON>\\n``; it is appended under
an exclusive ``flock`` and ``fsync``ed before ``append`` returns, so a delivery answered 202
``queued`` survives the process being killed and the machine losing power (as far as the
disk honours ``fsync``). A record torn by a crash mid-append was never acknowledged; the
next append starts a fresh line and the reader skips the torn one (bad checksum).

``cursor`` holds the byte offset up to which records were applied. It is advisory: the
delivery dedupe makes a replayed record a ``duplicate``, so it is written without ``fsync``
and only the reset to 0 before truncation is made durable. One process at a time drains
(``drain.lock``); reading takes a shared lock, so a half-written record is never read.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import msgspec

from bot.core.errors import Unavailable

log = logging.getLogger(__name__)

JOURNAL, CURSOR, LEADER, REJECTED = "journal", "cursor", "drain.lock", "rejected.jsonl"


class Record(msgspec.Struct, frozen=True):
    host: str
    delivery: str
    headers: dict[str, str]  # only what parsing needs again: never a signature or token
    body: str  # the raw JSON body (it was decoded once, so it is valid UTF-8)
    at: float  # arrival, seconds since the epoch


@dataclass(frozen=True)
class Entry:
    record: Record
    end: int  # the byte offset just after this record: the cursor once it is applied


def encode(record: Record) -> bytes:
    data = msgspec.json.encode(record)
    return b"%08x %s\n" % (zlib.crc32(data), data)


def decode(line: bytes) -> Record | None:
    """The record of one journal line, or None when it is torn or damaged."""
    crc, _, data = line.rstrip(b"\n").partition(b" ")
    try:
        if int(crc, 16) != zlib.crc32(data):
            return None
        return msgspec.json.decode(data, type=Record)
    except (ValueError, msgspec.DecodeError):
        return None


class Spool:
    """Blocking file operations; the async callers run them in a thread."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self._lock = threading.Lock()  # flock does not order the threads of one process

    @property
    def journal(self) -> Path:
        return self.directory / JOURNAL

    def pending(self) -> bool:
        """Whether anything waits: arrivals must then queue behind it, in order."""
        try:
            return self.journal.stat().st_size > 0
        except FileNotFoundError:
            return False

    def append(self, host: str, delivery: str, headers: Mapping[str, str], body: bytes) -> int:
        """Keep one delivery durably; its journal size after.

        At the bound it raises ``Unavailable`` (503 with Retry-After): refused, never dropped.
        """
        line = encode(Record(host, delivery, dict(headers), body.decode(), time.time()))
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._lock, _locked(self.journal, "a+b", fcntl.LOCK_EX) as f:
            size = os.fstat(f.fileno()).st_size
            torn = size > 0 and os.pread(f.fileno(), 1, size - 1) != b"\n"
            if size + len(line) + torn > self.max_bytes:
                raise Unavailable(
                    f"PostgreSQL is unavailable and the webhook spool is full ({size} of "
                    f"{self.max_bytes} bytes); retry later"
                )
            f.write(b"\n" + line if torn else line)
            f.flush()
            os.fsync(f.fileno())
            return size + len(line) + torn

    def read(self, limit: int) -> list[Entry]:
        """Up to ``limit`` records after the cursor, in arrival order (damaged ones skipped)."""
        start = self._cursor()
        entries: list[Entry] = []
        with _locked(self.journal, "rb", fcntl.LOCK_SH) as f:
            if start > os.fstat(f.fileno()).st_size:
                start = 0  # a crash between the truncation and the cursor's reset
            f.seek(start)
            while len(entries) < limit:
                line = f.readline()
                if not line.endswith(b"\n"):
                    break  # the end, or a record torn by a crash (completed by the next append)
                record = decode(line)
                if record is None:
                    log.error("webhook spool: skipped a damaged record at byte %d", f.tell())
                    self.advance(f.tell())
                    continue
                entries.append(Entry(record, f.tell()))
        return entries

    def advance(self, offset: int) -> None:
        (self.directory / CURSOR).write_text(str(offset))

    def compact(self) -> bool:
        """Empty the journal once everything in it was applied; False if more arrived."""
        with self._lock, _locked(self.journal, "r+b", fcntl.LOCK_EX) as f:
            size = os.fstat(f.fileno()).st_size
            if self._cursor() < size:
                return False
            _write_durably(self.directory / CURSOR, b"0")  # first: a crash now only replays
            f.truncate(0)
            os.fsync(f.fileno())
            return True

    def reject(self, entry: Entry, reason: str) -> None:
        """Set aside a record that can never be applied, for the operator to look at."""
        data = msgspec.json.encode({"reason": reason, "record": entry.record})
        with (self.directory / REJECTED).open("ab") as f:
            f.write(data + b"\n")
            f.flush()
            os.fsync(f.fileno())

    @contextlib.contextmanager
    def leading(self) -> Iterator[bool]:
        """True while this process is the one draining (never blocks)."""
        if not self.journal.exists():
            yield False
            return
        with (self.directory / LEADER).open("ab") as f:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True  # closing the file releases the lock

    def _cursor(self) -> int:
        try:
            return int((self.directory / CURSOR).read_text() or 0)
        except (FileNotFoundError, ValueError):
            return 0


@contextlib.contextmanager
def _locked(path: Path, mode: str, how: int) -> Iterator[IO[bytes]]:
    with path.open(mode) as f:
        fcntl.flock(f.fileno(), how)
        yield f


def _write_durably(path: Path, data: bytes) -> None:
    with path.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
