"""Query parameters of the extension endpoints: optional ids, bounded ints, times, cursors."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from urllib.parse import unquote

import msgspec
from starlette.requests import Request

from bot.core.errors import BadRequest
from handlers.shapes import PR_ID_MAX_LENGTH

MAX_ID_LENGTH = 255
# Required ids may be PR ids of webhook PRs, the longest ids there are.
MAX_REQUIRED_LENGTH = PR_ID_MAX_LENGTH


def last_value(query_string: bytes, name: str) -> str | None:
    """``request.query_params.get(name)`` without building the multi-dict: the same
    decoding (latin-1, ``+`` and %-escapes, blank values kept, the last one wins) at a
    tenth of the CPU (≈ 0.6 against 9 µs; the reference reads take one id each)."""
    found = None
    for pair in query_string.decode("latin-1").split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        if "%" in key or "+" in key:
            key = unquote(key.replace("+", " "))
        if key == name:
            found = value
    if found is not None and ("%" in found or "+" in found):
        found = unquote(found.replace("+", " "))
    return found


def query_param(request: Request, name: str) -> str:
    """A required parameter (the reference endpoints' ids)."""
    value = last_value(request.scope.get("query_string", b""), name)
    if value is None or value == "":
        raise BadRequest(f"query parameter '{name}' is required")
    if len(value) > MAX_REQUIRED_LENGTH:
        # Not echoed back: the message names the limit, not the 20 kB that broke it.
        raise BadRequest(
            f"query parameter '{name}' is longer than {MAX_REQUIRED_LENGTH} characters"
        )
    return _without_nul(name, value)


def optional_id(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    if value == "":
        raise BadRequest(f"query parameter '{name}' must not be empty; omit it instead")
    if len(value) > MAX_ID_LENGTH:
        raise BadRequest(f"query parameter '{name}' is longer than {MAX_ID_LENGTH} characters")
    return _without_nul(name, value)


def _without_nul(name: str, value: str) -> str:
    # PostgreSQL text cannot hold NUL: refuse it here rather than as a database error.
    if "\x00" in value:
        raise BadRequest(f"query parameter '{name}' must not contain NUL characters")
    return value


def bounded_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    # isascii: str.isdigit() also accepts '²', which int() refuses; the length bound keeps
    # int() within its digit limit.
    digits = raw.isascii() and raw.isdigit() and len(raw) <= len(str(high))
    if not digits or not low <= int(raw) <= high:
        raise BadRequest(f"query parameter '{name}' must be a whole number from {low} to {high}")
    return int(raw)


def optional_time(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"query parameter '{name}' must be an RFC 3339 date-time") from None
    if value.tzinfo is None:
        raise BadRequest(f"query parameter '{name}' needs a time zone offset (e.g. Z)")
    if not _in_utc_range(value):
        raise BadRequest(f"query parameter '{name}' is out of range in UTC")
    return value


def _in_utc_range(value: datetime) -> bool:
    """PostgreSQL gets the time in UTC: 0001-01-01T00:00+14:00 has no UTC year to go to."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        return False
    return True


def one_of(request: Request, name: str, allowed: tuple[str, ...]) -> str | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    if value not in allowed:
        raise BadRequest(f"query parameter '{name}' must be one of {', '.join(allowed)}")
    return value


# -- opaque keyset cursors: base64url of a JSON [created_at, pull_request_id] ----------


def encode_cursor(created_at: datetime, pr_id: str) -> str:
    raw = msgspec.json.encode([created_at.isoformat(), pr_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(request: Request, name: str = "cursor") -> tuple[datetime, str] | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        at, pr_id = msgspec.json.decode(data, type=tuple[str, str])
        when = datetime.fromisoformat(at)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise BadRequest(f"query parameter '{name}' is not a cursor this service issued") from None
    if when.tzinfo is None or not _in_utc_range(when) or "\x00" in pr_id:
        raise BadRequest(f"query parameter '{name}' is not a cursor this service issued")
    return when, pr_id
