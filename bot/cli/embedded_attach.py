"""The store of a short command (``reviewbot migrate``, ``reviewbot teams …``).

Given the same environment a command works on the same store as the service. With
``DATABASE_URL`` unset that is the embedded PostgreSQL under ``DATA_DIR``:

- a ``serve`` owns DATA_DIR (bot/cli/embedded_owner.py): the command uses the servers
  that serve's lock record names, and never stops them;
- nobody owns it: the command owns it for its run, starts (or adopts) PostgreSQL and
  stops it at the end; a ``serve`` started meanwhile waits for it.

Redis is never started for a command. With ``REDIS_URL`` unset the command uses the running
serve's embedded Redis (to invalidate its cache); with no serve there is no cache to keep
right, since the next start begins with an empty one.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator

from bot.cli.embedded import embedded_postgres
from bot.cli.embedded_owner import DataDirBusy, Owner, OwnerLock, acquire, wait_until_ready
from config.settings import Settings

log = logging.getLogger(__name__)


@contextlib.contextmanager
def command_store(settings: Settings, command: str) -> Iterator[tuple[str, str | None]]:
    """(database_url, redis_url or None) for a command, from its settings and DATA_DIR."""
    embedded_cache = settings.redis_url is None  # the serve's, if one runs
    external_redis = None if settings.redis_url in (None, "off") else settings.redis_url
    if settings.database_url is not None and not embedded_cache:
        yield settings.database_url, external_redis
        return
    lock = OwnerLock(settings.data_dir)
    holder = acquire(lock, Owner(pid=os.getpid(), command=command), refuse_serve=False)
    if holder is not None:
        holder = wait_until_ready(lock, holder)
        database_url = settings.database_url or holder.postgres
        if database_url is None:
            raise DataDirBusy(
                f"{holder.describe()} uses an external DATABASE_URL, not the embedded "
                "PostgreSQL: give this command the same DATABASE_URL"
            )
        log.info("using the servers of %s", holder.describe())
        yield database_url, holder.redis if embedded_cache else external_redis
        return
    try:
        if settings.database_url is not None:
            yield settings.database_url, external_redis
            return
        with embedded_postgres(settings.data_dir) as database_url:
            lock.update(postgres=database_url, ready=True)
            yield database_url, external_redis
    finally:
        lock.release()
