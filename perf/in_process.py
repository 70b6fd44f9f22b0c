"""An ASGI app behind a real uvicorn on 127.0.0.1, in a thread of the benchmark's process."""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn


class Serving:
    """``with Serving(app) as url:`` — the app's base URL while the block runs."""

    def __init__(self, app: Any) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.server.servers[0].sockets[0].getsockname()[1]}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@contextlib.contextmanager
def postgres_url(prefix: str) -> Iterator[str]:
    """``DATABASE_URL`` when set, else a private embedded PostgreSQL in a temporary
    directory, stopped when the block ends."""
    given = os.environ.get("DATABASE_URL")
    if given:
        yield given
        return
    from bot.cli.embedded import embedded_postgres

    with tempfile.TemporaryDirectory(prefix=prefix) as tmp, embedded_postgres(Path(tmp)) as url:
        yield url


@contextlib.contextmanager
def migrated_servers(prefix: str) -> Iterator[tuple[str, str]]:
    """(database URL, Redis URL): ``DATABASE_URL`` / ``REDIS_URL`` when set, else private
    embedded servers in a temporary directory, stopped when the block ends; the database
    migrated."""
    import asyncio

    from bot.cli.embedded import embedded_servers
    from store.db import migrate

    given = os.environ.get("DATABASE_URL") or None, os.environ.get("REDIS_URL") or None
    with (
        tempfile.TemporaryDirectory(prefix=prefix) as tmp,
        embedded_servers(*given, Path(tmp)) as (db_url, redis_url),
    ):
        asyncio.run(migrate(db_url))
        yield db_url, redis_url
