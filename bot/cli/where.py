"""How a command names the servers it used, without their passwords."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def masked_url(url: str) -> str:
    """``postgresql://app:secret@db:5432/x`` as ``postgresql://app:***@db:5432/x``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


def database_line(database_url: str | None, data_dir: Path) -> str:
    """How a command names the PostgreSQL it uses."""
    if database_url:
        return f"{masked_url(database_url)} (DATABASE_URL)"
    return f"embedded PostgreSQL under {(data_dir / 'postgres').resolve()} (DATA_DIR)"


def log_database(database_url: str | None, data_dir: Path) -> None:
    """Say which database the command uses: one log line, JSON like every other."""
    where = database_line(database_url, data_dir)
    logging.getLogger("reviewbot.cli").info("database: %s", where, extra={"database": where})
