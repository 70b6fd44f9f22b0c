"""Pure decoding of a code host's answer: (status, headers, body) → one typed result.

    Ok                 2xx (and 404 on a removal: nothing left to remove)
    RateLimited        403/429 with Retry-After or an exhausted rate-limit window: wait
    InvalidReviewer    400/422 (not a collaborator, no such user…): choose another
    Retry              5xx, timeouts, connection errors: back off and try again
    Failed             anything else (401, 404, other 4xx): an admin must look

No I/O here: the clock is passed in as ``now`` (epoch seconds) for reset headers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_RATE_LIMIT_WAIT = 60.0


@dataclass(frozen=True, slots=True)
class Ok:
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class RateLimited:
    wait: float
    message: str


@dataclass(frozen=True, slots=True)
class InvalidReviewer:
    message: str


@dataclass(frozen=True, slots=True)
class Retry:
    message: str


@dataclass(frozen=True, slots=True)
class Failed:
    message: str


Outcome = Ok | RateLimited | InvalidReviewer | Retry | Failed


def decipher(
    status: int, headers: Mapping[str, str], body: bytes, *, now: float, removal: bool = False
) -> Outcome:
    if 200 <= status < 300:
        return Ok(body)
    summary = f"HTTP {status}: {body[:300].decode(errors='replace')}"
    if status in (403, 429):
        wait = rate_limit_wait(headers, now)
        if wait is not None:
            return RateLimited(wait, summary)
        if status == 429:
            return RateLimited(DEFAULT_RATE_LIMIT_WAIT, summary)
    if status == 404 and removal:
        return Ok(body)
    if status in (400, 422):
        return InvalidReviewer(summary)
    if status >= 500 or status == 408:
        return Retry(summary)
    return Failed(summary)


def rate_limit_wait(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait according to ``Retry-After`` or the reset of an exhausted window."""
    retry_after = _number(headers.get("retry-after"))
    if retry_after is not None:
        return max(retry_after, 0.0)
    remaining = headers.get("x-ratelimit-remaining") or headers.get("ratelimit-remaining")
    reset = _number(headers.get("x-ratelimit-reset") or headers.get("ratelimit-reset"))
    if remaining is not None and remaining.strip() == "0" and reset is not None:
        return max(reset - now, 0.0)
    return None


def _number(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        return float(raw.strip())
    except ValueError:
        return None
