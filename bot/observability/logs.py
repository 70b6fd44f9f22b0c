"""Structured JSON logs, one object per line, tagged with the request id.

The request id travels in a context variable set by the HTTP middleware, so every log
line written while serving a request carries it without passing it around. Secrets from
the settings are masked in every message, whatever code logged them.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable
from contextvars import ContextVar
from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from config.settings import Settings

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

MASK = "**********"
# Attributes every LogRecord has; anything else was passed with ``extra=`` and is emitted.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
}
# msgspec encodes several times faster than json.dumps; anything it cannot encode is str()'d.
_encoder = msgspec.json.Encoder(enc_hook=str)


class JsonFormatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = request_id.get()
        if rid is not None:
            entry["request_id"] = rid
        fields = record.__dict__
        for key in fields.keys() - _STANDARD:
            entry.setdefault(key, fields[key])
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if self._secrets:
            # Before encoding: once encoded, a secret holding '"', '\\' or a newline (a PEM
            # key) no longer appears as itself in the line.
            entry = {key: self._masked(value) for key, value in entry.items()}
        return _encoder.encode(entry).decode()

    def _masked(self, value: object) -> object:
        if isinstance(value, str):
            return self._mask(value)
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, dict):
            return {self._mask(str(k)): self._masked(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self._masked(v) for v in value]
        return self._mask(str(value))

    def _mask(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text


def configure(level: str, secrets: Iterable[str] = ()) -> None:
    """Send every log record to stderr as JSON; called once per process at start."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # pgserver narrates every step of starting PostgreSQL at INFO.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Our middleware writes the access line (with route template, status and request id).
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.handlers[:] = []
    uvicorn_access.propagate = False


def secret_values(settings: Settings) -> list[str]:
    """Every ``Secret`` held by the settings, revealed only to be masked in logs."""
    return [secret.reveal() for secret in settings.secrets()]
