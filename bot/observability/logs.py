"""Structured JSON logs, one object per line, tagged with the request id.

Every line is JSON (``LOG_FORMAT=text`` gives a person at a terminal one readable line
instead): Python warnings are captured into the ``py.warnings`` logger, and uvicorn's
ANSI-coloured copy of its messages (``color_message``) is dropped, as is any ANSI escape.

The request id travels in a context variable set by the HTTP middleware, so every log
line written while serving a request carries it without passing it around. Secrets from
the settings are masked in every message, whatever code logged them.
"""

from __future__ import annotations

import logging
import re
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
MIN_MASKED_SECRET = 8
# Attributes every LogRecord has; anything else was passed with ``extra=`` and is emitted.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's copy of the message with ANSI colours
}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
FORMATS = ("json", "text")
# msgspec encodes several times faster than json.dumps; anything it cannot encode is str()'d.
_encoder = msgspec.json.Encoder(enc_hook=str)


class JsonFormatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # A secret shorter than this is not masked: replacing every 's' of every line by
        # the mask makes logs unreadable and tells a reader the secret. Such a secret is
        # weak anyway; start-up warns about it.
        # Longest first: a secret that starts another must not leave the other's tail.
        kept = [s for s in secrets if len(s) >= MIN_MASKED_SECRET]
        self._secrets = sorted(kept, key=len, reverse=True)
        # How each secret looks inside an encoded line (itself, or JSON-escaped): a line
        # holding none of these needs no masking, so most lines are encoded just once.
        self._encoded_forms = {f for s in kept for f in (s, _encoder.encode(s).decode()[1:-1])}

    def format(self, record: logging.LogRecord) -> str:
        fields = self._fields(record)
        line = _encoder.encode(fields).decode()
        if not any(form in line for form in self._encoded_forms):
            return line
        return _encoder.encode(self._masked_fields(fields)).decode()

    def entry(self, record: logging.LogRecord) -> dict[str, object]:
        """The record as one flat mapping, secrets masked and ANSI escapes removed."""
        return self._masked_fields(self._fields(record))

    def _fields(self, record: logging.LogRecord) -> dict[str, object]:
        entry: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": _ANSI.sub("", record.getMessage()),
        }
        rid = request_id.get()
        if rid is not None:
            entry["request_id"] = rid
        fields = record.__dict__
        for key in fields.keys() - _STANDARD:
            entry.setdefault(key, fields[key])
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return entry

    def _masked_fields(self, entry: dict[str, object]) -> dict[str, object]:
        # On the values, not the encoded line: once encoded, a secret holding '"', '\\' or
        # a newline (a PEM key) no longer appears as itself.
        if not self._secrets:
            return entry
        return {key: self._masked(value) for key, value in entry.items()}

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


class TextFormatter(JsonFormatter):
    """``LOG_FORMAT=text``: ``time LEVEL logger: message key=value …`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = self.entry(record)
        head = f"{entry.pop('ts')} {entry.pop('level'):<7} {entry.pop('logger')}: "
        head += str(entry.pop("message"))
        exception = entry.pop("exception", None)
        fields = " ".join(
            f"{key}={_encoder.encode(value).decode()}" for key, value in entry.items()
        )
        line = f"{head} {fields}" if fields else head
        return f"{line}\n{exception}" if exception else line


def configure(level: str, secrets: Iterable[str] = (), log_format: str = "json") -> None:
    """Send every log record (and every Python warning) to stderr, one JSON object a line
    or, with ``log_format="text"``, one readable line; called once per process at start."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(TextFormatter(secrets) if log_format == "text" else JsonFormatter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # warnings.warn (platformdirs' RuntimeDirWarning, deprecations) becomes a log record
    # of the py.warnings logger instead of raw text on stderr.
    logging.captureWarnings(True)
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
